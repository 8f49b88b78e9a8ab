"""Sequence check: the model's calls against expected calls under a partial order.

The expectation is a set of steps, each an expected call with the steps it must come after.
Two ways to write it:

- groups, `[[a], [b, c], [d]]`: b and c in either order, both after a and before d;
- explicit edges, `[{"id": "a", ...}, {"id": "b", "after": ["a"], ...}]`.

Model calls are paired with expected steps by a pluggable matcher (`(model_call, expected_call)
-> bool`; by default equal names and equal arguments after JSON normalisation) using maximum
bipartite matching, so one greedy pairing cannot hide a valid one. Then every expected step
left unpaired is a MISSING_CALL, every model call left unpaired an EXTRA_CALL, and every edge
whose two paired calls ran in the wrong order a WRONG_ORDER naming both calls.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from evalgauge.errors import ScorerError
from evalgauge.scorers.toolcalls._model import CheckOutcome, ErrorCategory, ToolCall

CHECK = "sequence"

Matcher = Callable[[ToolCall, ToolCall], bool]
"""Decides whether a model call (first argument) satisfies an expected call (second)."""


def normalize_json(value: Any) -> str:
    """Canonical JSON text: sorted keys, tuples as lists, integral floats as integers.

    Booleans stay distinct from 0 and 1, unlike Python's `==`.
    """
    return json.dumps(_canonical(value), sort_keys=True, ensure_ascii=False)


def _canonical(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(item) for item in value]
    return str(value)


def same_call(model: ToolCall, expected: ToolCall) -> bool:
    """Match on equal names and equal arguments after `normalize_json` (the default matcher)."""
    if model.name != expected.name:
        return False
    return normalize_json(model.arguments) == normalize_json(expected.arguments)


@dataclass(frozen=True, slots=True)
class ExpectedStep:
    """One expected call and the ids of the steps that must run before it."""

    step_id: str
    call: ToolCall
    after: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class SequenceExpectation:
    """Expected calls under a partial order, built with `from_groups` or `from_steps`."""

    steps: tuple[ExpectedStep, ...]

    @classmethod
    def from_groups(cls, groups: Sequence[Sequence[ToolCall]]) -> SequenceExpectation:
        steps: list[ExpectedStep] = []
        previous: frozenset[str] = frozenset()
        for g, group in enumerate(groups):
            ids = [f"{g}.{i}" for i in range(len(group))]
            steps.extend(
                ExpectedStep(sid, call, previous) for sid, call in zip(ids, group, strict=True)
            )
            if ids:
                previous = frozenset(ids)
        return cls(tuple(steps))

    @classmethod
    def from_steps(cls, steps: Sequence[ExpectedStep]) -> SequenceExpectation:
        expectation = cls(tuple(steps))
        expectation.topological_order()
        return expectation

    def topological_order(self) -> list[ExpectedStep]:
        """Return the steps in an order the edges allow, earliest listed first; raise on a cycle."""
        by_id = {step.step_id: step for step in self.steps}
        if len(by_id) != len(self.steps):
            raise ScorerError("expected calls: two steps share an id; give each step its own id")
        position = {step.step_id: i for i, step in enumerate(self.steps)}
        waiting = {step.step_id: set(step.after) for step in self.steps}
        for step in self.steps:
            unknown = step.after - by_id.keys()
            if unknown:
                raise ScorerError(
                    f"expected calls: step {step.step_id!r} is after unknown step(s) "
                    f"{sorted(unknown)}; refer to ids of steps in the same case"
                )
        ready = [position[sid] for sid, deps in waiting.items() if not deps]
        heapq.heapify(ready)
        order: list[ExpectedStep] = []
        while ready:
            step = self.steps[heapq.heappop(ready)]
            order.append(step)
            for other in self.steps:
                deps = waiting[other.step_id]
                if step.step_id in deps:
                    deps.discard(step.step_id)
                    if not deps:
                        heapq.heappush(ready, position[other.step_id])
        if len(order) != len(self.steps):
            stuck = sorted(sid for sid, deps in waiting.items() if deps)
            raise ScorerError(f"expected calls: the `after` edges form a cycle among {stuck}")
        return order


@dataclass(frozen=True, slots=True)
class SequenceResult:
    """The sequence check's verdict: its outcomes and which model call met which step."""

    passed: bool
    outcomes: tuple[CheckOutcome, ...]
    pairs: dict[int, str] = field(default_factory=dict)
    """Model call index -> id of the expected step it was paired with."""


def check_sequence(
    calls: Sequence[ToolCall],
    expectation: SequenceExpectation,
    *,
    matcher: Matcher = same_call,
    allow_extra: bool = False,
) -> SequenceResult:
    """Pair the model's calls with the expected steps and report what is missing, extra or late.

    With `allow_extra`, unpaired model calls (say, read-only lookups) are not failures.
    """
    order = expectation.topological_order()
    step_to_call = _match(calls, order, matcher)
    _repair_order(calls, order, step_to_call, matcher)
    outcomes = _missing(expectation, step_to_call)
    paired = set(step_to_call.values())
    if not allow_extra:
        outcomes += [_extra(i, call) for i, call in enumerate(calls) if i not in paired]
    outcomes += _order_violations(calls, expectation, step_to_call)
    pairs = {index: sid for sid, index in step_to_call.items()}
    if not outcomes:
        return SequenceResult(True, (CheckOutcome(CHECK, True),), pairs)
    return SequenceResult(False, tuple(outcomes), pairs)


def _match(
    calls: Sequence[ToolCall], order: list[ExpectedStep], matcher: Matcher
) -> dict[str, int]:
    """Maximum bipartite matching by augmenting paths (Kuhn), earliest model calls first."""
    candidates = {
        step.step_id: [i for i, call in enumerate(calls) if matcher(call, step.call)]
        for step in order
    }
    owner: dict[int, str] = {}

    def augment(step_id: str, visited: set[int]) -> bool:
        for index in candidates[step_id]:
            if index not in owner:
                owner[index] = step_id
                return True
        for index in candidates[step_id]:
            if index in visited:
                continue
            visited.add(index)
            if index not in owner or augment(owner[index], visited):
                owner[index] = step_id
                return True
        return False

    for step in order:
        augment(step.step_id, set())
    return {sid: index for index, sid in owner.items()}


def _repair_order(
    calls: Sequence[ToolCall],
    order: list[ExpectedStep],
    step_to_call: dict[str, int],
    matcher: Matcher,
) -> None:
    """Swap the calls of two steps when each call fits the other step and the swap puts them
    in topological order, so interchangeable calls never count as out of order."""
    for _ in range(len(order)):
        swapped = False
        for i, first in enumerate(order):
            for second in order[i + 1 :]:
                early = step_to_call.get(first.step_id)
                late = step_to_call.get(second.step_id)
                if early is None or late is None or early < late:
                    continue
                if matcher(calls[late], first.call) and matcher(calls[early], second.call):
                    step_to_call[first.step_id], step_to_call[second.step_id] = late, early
                    swapped = True
        if not swapped:
            return


def _missing(expectation: SequenceExpectation, step_to_call: dict[str, int]) -> list[CheckOutcome]:
    return [
        CheckOutcome(
            CHECK,
            False,
            ErrorCategory.MISSING_CALL,
            f"expected call {describe_call(step.call)} (step {step.step_id}) was not made",
            tool=step.call.name,
            extra={"step": step.step_id, "expected": call_json(step.call)},
        )
        for step in expectation.steps
        if step.step_id not in step_to_call
    ]


def _extra(index: int, call: ToolCall) -> CheckOutcome:
    return CheckOutcome(
        CHECK,
        False,
        ErrorCategory.EXTRA_CALL,
        f"call {index} {describe_call(call)} matches no expected call",
        tool=call.name,
        extra={"index": index, "call": call_json(call)},
    )


def _order_violations(
    calls: Sequence[ToolCall], expectation: SequenceExpectation, step_to_call: dict[str, int]
) -> list[CheckOutcome]:
    outcomes = []
    for step in expectation.steps:
        late = step_to_call.get(step.step_id)
        for before_id in sorted(step.after):
            early = step_to_call.get(before_id)
            if late is None or early is None or early < late:
                continue
            outcomes.append(
                CheckOutcome(
                    CHECK,
                    False,
                    ErrorCategory.WRONG_ORDER,
                    f"call {late} {describe_call(calls[late])} (step {step.step_id}) ran before "
                    f"call {early} {describe_call(calls[early])} (step {before_id}), "
                    "which it must follow",
                    tool=step.call.name,
                    extra={"step": step.step_id, "after": before_id, "index": late},
                )
            )
    return outcomes


def call_json(call: ToolCall) -> dict[str, Any]:
    """Return the call as a JSON-serializable dict, for score details."""
    return {"name": call.name, "arguments": json.loads(normalize_json(call.arguments))}


def describe_call(call: ToolCall, limit: int = 120) -> str:
    """`name(key=value, ...)`, cut at `limit` characters."""
    arguments = ", ".join(f"{key}={json.dumps(value)}" for key, value in call.arguments.items())
    text = f"{call.name}({arguments})"
    return text if len(text) <= limit else text[: limit - 4] + "...)"


def parse_expectation(value: Any) -> SequenceExpectation:
    """Read expected calls from case data.

    A list of lists is groups. A flat list is a strict sequence, unless an item has an `id`
    or `after`: then only the explicit `after` edges order the steps. Each call is
    `{"name": ..., "arguments": {...}}`.
    """
    if not isinstance(value, list):
        raise ScorerError(f"expected calls must be a list, found {type(value).__name__}")
    if all(isinstance(item, list) for item in value):
        groups = [
            [_call(item, f"{g}.{i}") for i, item in enumerate(group)]
            for g, group in enumerate(value)
        ]
        return SequenceExpectation.from_groups(groups)
    if any(isinstance(item, dict) and ("after" in item or "id" in item) for item in value):
        steps = [_step(item, i) for i, item in enumerate(value)]
        return SequenceExpectation.from_steps(steps)
    return SequenceExpectation.from_groups([[_call(item, str(i))] for i, item in enumerate(value)])


def _step(item: Any, index: int) -> ExpectedStep:
    call = _call(item, str(index))
    after = item.get("after", [])
    if not isinstance(after, list):
        raise ScorerError(f"expected call {index}: `after` must be a list of step ids")
    return ExpectedStep(str(item.get("id", index)), call, frozenset(map(str, after)))


def _call(item: Any, where: str) -> ToolCall:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        raise ScorerError(
            f"expected call {where}: expected an object with `name` and `arguments`, "
            f"found {item!r:.80}"
        )
    arguments = item.get("arguments", {})
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError as exc:
            raise ScorerError(
                f"expected call {where}: `arguments` is not valid JSON: {exc}"
            ) from None
    if not isinstance(arguments, dict):
        raise ScorerError(f"expected call {where}: `arguments` must be an object")
    return ToolCall(item["name"], arguments)
