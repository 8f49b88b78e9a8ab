"""State check: run the model's calls and the expected calls on fresh backends, compare the state.

A backend opens one session per (run, case) with fresh state, so nothing leaks between cases
or between the model's run and the expected run. Two kinds ship:

- `PythonClassBackend`: a class whose public methods are the tools, a new instance per session.
  Methods are looked up by name with `getattr` and names starting with `_` are rejected, so no
  text is ever evaluated. The state is every public instance attribute, as in BFCL's
  multi-turn state check.
- `HttpServiceBackend` (in `_state_http`): the user's service on a test database, each call a
  real HTTP request, the state read by configured GET requests or SQL queries.

A call that raises or returns an HTTP error is recorded as that call's result; the state
comparison then decides the verdict. Expected and actual state are compared with `deepdiff`.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from deepdiff import DeepDiff

from evalgauge.errors import ScorerError
from evalgauge.scorers.toolcalls._callables import import_object, public_methods
from evalgauge.scorers.toolcalls._model import CheckOutcome, ErrorCategory, ToolCall

CHECK = "state"
MAX_DIFF_ITEMS = 50
"""Most differences listed in a score's details; the count is always complete."""


@dataclass(frozen=True, slots=True)
class CallResult:
    """The result of one executed call, or the error it raised."""

    call: ToolCall
    ok: bool
    result: Any = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.call.name, "ok": self.ok}
        out["error" if not self.ok else "result"] = (
            self.error if not self.ok else jsonable(self.result)
        )
        return out


class StateSession(Protocol):
    """One fresh copy of the backend's state, used for one sequence of calls."""

    async def execute(self, call: ToolCall) -> CallResult: ...

    async def snapshot(self) -> dict[str, Any]: ...

    async def close(self) -> None: ...


class StateBackend(Protocol):
    """Opens sessions with fresh state.

    An `exclusive` backend shares one database between sessions, so they must not overlap.
    """

    exclusive: bool

    async def session(self) -> StateSession: ...


@dataclass(frozen=True, slots=True)
class StateResult:
    """The state check's verdict with the evidence behind it."""

    passed: bool
    outcome: CheckOutcome
    results: tuple[CallResult, ...]
    expected_results: tuple[CallResult, ...] = ()
    diff: list[dict[str, Any]] = field(default_factory=list)


class PythonClassBackend:
    """A Python class as the backend: a new instance per session, public methods as tools.

    `initial_state` seeds each instance. When the class defines `_load_scenario`, as BFCL's
    backends do, the instance is built without arguments and the state is passed to it.
    Otherwise the state's keys are keyword arguments of the constructor.
    """

    exclusive = False

    def __init__(self, cls: type | str, *, initial_state: dict[str, Any] | None = None) -> None:
        resolved = import_object(cls) if isinstance(cls, str) else cls
        if not inspect.isclass(resolved):
            raise ScorerError(f"state backend {cls!r} is not a class; name it as module:Class")
        self.cls: type = resolved
        self.initial_state = initial_state
        self.tools = frozenset(fn.__name__ for fn in public_methods(resolved))

    def with_state(self, initial_state: dict[str, Any] | None) -> PythonClassBackend:
        """Return a backend of the same class seeded with another initial state (a case's own)."""
        return PythonClassBackend(self.cls, initial_state=initial_state)

    async def session(self) -> StateSession:
        state = copy.deepcopy(self.initial_state) if self.initial_state is not None else None
        try:
            if state is not None and hasattr(self.cls, "_load_scenario"):
                instance = self.cls()
                instance._load_scenario(state)
            else:
                instance = self.cls(**(state or {}))
        except Exception as exc:
            raise ScorerError(
                f"cannot create a {self.cls.__qualname__} backend: {type(exc).__name__}: {exc}"
            ) from exc
        return _PythonSession(instance, self.tools)


class _PythonSession:
    def __init__(self, instance: Any, tools: frozenset[str]) -> None:
        self.instance = instance
        self.tools = tools

    async def execute(self, call: ToolCall) -> CallResult:
        if call.name.startswith("_") or call.name not in self.tools:
            known = ", ".join(sorted(self.tools))
            return CallResult(call, False, error=f"no tool named {call.name!r}; tools: {known}")
        method = getattr(self.instance, call.name)
        try:
            if inspect.iscoroutinefunction(method):
                result = await method(**call.arguments)
            else:
                result = await asyncio.to_thread(method, **call.arguments)
            result = copy.deepcopy(result)
        except Exception as exc:  # the backend's own errors are the call's result
            return CallResult(call, False, error=f"{type(exc).__name__}: {exc}")
        return CallResult(call, True, result)

    async def snapshot(self) -> dict[str, Any]:
        return {
            name: copy.deepcopy(value)
            for name, value in vars(self.instance).items()
            if not name.startswith("_")
        }

    async def close(self) -> None:
        return None


async def run_calls(
    backend: StateBackend, calls: Sequence[ToolCall]
) -> tuple[list[CallResult], dict[str, Any]]:
    """Execute calls in order on a fresh session; return their results and the final state."""
    session = await backend.session()
    try:
        results = [await session.execute(call) for call in calls]
        state = await session.snapshot()
    finally:
        await session.close()
    return results, state


async def check_state(
    backend: StateBackend,
    calls: Sequence[ToolCall],
    *,
    expected_calls: Sequence[ToolCall] | None = None,
    expected_state: dict[str, Any] | None = None,
    ignore_order: bool = False,
    ignore_paths: Iterable[str] = (),
) -> StateResult:
    """Compare the state after the model's calls with the expected state.

    The expected state is `expected_state` when given, else the state after `expected_calls`
    on a fresh session. `ignore_paths` are regular expressions over deepdiff paths such as
    `root['orders'][0]['created_at']`; `ignore_order` compares lists as multisets.
    """
    if expected_state is None and expected_calls is None:
        raise ScorerError("the state check needs expected calls or an expected state")
    results, actual = await run_calls(backend, calls)
    expected_results: list[CallResult] = []
    if expected_state is None:
        assert expected_calls is not None
        expected_results, expected_state = await run_calls(backend, expected_calls)
        failed_expected_call(expected_results)
    diff = state_diff(expected_state, actual, ignore_order=ignore_order, ignore_paths=ignore_paths)
    outcome = state_outcome(diff)
    return StateResult(
        not diff, outcome, tuple(results), tuple(expected_results), diff[:MAX_DIFF_ITEMS]
    )


def failed_expected_call(results: Iterable[CallResult]) -> None:
    """Raise ScorerError when an expected call failed: the case, not the model, is wrong."""
    for result in results:
        if not result.ok:
            raise ScorerError(
                f"expected call {result.call.name!r} failed on the backend: {result.error}; "
                "fix the case's expected calls"
            )


def state_outcome(diff: list[dict[str, Any]], prefix: str = "") -> CheckOutcome:
    """Build the state check's outcome from a diff: passing when it is empty."""
    if not diff:
        return CheckOutcome(CHECK, True)
    first_three = "; ".join(_describe(item) for item in diff[:3])
    more = f" (and {len(diff) - 3} more)" if len(diff) > 3 else ""
    return CheckOutcome(
        CHECK,
        False,
        ErrorCategory.STATE_MISMATCH,
        f"{prefix}{len(diff)} difference(s) from the expected state: {first_three}{more}",
        extra={"differences": len(diff)},
    )


def state_diff(
    expected: Any,
    actual: Any,
    *,
    ignore_order: bool = False,
    ignore_paths: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Differences as `{"path", "change", "expected", "actual"}` dicts, JSON-serializable."""
    tree = DeepDiff(
        expected,
        actual,
        ignore_order=ignore_order,
        exclude_regex_paths=list(ignore_paths) or None,
        view="tree",
    )
    items: list[dict[str, Any]] = []
    for change, levels in tree.items():
        for level in levels:
            items.append(
                {
                    "path": level.path(),
                    "change": change,
                    "expected": _present(level.t1),
                    "actual": _present(level.t2),
                }
            )
    items.sort(key=lambda item: item["path"])
    return items


def _present(value: Any) -> Any:
    # deepdiff marks the missing side of an added or removed item with a `NotPresent` object.
    if type(value).__name__ == "NotPresent":
        return None
    return jsonable(value)


def _describe(item: dict[str, Any]) -> str:
    return f"{item['path']}: expected {_short(item['expected'])}, found {_short(item['actual'])}"


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def jsonable(value: Any) -> Any:
    """Copy a value into JSON-serializable form: containers kept, other objects as `repr`."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(item) for item in value]
    return repr(value)
