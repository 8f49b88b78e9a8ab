"""Relevance checks: should the model have called a tool at all?

`irrelevance` cases pass when no call is made; `relevance` cases pass when at least one call
is made, whatever its arguments. In `bfcl` mode a decode failure counts as "no call", so a
malformed call passes an irrelevance case, as in bfcl-eval 2026.3.23. In `default` mode a
decode failure of something that reads as a call fails with DECODE_FAILURE, and only prose
(or an empty list) counts as an abstention.
"""

from __future__ import annotations

from evalgauge.scorers.toolcalls._decode import Decoded, Mode
from evalgauge.scorers.toolcalls._model import CheckOutcome, ErrorCategory

CHECK = "relevance"
IRRELEVANCE_ERROR = "irrelevance_error:decoder_success"
RELEVANCE_ERROR = "relevance_error:decoder_failed"
_PASSED = CheckOutcome(CHECK, True)


def check_relevance(kind: str, decoded: Decoded, *, mode: Mode = "default") -> CheckOutcome:
    """Check an `irrelevance` or `relevance` case."""
    has_call = decoded.calls is not None and len(decoded.calls) > 0
    malformed = decoded.calls is None and decoded.attempted_call
    if kind == "irrelevance":
        return _irrelevance(decoded, has_call, malformed, mode)
    if has_call:
        return _PASSED
    category = ErrorCategory.DECODE_FAILURE if malformed else ErrorCategory.NO_CALL
    detail = decoded.reason or "the output has no tool call"
    return CheckOutcome(CHECK, False, category, detail, reference_error=RELEVANCE_ERROR)


def _irrelevance(decoded: Decoded, has_call: bool, malformed: bool, mode: Mode) -> CheckOutcome:
    if has_call:
        assert decoded.calls is not None
        names = ", ".join(repr(call.name) for call in decoded.calls)
        return CheckOutcome(
            CHECK,
            False,
            ErrorCategory.IRRELEVANT_CALL,
            f"no tool fits the request, but the output calls {names}",
            tool=decoded.calls[0].name,
            reference_error=IRRELEVANCE_ERROR,
        )
    if mode == "default" and malformed:
        return CheckOutcome(
            CHECK,
            False,
            ErrorCategory.DECODE_FAILURE,
            f"malformed tool call, not an abstention: {decoded.reason}",
            reference_error=decoded.reference_error,
        )
    return _PASSED
