"""Multi-turn state check: state and responses compared after every turn, as BFCL does.

The model's turns and the expected turns each run on one fresh session, their calls executed
cumulatively, with a state snapshot after every turn. Then, for each turn:

- a turn with no expected calls (BFCL's "unachievable" turns) is executed but not checked;
- an expected turn in which the model made no call fails (`no_call`);
- the state after the turn must equal the expected state after it (`state_mismatch`);
- every result the expected calls of the turn returned must be among the results of the
  model's calls so far, as a multiset (`response_mismatch`). This catches read-only calls,
  which leave no trace in the state.

A case passes only when every checked turn passes, as in BFCL. The per-turn pass rate is
reported beside it, because that all-or-nothing rule zeroes a case for one wrong turn.
Unlike BFCL, a case gets fresh backend instances, so a re-run never resumes from old state.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from evalgauge.errors import ScorerError
from evalgauge.scorers.toolcalls._decode import decode_output
from evalgauge.scorers.toolcalls._model import CheckOutcome, ErrorCategory, ToolCall
from evalgauge.scorers.toolcalls._sequence import parse_expectation
from evalgauge.scorers.toolcalls._state import (
    CHECK,
    MAX_DIFF_ITEMS,
    CallResult,
    StateBackend,
    failed_expected_call,
    jsonable,
    state_diff,
    state_outcome,
)


@dataclass(frozen=True, slots=True)
class TurnVerdict:
    """One turn's verdict; `checked` is false for turns with no expected calls."""

    turn: int
    checked: bool
    passed: bool
    outcomes: tuple[CheckOutcome, ...] = ()
    diff: list[dict[str, Any]] = field(default_factory=list)
    results: tuple[CallResult, ...] = ()


@dataclass(frozen=True, slots=True)
class TurnsResult:
    """The multi-turn verdict: passed only when every checked turn passed."""

    passed: bool
    turns: tuple[TurnVerdict, ...]
    outcomes: tuple[CheckOutcome, ...]
    """The failing outcomes of all turns, or the one outcome of a turn-count mismatch."""

    @property
    def turn_pass_rate(self) -> float | None:
        checked = [turn for turn in self.turns if turn.checked]
        if not checked:
            return None
        return sum(turn.passed for turn in checked) / len(checked)


async def run_turns(
    backend: StateBackend, turns: Sequence[Sequence[ToolCall]]
) -> tuple[list[list[CallResult]], list[dict[str, Any]]]:
    """Execute turns on one fresh session; return each turn's results and the state after it."""
    session = await backend.session()
    results: list[list[CallResult]] = []
    states: list[dict[str, Any]] = []
    try:
        for calls in turns:
            results.append([await session.execute(call) for call in calls])
            states.append(await session.snapshot())
    finally:
        await session.close()
    return results, states


async def check_state_turns(
    backend: StateBackend,
    model_turns: Sequence[Sequence[ToolCall]],
    expected_turns: Sequence[Sequence[ToolCall]],
    *,
    check_responses: bool = True,
    ignore_order: bool = False,
    ignore_paths: Iterable[str] = (),
) -> TurnsResult:
    """Run both sides turn by turn and check every turn that has expected calls."""
    if len(model_turns) != len(expected_turns):
        outcome = CheckOutcome(
            CHECK,
            False,
            ErrorCategory.WRONG_COUNT,
            f"the model produced {len(model_turns)} turn(s), the case expects "
            f"{len(expected_turns)}; the conversation stopped early or ran on",
            reference_error="multi_turn:force_terminated",
        )
        return TurnsResult(False, (), (outcome,))

    # The sessions run one after the other, so an exclusive backend's database is never shared.
    expected_results, expected_states = await run_turns(backend, expected_turns)
    failed_expected_call(result for turn in expected_results for result in turn)
    model_results, model_states = await run_turns(backend, model_turns)

    paths = list(ignore_paths)
    verdicts: list[TurnVerdict] = []
    responses: Counter[str] = Counter()
    for t, expected_calls in enumerate(expected_turns):
        responses.update(response_key(result) for result in model_results[t])
        if not expected_calls:
            verdicts.append(TurnVerdict(t, False, True, results=tuple(model_results[t])))
            continue
        if not model_turns[t]:
            outcome = CheckOutcome(
                CHECK,
                False,
                ErrorCategory.NO_CALL,
                f"turn {t}: the model made no call where {len(expected_calls)} were expected",
                reference_error="multi_turn:empty_turn_model_response",
            )
            verdicts.append(TurnVerdict(t, True, False, (outcome,)))
            continue
        diff = state_diff(
            expected_states[t], model_states[t], ignore_order=ignore_order, ignore_paths=paths
        )
        outcomes = [] if not diff else [state_outcome(diff, f"turn {t}: ")]
        if check_responses:
            outcomes += _response_outcomes(t, expected_results[t], responses)
        verdicts.append(
            TurnVerdict(
                t,
                True,
                not outcomes,
                tuple(outcomes),
                diff[:MAX_DIFF_ITEMS],
                tuple(model_results[t]),
            )
        )

    failures = tuple(o for verdict in verdicts for o in verdict.outcomes)
    return TurnsResult(not failures, tuple(verdicts), failures)


def response_key(result: CallResult) -> str:
    """Render a call's result as canonical text, so results compare as a multiset."""
    if not result.ok:
        return f"error: {result.error}"
    return json.dumps(jsonable(result.result), sort_keys=True, ensure_ascii=False)


def _response_outcomes(
    turn: int, expected: Sequence[CallResult], responses: Counter[str]
) -> list[CheckOutcome]:
    expected_keys = Counter(response_key(result) for result in expected)
    missing = expected_keys - responses
    if not missing:
        return []
    example = next(iter(missing))
    example = example if len(example) <= 80 else example[:77] + "..."
    return [
        CheckOutcome(
            CHECK,
            False,
            ErrorCategory.RESPONSE_MISMATCH,
            f"turn {turn}: {sum(missing.values())} expected result(s) never returned to the "
            f"model, e.g. {example}",
            reference_error="multi_turn:execution_response_mismatch",
            extra={"missing_results": sorted(missing.elements())[:MAX_DIFF_ITEMS]},
        )
    ]


def decode_turns(output: str) -> list[list[ToolCall]] | str:
    """Read a multi-turn output: a JSON array with one element per turn; else return why not.

    An element is one output (OpenAI `tool_calls`, Python calls, ...) or a list of step
    outputs as strings. Steps that do not decode into calls are chat and are skipped, as BFCL
    skips them.
    """
    try:
        value = json.loads(output)
    except (json.JSONDecodeError, RecursionError) as exc:
        return f"a multi-turn output must be a JSON array with one element per turn: {exc}"
    if not isinstance(value, list):
        return f"a multi-turn output must be a JSON array, found {type(value).__name__}"
    turns: list[list[ToolCall]] = []
    for element in value:
        steps = element if _is_step_list(element) else [element]
        calls: list[ToolCall] = []
        for step in steps:
            decoded = decode_output(step)
            calls.extend(decoded.calls or ())
        turns.append(calls)
    return turns


def _is_step_list(element: Any) -> bool:
    return isinstance(element, list) and bool(element) and all(isinstance(x, str) for x in element)


def expected_turns(value: Any, case_id: str) -> list[list[ToolCall]]:
    """Read `expected.turns`: per turn, calls as `{"name", "arguments"}` or Python call strings."""
    if not isinstance(value, list) or not all(isinstance(turn, list) for turn in value):
        raise ScorerError(
            f"case {case_id!r}: `expected.turns` must be a list with one list of calls per turn"
        )
    turns: list[list[ToolCall]] = []
    for t, turn in enumerate(value):
        calls: list[ToolCall] = []
        for item in turn:
            if isinstance(item, str):
                decoded = decode_output(item)
                if decoded.calls is None:
                    raise ScorerError(
                        f"case {case_id!r}: expected turn {t}: cannot read {item!r:.80} as a "
                        f"call ({decoded.reason})"
                    )
                calls.extend(decoded.calls)
            else:
                calls.extend(step.call for step in parse_expectation([item]).steps)
        turns.append(calls)
    return turns
