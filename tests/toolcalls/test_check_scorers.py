"""The schema, sequence and state scorers on the orders example cases and on BFCL data."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from evalgauge.cases import Case
from evalgauge.errors import ScorerError
from evalgauge.scorers._base import Score
from evalgauge.scorers.toolcalls._check_scorers import ToolSchemaScorer, ToolSequenceScorer
from evalgauge.scorers.toolcalls._model import ToolCall
from evalgauge.scorers.toolcalls._specs import load_tool_specs
from tests._env import require_file
from tests.toolcalls._bfcl_answers import answer_arguments
from tests.toolcalls._orders import OPENAPI, case_rows


def _case(row: dict[str, Any]) -> Case:
    return Case(row["id"], {"prompt": row["prompt"]}, row["output"], None, row["expected"])


def _score(scorer: Any, case: Case, output: str) -> Score:
    score: Score = asyncio.run(scorer.score(case, output))
    json.dumps(score.details)  # details must be JSON-serializable
    return score


@pytest.mark.parametrize("check", ["schema", "sequence"])
def test_example_case_verdicts(check: str) -> None:
    scorer: Any = (
        ToolSchemaScorer(load_tool_specs(OPENAPI)) if check == "schema" else ToolSequenceScorer()
    )
    for row in case_rows():
        score = _score(scorer, _case(row), row["output"])
        assert score.passed is row["checks"][check], (row["id"], score.reason)
        assert score.value == (1.0 if score.passed else 0.0)
        assert score.details is not None
        expected = {c for c in row["categories"] if c != "state_mismatch"}
        if check == "schema":
            expected &= {
                "wrong_tool",
                "wrong_type",
                "wrong_value",
                "missing_required",
                "unexpected_param",
            }
        else:
            expected &= {"missing_call", "extra_call", "wrong_order"}
        assert set(score.details["categories"]) == expected, row["id"]


def test_schema_details_per_call() -> None:
    rows = {row["id"]: row for row in case_rows()}
    row = rows["new-order/wrong-type-openai"]
    score = _score(ToolSchemaScorer(load_tool_specs(OPENAPI)), _case(row), row["output"])
    assert score.details is not None
    calls = score.details["calls"]
    assert [c["passed"] for c in calls] == [True, False, True]
    (outcome,) = calls[1]["outcomes"]
    assert outcome["category"] == "wrong_type"
    assert outcome["path"] == "$.quantity"
    assert outcome["rule"] == "type"
    assert outcome["parameter"] == "quantity"


def test_sequence_details_pair_calls() -> None:
    rows = {row["id"]: row for row in case_rows()}
    row = rows["new-order/right-openai"]
    score = _score(ToolSequenceScorer(), _case(row), row["output"])
    assert score.details is not None
    assert [c["step"] for c in score.details["calls"]] == ["0.0", "1.1", "1.0"]


def test_allow_extra_sequence() -> None:
    rows = {row["id"]: row for row in case_rows()}
    row = rows["cancel/extra-lookup-openai"]
    assert _score(ToolSequenceScorer(allow_extra=True), _case(row), row["output"]).passed


def test_undecodable_output_fails() -> None:
    row = case_rows()[0]
    for scorer in (ToolSchemaScorer(load_tool_specs(OPENAPI)), ToolSequenceScorer()):
        score = _score(scorer, _case(row), "[create_order(customer=")
        assert score.passed is False
        assert score.details == {"categories": {"decode_failure": 1}, "calls": []}


def test_no_calls_schema_passes() -> None:
    score = _score(ToolSchemaScorer(load_tool_specs(OPENAPI)), _case(case_rows()[0]), "[]")
    assert score.passed is True


def test_sequence_needs_expected_calls() -> None:
    with pytest.raises(ScorerError, match="no expected calls"):
        asyncio.run(ToolSequenceScorer().score(Case("c", {}, None, None, None), "[]"))


def test_sequence_expected_as_json_text() -> None:
    expected = json.dumps({"calls": [{"name": "get_order", "arguments": {"order_id": 1}}]})
    case = Case("c", {}, None, None, expected)
    assert _score(ToolSequenceScorer(), case, "[get_order(order_id=1)]").passed


def test_sequence_with_custom_matcher() -> None:
    def same_name(model: ToolCall, expected: ToolCall) -> bool:
        return model.name == expected.name

    case = Case(
        "c", {}, None, None, {"calls": [{"name": "get_order", "arguments": {"order_id": 1}}]}
    )
    assert _score(ToolSequenceScorer(matcher=same_name), case, "[get_order(order_id=2)]").passed
    assert not _score(ToolSequenceScorer(), case, "[get_order(order_id=2)]").passed


def test_per_case_tools_missing() -> None:
    with pytest.raises(ScorerError, match="no tool list in field 'function'"):
        asyncio.run(ToolSchemaScorer(tools_field="function").score(Case("c", {}, None), "[]"))


def test_per_case_invalid_tools() -> None:
    case = Case("c", {"tools": [{"name": "f", "parameters": {"type": "nonsense"}}]}, None)
    with pytest.raises(ScorerError, match="invalid JSON Schema"):
        asyncio.run(ToolSchemaScorer().score(case, "[f()]"))


def test_bfcl_cases_per_case_tools(shared_data: Path) -> None:
    path = require_file(shared_data / "bfcl-v4" / "question" / "BFCL_v4_simple_python.json")
    answers = shared_data / "bfcl-v4" / "possible_answer" / "BFCL_v4_simple_python.json"
    truth = {e["id"]: e["ground_truth"] for e in map(json.loads, answers.read_text().splitlines())}
    scorer = ToolSchemaScorer(tools_field="function")
    passed = 0
    entries = [json.loads(line) for line in path.read_text().splitlines()][:100]
    for entry in entries:
        case = Case(entry["id"], {}, None, metadata={"function": entry["function"]})
        ((name, params),) = truth[entry["id"]][0].items()
        arguments = answer_arguments(params)
        output = json.dumps(
            [{"type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}]
        )
        passed += bool(_score(scorer, case, output).passed)
        wrong = json.dumps(
            [{"type": "function", "function": {"name": name + "_x", "arguments": "{}"}}]
        )
        assert _score(scorer, case, wrong).details["categories"] == {"wrong_tool": 1}  # type: ignore[index]
    assert passed == len(entries)
