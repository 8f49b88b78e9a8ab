"""Score BFCL result files against their questions and possible answers, pairing by `id`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from evalgauge.scorers.toolcalls._ast_check import CaseVerdict, check_case
from evalgauge.scorers.toolcalls._bfcl_data import (
    BfclQuestion,
    BfclResult,
    ground_truth_calls,
    language_of,
)
from evalgauge.scorers.toolcalls._bfcl_types import Language
from evalgauge.scorers.toolcalls._decode import (
    Decoded,
    Mode,
    decode_bfcl_fc,
    decode_output,
    decode_python_calls,
)
from evalgauge.scorers.toolcalls._decode_source import decode_source_calls
from evalgauge.scorers.toolcalls._expected import ExpectedCase, category_kind, compile_case


@dataclass(frozen=True, slots=True)
class ScoredCase:
    """One result scored, or the reason it could not be (`error`, e.g. no matching question)."""

    case_id: str
    category: str
    result: BfclResult | None
    verdict: CaseVerdict | None = None
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.verdict is not None and self.verdict.passed


def is_fc_model(model: str) -> bool:
    """Return whether a BFCL model name is a native function-calling one (`-FC` suffix)."""
    return model.endswith("-FC")


def decode_result(result: Any, *, model: str, mode: Mode, language: Language = "python") -> Decoded:
    """Decode a BFCL result as bfcl-eval's handler for that model would, or generally.

    In `bfcl` mode, `-FC` models go through the function-calling decoder and others through
    the prompting decoder of the question's language. In `default` mode the shape is
    detected from the value, and Java or JavaScript strings go through the source decoder.
    """
    if language != "python" and isinstance(result, str) and not is_fc_model(model):
        return decode_source_calls(result, language, mode=mode)
    if mode == "default":
        return decode_output(result, mode="default")
    if is_fc_model(model):
        return decode_bfcl_fc(result)
    return decode_python_calls(result, mode="bfcl")


def compile_question(
    question: BfclQuestion, truth: Any, *, underscore_to_dot: bool
) -> ExpectedCase:
    calls = [] if truth is None else ground_truth_calls(truth, question.docs)
    return compile_case(
        question.case_id,
        question.category,
        question.docs,
        calls,
        language=language_of(question.category),
        underscore_to_dot=underscore_to_dot,
    )


def score_results(
    questions: dict[str, BfclQuestion],
    answers: dict[str, Any],
    results: Iterable[BfclResult],
    *,
    mode: Mode,
    category: str | None = None,
) -> list[ScoredCase]:
    """Score each result; a result without its question or possible answer becomes an error."""
    scored = []
    compiled: dict[tuple[str, bool], ExpectedCase] = {}
    for result in results:
        question = questions.get(result.case_id)
        case_category = question.category if question else result.case_id.rsplit("_", 1)[0]
        if category is not None and case_category != category:
            continue
        if question is None:
            scored.append(_error(result, case_category, "no question with this id"))
            continue
        needs_answer = category_kind(question.category) not in ("irrelevance", "relevance")
        truth = answers.get(result.case_id)
        if needs_answer and truth is None:
            scored.append(_error(result, case_category, "no possible answer with this id"))
            continue
        fc = is_fc_model(result.model)
        key = (result.case_id, fc)
        if key not in compiled:
            compiled[key] = compile_question(question, truth, underscore_to_dot=fc)
        case = compiled[key]
        decoded = decode_result(
            result.result, model=result.model, mode=mode, language=case.language
        )
        verdict = check_case(case, decoded, mode=mode)
        scored.append(ScoredCase(result.case_id, case_category, result, verdict))
    return scored


def _error(result: BfclResult, category: str, reason: str) -> ScoredCase:
    return ScoredCase(result.case_id, category, result, error=reason)
