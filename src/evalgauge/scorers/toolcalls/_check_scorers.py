"""Scorers for the schema, sequence and state checks of a model's tool calls.

Each decodes the output with `decode_output` (OpenAI `tool_calls`, Anthropic `tool_use`
blocks, BFCL results or Python-call strings) and scores 1.0 or 0.0. `details` lists every
call's outcomes with its category, and counts the categories, so a scorecard can slice
failures per tool and per category. The expected calls and state come from `Case.expected`:

```json
{"calls": [[{"name": "create_order", "arguments": {"customer": "a@example.com"}}], ...],
 "state": {"orders": [...]}, "initial_state": {...}}
```

`calls` takes the forms `parse_expectation` reads (groups, a strict list, or `after` edges).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from evalgauge.cases import Case
from evalgauge.errors import ConfigError, ScorerError
from evalgauge.scorers._base import Score
from evalgauge.scorers.toolcalls._decode import decode_output
from evalgauge.scorers.toolcalls._model import CheckOutcome, ErrorCategory, ToolCall, ToolSpec
from evalgauge.scorers.toolcalls._schema_check import SchemaChecker
from evalgauge.scorers.toolcalls._sequence import (
    Matcher,
    call_json,
    check_sequence,
    parse_expectation,
    same_call,
)
from evalgauge.scorers.toolcalls._specs import specs_from_definitions
from evalgauge.scorers.toolcalls._state import StateBackend, check_state
from evalgauge.scorers.toolcalls._state_turns import (
    TurnsResult,
    check_state_turns,
    decode_turns,
    expected_turns,
)

_MAX_TOOL_LISTS = 4096
"""Distinct per-case tool lists kept compiled; the cache starts over when it is full."""


def _decode_or_fail(name: str, output: str) -> list[ToolCall] | Score:
    decoded = decode_output(output)
    if decoded.calls is not None:
        return list(decoded.calls)
    reason = f"the output could not be decoded into tool calls: {decoded.reason}"
    details = {"categories": {ErrorCategory.DECODE_FAILURE.value: 1}, "calls": []}
    return Score(name, 0.0, False, reason, details)


def outcome_json(outcome: CheckOutcome) -> dict[str, Any]:
    out: dict[str, Any] = {"check": outcome.check, "passed": outcome.passed}
    if outcome.category is not None:
        out["category"] = outcome.category.value
    for key in ("detail", "tool", "parameter", "reference_error"):
        value = getattr(outcome, key)
        if value:
            out[key] = value
    out.update(outcome.extra)
    return out


def _categories(outcomes: Iterable[CheckOutcome]) -> dict[str, int]:
    counts = Counter(o.category.value for o in outcomes if o.category is not None)
    return dict(sorted(counts.items()))


def _expected_field(case: Case, key: str) -> Any:
    expected = case.expected
    if isinstance(expected, str):
        try:
            expected = json.loads(expected)
        except json.JSONDecodeError as exc:
            raise ScorerError(
                f"case {case.case_id!r}: `expected` is not valid JSON: {exc}"
            ) from None
    if isinstance(expected, Mapping):
        return expected.get(key)
    return expected if key == "calls" else None


class ToolSchemaScorer:
    """Pass when every call names an offered tool and its arguments validate against its schema.

    The tools are fixed (`specs`) or read per case from the field `tools_field` (a list of
    OpenAI, Anthropic or BFCL definitions, as BFCL's `function` field is). An output with no
    calls passes: whether a call was due is the sequence check's question.

    Per-case definitions are checked against the JSON Schema meta-schema once per distinct
    tool list, at about 1 ms each. `check_definitions=False` skips that for trusted data such
    as BFCL's, because the test suite proves every BFCL v4 function doc valid.
    """

    def __init__(
        self,
        specs: Sequence[ToolSpec] | None = None,
        *,
        tools_field: str = "tools",
        check_definitions: bool = True,
        name: str = "tool_schema",
    ) -> None:
        self.name = name
        self.tools_field = tools_field
        self.check_definitions = check_definitions
        self._fixed = SchemaChecker(specs) if specs is not None else None
        self._per_case: dict[str, SchemaChecker] = {}

    def identity(self) -> dict[str, str]:
        return {"scorer": "tool_schema", "tools_field": self.tools_field}

    def _checker(self, case: Case) -> SchemaChecker:
        if self._fixed is not None:
            return self._fixed
        definitions = case.field(self.tools_field)
        if not isinstance(definitions, list):
            raise ScorerError(
                f"case {case.case_id!r} has no tool list in field {self.tools_field!r}; "
                "give the scorer its tools or name the field that holds them"
            )
        key = json.dumps(definitions, sort_keys=True)
        checker = self._per_case.get(key)
        if checker is None:
            try:
                specs = specs_from_definitions(
                    definitions, origin=f"case {case.case_id!r}", check=self.check_definitions
                )
            except ConfigError as exc:
                raise ScorerError(str(exc)) from None
            if len(self._per_case) >= _MAX_TOOL_LISTS:
                self._per_case.clear()
            checker = self._per_case[key] = SchemaChecker(specs)
        return checker

    async def score(self, case: Case, output: str) -> Score:
        return self.score_now(case, output)

    def score_now(self, case: Case, output: str) -> Score:
        checker = self._checker(case)
        calls = _decode_or_fail(self.name, output)
        if isinstance(calls, Score):
            return calls
        per_call = checker.check_calls(calls)
        failures = [o for outcomes in per_call for o in outcomes if not o.passed]
        details = {
            "calls": [
                {
                    "name": call.name,
                    "passed": all(o.passed for o in outcomes),
                    "outcomes": [outcome_json(o) for o in outcomes if not o.passed],
                }
                for call, outcomes in zip(calls, per_call, strict=True)
            ],
            "categories": _categories(failures),
        }
        if not calls:
            return Score(self.name, 1.0, True, "no tool calls to check", details)
        if failures:
            reason = "; ".join(o.detail for o in failures[:3])
            return Score(self.name, 0.0, False, reason, details)
        return Score(self.name, 1.0, True, f"{len(calls)} call(s) valid", details)


class ToolSequenceScorer:
    """Pass when the calls match the expected calls, none missing or extra, in an allowed order.

    `matcher` decides whether a model call satisfies an expected one; plug in an argument
    matcher such as BFCL's AST check there. The default compares names and JSON-normalised
    arguments.
    """

    def __init__(
        self,
        *,
        matcher: Matcher = same_call,
        allow_extra: bool = False,
        name: str = "tool_sequence",
    ) -> None:
        self.name = name
        self.matcher = matcher
        self.allow_extra = allow_extra

    def identity(self) -> dict[str, str]:
        return {
            "scorer": "tool_sequence",
            "matcher": getattr(self.matcher, "__qualname__", repr(self.matcher)),
            "allow_extra": str(self.allow_extra).lower(),
        }

    async def score(self, case: Case, output: str) -> Score:
        return self.score_now(case, output)

    def score_now(self, case: Case, output: str) -> Score:
        expected = _expected_field(case, "calls")
        if expected is None:
            raise ScorerError(f"case {case.case_id!r} has no expected calls (`expected.calls`)")
        expectation = parse_expectation(expected)
        calls = _decode_or_fail(self.name, output)
        if isinstance(calls, Score):
            return calls
        try:
            result = check_sequence(
                calls, expectation, matcher=self.matcher, allow_extra=self.allow_extra
            )
        except RecursionError:
            raise ScorerError(
                f"case {case.case_id!r}: arguments nested too deeply to compare"
            ) from None
        failures = [o for o in result.outcomes if not o.passed]
        details = {
            "calls": [
                {**call_json(call), "step": result.pairs.get(i)} for i, call in enumerate(calls)
            ],
            "outcomes": [outcome_json(o) for o in failures],
            "categories": _categories(failures),
        }
        if result.passed:
            return Score(self.name, 1.0, True, f"{len(calls)} call(s) as expected", details)
        reason = "; ".join(o.detail for o in failures[:3])
        return Score(self.name, 0.0, False, reason, details)


class ToolStateScorer:
    """Pass when running the calls leaves the backend in the expected state.

    The expected state is `expected.state` when the case gives it, else the state after the
    case's expected calls. A Python class backend takes a case's `expected.initial_state`.

    A case with `expected.turns` (one list of calls per turn) is checked turn by turn, as
    BFCL's multi-turn checker does; its output is then a JSON array with one element per
    turn. Such a case passes only when every checked turn passes. With
    `turn_credit="per_turn"` its value is the fraction of checked turns that passed instead.
    """

    def __init__(
        self,
        backend: StateBackend,
        *,
        ignore_order: bool = False,
        ignore_paths: Sequence[str] = (),
        check_responses: bool = True,
        turn_credit: Literal["all", "per_turn"] = "all",
        name: str = "tool_state",
    ) -> None:
        self.name = name
        self.backend = backend
        self.ignore_order = ignore_order
        self.ignore_paths = tuple(ignore_paths)
        self.check_responses = check_responses
        self.turn_credit = turn_credit
        self._lock = asyncio.Lock()

    def identity(self) -> dict[str, str]:
        return {
            "scorer": "tool_state",
            "backend": type(self.backend).__name__,
            "check_responses": str(self.check_responses).lower(),
            "turn_credit": self.turn_credit,
        }

    def _backend_for(self, case: Case) -> StateBackend:
        initial = _expected_field(case, "initial_state")
        if initial is not None and hasattr(self.backend, "with_state"):
            seeded: StateBackend = self.backend.with_state(initial)
            return seeded
        return self.backend

    async def score(self, case: Case, output: str) -> Score:
        turns = _expected_field(case, "turns")
        if turns is not None:
            return await self._score_turns(case, output, expected_turns(turns, case.case_id))
        calls = _decode_or_fail(self.name, output)
        if isinstance(calls, Score):
            return calls
        expected_state = _expected_field(case, "state")
        raw_calls = _expected_field(case, "calls")
        expected_calls = None
        if raw_calls is not None:
            # One order the edges allow; unordered steps are taken not to affect each other.
            expected_calls = [s.call for s in parse_expectation(raw_calls).topological_order()]

        async with self._guard():
            result = await check_state(
                self._backend_for(case),
                calls,
                expected_calls=expected_calls,
                expected_state=expected_state,
                ignore_order=self.ignore_order,
                ignore_paths=self.ignore_paths,
            )

        details = {
            "calls": [r.to_json() for r in result.results],
            "diff": result.diff,
            "categories": _categories([result.outcome]),
        }
        if result.passed:
            return Score(self.name, 1.0, True, "state as expected", details)
        return Score(self.name, 0.0, False, result.outcome.detail, details)

    async def _score_turns(self, case: Case, output: str, expected: list[list[ToolCall]]) -> Score:
        model = decode_turns(output)
        if isinstance(model, str):
            details = {"categories": {ErrorCategory.DECODE_FAILURE.value: 1}, "turns": []}
            return Score(self.name, 0.0, False, model, details)

        async with self._guard():
            result = await check_state_turns(
                self._backend_for(case),
                model,
                expected,
                check_responses=self.check_responses,
                ignore_order=self.ignore_order,
                ignore_paths=self.ignore_paths,
            )

        details = _turns_details(result)
        rate = result.turn_pass_rate
        value = 1.0 if result.passed else 0.0
        if self.turn_credit == "per_turn" and rate is not None:
            value = rate
        if result.passed:
            return Score(
                self.name, value, True, f"{len(result.turns)} turn(s) as expected", details
            )
        reason = "; ".join(o.detail for o in result.outcomes[:3])
        return Score(self.name, value, False, reason, details)

    def _guard(self) -> asyncio.Lock | _NoLock:
        return self._lock if self.backend.exclusive else _NoLock()


class _NoLock:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


def _turns_details(result: TurnsResult) -> dict[str, Any]:
    return {
        "turns": [
            {
                "turn": verdict.turn,
                "checked": verdict.checked,
                "passed": verdict.passed,
                "outcomes": [outcome_json(o) for o in verdict.outcomes],
                "diff": verdict.diff,
                "calls": [r.to_json() for r in verdict.results],
            }
            for verdict in result.turns
        ],
        "turn_pass_rate": result.turn_pass_rate,
        "outcomes": [outcome_json(o) for o in result.outcomes],
        "categories": _categories(result.outcomes),
    }
