"""`ToolCallScorer`: the engine's scorer for tool calls, BFCL's AST method per case."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from evalgauge.cases import Case
from evalgauge.errors import ScorerError
from evalgauge.scorers._base import Score
from evalgauge.scorers.toolcalls._ast_check import check_case
from evalgauge.scorers.toolcalls._bfcl_data import ground_truth_calls, language_of
from evalgauge.scorers.toolcalls._decode import Mode, decode_output, decode_python_calls
from evalgauge.scorers.toolcalls._decode_source import decode_source_calls
from evalgauge.scorers.toolcalls._expected import ExpectedCase, compile_case


class ToolCallScorer:
    """Decode a model's output into calls and check them against the case's possible answers.

    The case supplies, by field name: the offered function docs (`tools_field`), the possible
    answers in BFCL's form, a list of `{tool: {param: [acceptable values]}}` (`expected_field`,
    else `Case.expected`), and optionally a BFCL category (`category_field`). With no category,
    an empty answer list means no call is correct, and otherwise the calls are order-free.
    """

    def __init__(
        self,
        name: str = "tool_calls",
        *,
        mode: Mode = "default",
        expected_field: str = "expected_calls",
        tools_field: str = "tools",
        category_field: str = "category",
        underscore_to_dot: bool = False,
    ) -> None:
        self.name = name
        self.mode: Mode = mode
        self.expected_field = expected_field
        self.tools_field = tools_field
        self.category_field = category_field
        self.underscore_to_dot = underscore_to_dot
        self._compiled: dict[str, ExpectedCase] = {}

    def identity(self) -> dict[str, str]:
        return {"scorer": "tool_calls", "mode": self.mode}

    async def score(self, case: Case, output: str) -> Score:
        return self.score_now(case, output)

    def score_now(self, case: Case, output: str) -> Score:
        expected = self._compile(case)
        if expected.language != "python":
            decoded = decode_source_calls(output, expected.language, mode=self.mode)
        elif self.mode == "bfcl":
            decoded = decode_python_calls(output, mode="bfcl")
            if not decoded.ok and output.strip()[:1] in ("[", "{"):
                decoded = decode_output(output, mode="bfcl")
        else:
            decoded = decode_output(output, mode="default")
        verdict = check_case(expected, decoded, mode=self.mode)
        outcome = verdict.outcome
        reason = None if outcome.passed else f"{outcome.category}: {outcome.detail}"
        return Score(
            self.name,
            1.0 if outcome.passed else 0.0,
            passed=outcome.passed,
            reason=reason,
            details=verdict.to_dict(),
        )

    def _compile(self, case: Case) -> ExpectedCase:
        docs = case.field(self.tools_field)
        truth = case.field(self.expected_field)
        if truth is None:
            truth = case.expected
        if not isinstance(docs, list) or not all(isinstance(d, dict) for d in docs):
            raise ScorerError(
                f"case {case.case_id!r}: field {self.tools_field!r} must be a list of function"
                f" docs, got {type(docs).__name__}; map the tool definitions to it"
            )
        if not isinstance(truth, (list, dict)):
            raise ScorerError(
                f"case {case.case_id!r}: field {self.expected_field!r} must hold the possible"
                f" answers as a list of {{tool: {{param: [values]}}}}, got {type(truth).__name__}"
            )
        key = _cache_key(case.case_id, docs, truth)
        compiled = self._compiled.get(key)
        if compiled is None:
            calls = ground_truth_calls(truth, docs)
            category = case.field(self.category_field) or (
                "irrelevance" if not calls else "parallel"
            )
            compiled = compile_case(
                case.case_id,
                str(category),
                docs,
                calls,
                language=language_of(str(category)),
                underscore_to_dot=self.underscore_to_dot,
            )
            self._compiled[key] = compiled
        return compiled


def _cache_key(case_id: str, docs: Any, truth: Any) -> str:
    # Keyed by content too, so two datasets reusing an id never share compiled answers.
    digest = hashlib.sha1(json.dumps([docs, truth], sort_keys=True, default=str).encode())
    return f"{case_id}:{digest.hexdigest()}"
