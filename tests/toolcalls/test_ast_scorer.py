"""`ToolCallScorer` on cases built from real BFCL v4 questions."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from evalgauge.cases import Case
from evalgauge.errors import ScorerError
from evalgauge.scorers.toolcalls._scorer import ToolCallScorer
from tests._env import require_file, shared_data_dir


def _first(path: Path, case_id: str) -> dict[str, Any]:
    for line in path.read_text().splitlines():
        entry: dict[str, Any] = json.loads(line)
        if entry["id"] == case_id:
            return entry
    raise AssertionError(case_id)


@pytest.fixture(scope="module")
def parallel_case() -> Case:
    root = require_file(shared_data_dir() / "bfcl-v4")
    question = _first(root / "question" / "BFCL_v4_parallel.json", "parallel_0")
    answer = _first(root / "possible_answer" / "BFCL_v4_parallel.json", "parallel_0")
    return Case(
        "parallel_0",
        inputs={"question": question["question"][0][0]["content"]},
        metadata={"tools": question["function"], "expected_calls": answer["ground_truth"]},
    )


def _score(scorer: ToolCallScorer, case: Case, output: str) -> Any:
    return asyncio.run(scorer.score(case, output))


def test_scorer_passes_swapped(parallel_case: Case) -> None:
    output = (
        "[spotify.play(artist='Maroon 5', duration=15),"
        " spotify.play(artist='Taylor Swift', duration=20)]"
    )
    score = _score(ToolCallScorer(), parallel_case, output)
    assert score.passed is True
    assert score.value == 1.0
    assert [call["tool"] for call in score.details["calls"]] == ["spotify.play"] * 2
    json.dumps(score.details)


def test_scorer_native_wrong_value(parallel_case: Case) -> None:
    tool_calls = [
        {
            "function": {
                "name": "spotify.play",
                "arguments": '{"artist": "Taylor Swift", "duration": 20}',
            }
        },
        {
            "function": {
                "name": "spotify.play",
                "arguments": '{"artist": "Maroon 5", "duration": 99}',
            }
        },
    ]
    score = _score(ToolCallScorer(), parallel_case, json.dumps(tool_calls))
    assert score.passed is False
    assert score.details["category"] == "wrong_value"
    failed = [call for call in score.details["calls"] if not call["passed"]]
    assert failed[0]["parameter"] == "duration"


def test_scorer_decode_failure(parallel_case: Case) -> None:
    score = _score(ToolCallScorer(mode="bfcl"), parallel_case, "[spotify.play(artist='x'")
    assert score.passed is False
    assert score.details["category"] == "decode_failure"
    assert score.details["reference_error"] == "ast_decoder:decoder_failed"


def test_scorer_missing_field() -> None:
    case = Case("c1", inputs={"question": "hi"}, metadata={"expected_calls": []})
    with pytest.raises(ScorerError, match="field 'tools' must be a list of function docs"):
        _score(ToolCallScorer(), case, "[]")
