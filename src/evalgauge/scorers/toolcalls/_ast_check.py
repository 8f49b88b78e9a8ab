"""Check decoded calls against a question's possible answers, BFCL's AST method, in two modes.

- `bfcl` reproduces bfcl-eval 2026.3.23's verdicts exactly: a count check per category, then
  greedy first-match pairing of parallel calls, with the reference's rules per call.
- `default` is evalgauge's corrected mode: a maximum bipartite matching of expected to
  produced calls, exact strings (NFC, trimmed), recursive type checks, and malformed output
  never counted as an abstention.

Both return a `CaseVerdict`: the case's `CheckOutcome` plus one outcome per expected call and
per unmatched produced call, so scorecards can be broken down per tool.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from evalgauge.scorers.toolcalls._bfcl_rules import (
    Mismatch,
    check_call_bfcl,
    check_call_bfcl_all,
)
from evalgauge.scorers.toolcalls._decode import Decoded, Mode
from evalgauge.scorers.toolcalls._expected import ExpectedCall, ExpectedCase
from evalgauge.scorers.toolcalls._model import CheckOutcome, ErrorCategory, ToolCall
from evalgauge.scorers.toolcalls._pairing import CRASH, CallChecker, Pairing, pair
from evalgauge.scorers.toolcalls._relevance import check_relevance
from evalgauge.scorers.toolcalls._strict_rules import (
    check_call_all,
    check_call_default,
    passes_default,
)

CHECK = "arguments"
_COUNT_ERRORS = {
    "parallel": "parallel_function_checker_no_order:wrong_count",
    "multiple": "multiple_function_checker:wrong_count",
    "simple": "simple_function_checker:wrong_count",
}
_NO_MATCH = "parallel_function_checker_no_order:cannot_find_match"
_PASSED = CheckOutcome(CHECK, True)


# Not frozen, like Case: a frozen dataclass sets each field through object.__setattr__,
# and every decoded output builds one per case. Treat it as read-only.
@dataclass(slots=True)
class CaseVerdict:
    """The verdict on one case, with per-call outcomes for per-tool breakdowns."""

    case_id: str
    mode: Mode
    outcome: CheckOutcome
    calls: tuple[CheckOutcome, ...] = ()
    """One outcome per expected call (its tool) and one EXTRA_CALL per unmatched produced call."""
    produced: tuple[ToolCall, ...] | None = None

    @property
    def passed(self) -> bool:
        return self.outcome.passed

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serializable summary: verdict, category, reference error, calls."""
        return {
            "case_id": self.case_id,
            "mode": self.mode,
            "passed": self.passed,
            "category": _name(self.outcome.category),
            "reference_error": self.outcome.reference_error,
            "detail": self.outcome.detail,
            "calls": [
                {
                    "tool": call.tool,
                    "passed": call.passed,
                    "category": _name(call.category),
                    "parameter": call.parameter,
                    "failed_parameters": call.extra.get("failed_parameters", []),
                    "detail": call.detail,
                }
                for call in self.calls
            ],
            "produced": [c.name for c in self.produced] if self.produced is not None else None,
        }


def _name(category: ErrorCategory | None) -> str | None:
    return category.value if category is not None else None


AllChecker = Callable[[ExpectedCall, ToolCall], list[Mismatch]]


def check_case(expected: ExpectedCase, decoded: Decoded, *, mode: Mode = "default") -> CaseVerdict:
    """Check one case's decoded output against its compiled possible answers."""
    kind = expected.kind
    if kind in ("irrelevance", "relevance"):
        outcome = check_relevance(kind, decoded, mode=mode)
        return CaseVerdict(expected.case_id, mode, outcome, produced=decoded.calls)
    if decoded.calls is None:
        outcome = CheckOutcome(
            CHECK,
            False,
            ErrorCategory.DECODE_FAILURE,
            decoded.reason,
            reference_error=decoded.reference_error,
        )
        return CaseVerdict(expected.case_id, mode, outcome)
    if mode == "default" and _all_in_order(expected.calls, decoded.calls):
        # Pairing would match each call with the produced call at its index, and nothing is
        # extra, so every call passes. This is the common passing case.
        passed = expected.passed_outcomes(CHECK)
        return CaseVerdict(expected.case_id, mode, _PASSED, passed, decoded.calls)
    produced = list(decoded.calls)
    checker: CallChecker = check_call_bfcl if mode == "bfcl" else check_call_default
    if mode == "bfcl":
        pairing = pair(expected.calls, produced, checker, greedy=True)
    else:
        pairing = pair(expected.calls, produced, checker, greedy=False, passes=passes_default)
    all_checker = check_call_bfcl_all if mode == "bfcl" else check_call_all
    calls = _call_outcomes(expected.calls, produced, pairing, all_checker)
    if mode == "bfcl":
        outcome = _bfcl_outcome(expected, produced, pairing)
    else:
        outcome = _default_outcome(expected, produced, calls)
    return CaseVerdict(expected.case_id, mode, outcome, tuple(calls), decoded.calls)


def _all_in_order(expected: list[ExpectedCall], produced: tuple[ToolCall, ...]) -> bool:
    """Tell whether each produced call passes the expected call at its index in `default`
    mode, with as many produced as expected calls."""
    if len(expected) != len(produced):
        return False
    for expected_call, call in zip(expected, produced, strict=True):
        if not passes_default(expected_call, call):
            return False
    return True


def _call_outcomes(
    expected: list[ExpectedCall],
    produced: list[ToolCall],
    pairing: Pairing,
    all_checker: AllChecker,
) -> list[CheckOutcome]:
    outcomes = []
    used = set(pairing.matches.values())
    for i, call in enumerate(expected):
        if i in pairing.matches:
            outcomes.append(call.passed_outcome(CHECK))
            continue
        mismatch = pairing.mismatches[i]
        outcomes.append(
            CheckOutcome(
                CHECK,
                False,
                mismatch.category,
                mismatch.detail,
                tool=_tool_name(call),
                parameter=mismatch.parameter,
                reference_error=mismatch.reference_error,
                extra={
                    "parameters": list(call.params),
                    "failed_parameters": _failed_parameters(call, produced, used, all_checker),
                },
            )
        )
    for j, extra_call in enumerate(produced):
        if j not in used and not _explains_a_miss(extra_call, expected, pairing.mismatches):
            detail = f"unexpected call to {extra_call.name!r}"
            outcomes.append(
                CheckOutcome(CHECK, False, ErrorCategory.EXTRA_CALL, detail, tool=extra_call.name)
            )
    return outcomes


def _failed_parameters(
    expected: ExpectedCall, produced: list[ToolCall], used: set[int], all_checker: AllChecker
) -> list[str]:
    """Return the parameters that fail against the first free produced call to the same tool."""
    name = expected.called_name()
    for j, call in enumerate(produced):
        if j not in used and call.name == name:
            found = all_checker(expected, call)
            return list(dict.fromkeys(m.parameter for m in found if m.parameter is not None))
    return []


def _explains_a_miss(
    call: ToolCall, expected: list[ExpectedCall], mismatches: dict[int, Mismatch]
) -> bool:
    """Return whether an unmatched produced call is a wrong try at an unmatched expected one."""
    return any(expected[i].called_name() == call.name for i in mismatches)


def _bfcl_outcome(
    expected: ExpectedCase, produced: list[ToolCall], pairing: Pairing
) -> CheckOutcome:
    kind = expected.kind
    # The reference compares counts with the ground truth's, except `simple`: exactly one.
    wanted = 1 if kind == "simple" else len(expected.calls)
    if len(produced) != wanted:
        category = _count_category(len(produced), wanted)
        detail = f"expected {wanted} call(s), got {len(produced)}"
        return CheckOutcome(CHECK, False, category, detail, reference_error=_COUNT_ERRORS[kind])
    mismatches = pairing.mismatches
    first = min(mismatches) if mismatches else len(expected.calls)
    if pairing.crash is not None and pairing.crash[0] <= first:
        first, mismatch = pairing.crash
        reference = CRASH
    elif not mismatches:
        return _PASSED
    else:
        mismatch = mismatches[first]
        reference = _NO_MATCH if kind == "parallel" else mismatch.reference_error
    return CheckOutcome(
        CHECK,
        False,
        mismatch.category,
        mismatch.detail,
        tool=_tool_name(expected.calls[first]),
        parameter=mismatch.parameter,
        reference_error=reference,
    )


def _tool_name(call: ExpectedCall) -> str:
    return call.called_name() if call.doc is not None else call.name


def _count_category(got: int, wanted: int) -> ErrorCategory:
    if got == 0:
        return ErrorCategory.NO_CALL
    return ErrorCategory.EXTRA_CALL if got > wanted else ErrorCategory.MISSING_CALL


def _default_outcome(
    expected: ExpectedCase, produced: list[ToolCall], calls: list[CheckOutcome]
) -> CheckOutcome:
    if not produced and expected.calls:
        return CheckOutcome(CHECK, False, ErrorCategory.NO_CALL, "the output has no tool call")
    for call in calls:
        if not call.passed:
            return CheckOutcome(
                CHECK, False, call.category, call.detail, tool=call.tool, parameter=call.parameter
            )
    return _PASSED
