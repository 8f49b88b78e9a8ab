"""Pairing of expected with produced calls: BFCL's greedy first match, or a maximum matching.

Each pair is checked at most once. When no produced call matches an expected one, the
mismatch against the closest free produced call explains it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from evalgauge.scorers.toolcalls._bfcl_rules import Mismatch, ReferenceCrash
from evalgauge.scorers.toolcalls._expected import ExpectedCall
from evalgauge.scorers.toolcalls._model import ErrorCategory, ToolCall

CallChecker = Callable[[ExpectedCall, ToolCall], Mismatch | None]

CRASH = "checker_crash"
"""The reference error of a pair on which the reference checker raises."""
_FAILED = Mismatch("", ErrorCategory.WRONG_VALUE, "")
"""The stand-in for a mismatch while pairing decides by `passes` alone."""


def _crash_mismatch(exc: ReferenceCrash) -> Mismatch:
    missing_doc = str(exc).startswith("no function doc")
    category = ErrorCategory.WRONG_TOOL if missing_doc else ErrorCategory.WRONG_TYPE
    detail = f"the possible answer cannot be checked ({exc}); the reference checker raises here"
    return Mismatch(CRASH, category, detail)


@dataclass(slots=True)
class Pairing:
    matches: dict[int, int]
    """Expected call index to produced call index."""
    mismatches: dict[int, Mismatch]
    """Per unmatched expected call, the mismatch against the closest free produced call."""
    crash: tuple[int, Mismatch] | None = None
    """The first expected call whose greedy scan made the reference checker raise, and why."""


def pair(
    expected: list[ExpectedCall],
    produced: list[ToolCall],
    checker: CallChecker,
    *,
    greedy: bool,
    passes: Callable[[ExpectedCall, ToolCall], bool] | None = None,
) -> Pairing:
    """Pair expected with produced calls, each pair checked at most once.

    With `passes`, a faster `checker(...) is None`, pairs are matched by it, and `checker`
    builds the mismatches of the unmatched calls only.
    """
    if len(expected) == 1 and len(produced) == 1:
        return _pair_one(expected[0], produced[0], checker)
    results: dict[tuple[int, int], Mismatch | None] = {}

    def result(i: int, j: int) -> Mismatch | None:
        if (i, j) not in results:
            try:
                results[i, j] = checker(expected[i], produced[j])
            except ReferenceCrash as exc:
                results[i, j] = _crash_mismatch(exc)
        return results[i, j]

    verdicts: dict[tuple[int, int], bool] = {}

    def decide(i: int, j: int) -> Mismatch | None:
        if passes is None:
            return result(i, j)
        if (i, j) not in verdicts:
            verdicts[i, j] = passes(expected[i], produced[j])
        return None if verdicts[i, j] else _FAILED

    crash = None
    if greedy:
        matches, crash = _greedy(len(expected), len(produced), decide)
    else:
        matches = _maximum_matching(len(expected), len(produced), decide)
    used = set(matches.values())
    mismatches = {}
    for i in range(len(expected)):
        if i not in matches:
            free = [j for j in range(len(produced)) if j not in used]
            mismatches[i] = _closest(expected[i], produced, free, result, i)
    return Pairing(matches, mismatches, crash)


def _pair_one(expected: ExpectedCall, produced: ToolCall, checker: CallChecker) -> Pairing:
    """Pair one expected with one produced call, the common case, without pairing tables."""
    try:
        mismatch = checker(expected, produced)
    except ReferenceCrash as exc:
        crash = _crash_mismatch(exc)
        return Pairing({}, {0: crash}, (0, crash))
    if mismatch is None:
        return Pairing({0: 0}, {})
    return Pairing({}, {0: mismatch})


def _greedy(
    n_expected: int, n_produced: int, result: Callable[[int, int], Mismatch | None]
) -> tuple[dict[int, int], tuple[int, Mismatch] | None]:
    """BFCL's pairing: each expected call, in order, takes the first free produced call
    that passes. It can miss a complete pairing that exists."""
    matches: dict[int, int] = {}
    used: set[int] = set()
    crash = None
    for i in range(n_expected):
        for j in range(n_produced):
            if j in used:
                continue
            mismatch = result(i, j)
            if mismatch is None:
                matches[i] = j
                used.add(j)
                break
            if mismatch.reference_error == CRASH and crash is None:
                crash = (i, mismatch)
    return matches, crash


def _maximum_matching(
    n_expected: int, n_produced: int, result: Callable[[int, int], Mismatch | None]
) -> dict[int, int]:
    """Return a maximum bipartite matching of expected to produced calls.

    Greedy pairing is tried first: when it pairs every expected call (or every produced
    one) it is already maximum, which saves checking every pair in the usual case.
    """
    matches = _greedy(n_expected, n_produced, result)[0]
    if len(matches) == min(n_expected, n_produced):
        return matches
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    cost = np.ones((n_expected, n_produced))
    for i in range(n_expected):
        for j in range(n_produced):
            if result(i, j) is None:
                cost[i, j] = 0.0
    rows, cols = linear_sum_assignment(cost)
    return {int(i): int(j) for i, j in zip(rows, cols, strict=True) if cost[i, j] == 0.0}


def _closest(
    expected: ExpectedCall,
    produced: list[ToolCall],
    free: list[int],
    result: Callable[[int, int], Mismatch | None],
    index: int,
) -> Mismatch:
    """Return the mismatch against the first free produced call to the same tool, if any."""
    name = expected.called_name()
    for j in free:
        if produced[j].name == name:
            mismatch = result(index, j)
            if mismatch is not None:
                return mismatch
    if free:
        mismatch = result(index, free[0])
        if mismatch is not None and mismatch.category is not ErrorCategory.WRONG_TOOL:
            return mismatch
        got = ", ".join(repr(produced[j].name) for j in free)
        return Mismatch(
            "simple_function_checker:wrong_func_name",
            ErrorCategory.WRONG_TOOL,
            f"expected a call to {name!r}, got {got}",
        )
    return Mismatch("wrong_count", ErrorCategory.MISSING_CALL, f"no call to {name!r} in the output")
