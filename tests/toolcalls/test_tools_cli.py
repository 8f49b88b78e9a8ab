"""`evalgauge tools eval` on the BFCL v1 files as they are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests._env import require_file, shared_data_dir
from tests.cli._run import Result, run_cli

FC_MODEL = "gpt-4o-2024-08-06-FC"
PROMPT_MODEL = "gpt-4o-mini-2024-07-18"


@pytest.fixture(scope="module")
def v1() -> Path:
    return require_file(shared_data_dir() / "bfcl-v1-model-outputs")


def _eval(capsys: pytest.CaptureFixture[str], v1: Path, outputs: Path, *extra: str) -> Result:
    return run_cli(
        capsys,
        "tools",
        "eval",
        "--questions",
        str(v1 / "question"),
        "--answers",
        str(v1 / "possible_answer"),
        "--outputs",
        str(outputs),
        *extra,
    )


def test_eval_json_scorecard(capsys: pytest.CaptureFixture[str], v1: Path) -> None:
    result = _eval(capsys, v1, v1 / "result" / FC_MODEL, "--mode", "bfcl", "--json")
    assert result.code == 0, result.stderr
    card = json.loads(result.stdout)
    assert card["overall"]["n"] == 1240
    assert card["overall"]["passed"] == 1113
    assert card["categories"]["relevance"]["n"] == 240
    low, high = card["overall"]["ci95"]
    assert low < card["overall"]["accuracy"] < high
    assert card["errors"]["irrelevant_call"] == 29
    assert "spotify_play" in card["tools"]
    assert card["usage"]["latency_s"]["p95"] > card["usage"]["latency_s"]["p50"] > 0
    assert card["usage"]["cost_usd"] > 0
    assert "Tool calls by category" in result.stderr


def test_eval_result_root_scores_each_model(capsys: pytest.CaptureFixture[str], v1: Path) -> None:
    result = _eval(capsys, v1, v1 / "result", "--mode", "bfcl", "--json")

    assert result.code == 0, result.stderr
    cards = json.loads(result.stdout)["models"]
    assert sorted(cards) == [FC_MODEL, PROMPT_MODEL]
    assert cards[FC_MODEL]["overall"]["passed"] == 1113
    assert cards[PROMPT_MODEL]["overall"]["passed"] == 1090


def test_eval_result_root_rejects_model(capsys: pytest.CaptureFixture[str], v1: Path) -> None:
    result = _eval(capsys, v1, v1 / "result", "--model", FC_MODEL)

    assert result.code == 2
    assert "contains the results of 2 models" in result.stderr


def test_eval_category_default(capsys: pytest.CaptureFixture[str], v1: Path) -> None:
    outputs = (
        v1 / "result" / PROMPT_MODEL / "gorilla_openfunctions_v1_test_parallel_function_result.json"
    )
    result = _eval(capsys, v1, outputs, "--category", "parallel_function", "--json")
    assert result.code == 0, result.stderr
    card = json.loads(result.stdout)
    assert card["mode"] == "default"
    assert list(card["categories"]) == ["parallel_function"]
    assert card["categories"]["parallel_function"]["n"] == 200
    tool = card["tools"]["spotify.play"]
    assert tool["precision"] == 1.0
    assert "artist" in tool["parameters"]


def test_missing_pair_is_case_error(
    capsys: pytest.CaptureFixture[str], v1: Path, tmp_path: Path
) -> None:
    outputs = tmp_path / PROMPT_MODEL
    outputs.mkdir()
    rows = [
        {"id": "simple_0", "result": "[calculate_triangle_area(base=10, height=5)]"},
        {"id": "simple_99999", "result": "[f(a=1)]"},
    ]
    (outputs / "r.json").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = _eval(capsys, v1, outputs, "--json")
    assert result.code == 0, result.stderr
    card = json.loads(result.stdout)
    assert card["overall"]["n"] == 2
    assert card["case_errors"] == [{"id": "simple_99999", "error": "no question with this id"}]
    assert card["usage"]["cost_usd"] is None
    assert card["usage"]["cost_note"] == (
        f"unpriced for model {PROMPT_MODEL!r}: usage reports no token counts"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--mode", "strict"), "unknown --mode 'strict'"),
        (("--outputs", "/nonexistent/results"), "--outputs /nonexistent/results: file or folder"),
    ],
)
def test_usage_errors(
    capsys: pytest.CaptureFixture[str], v1: Path, args: tuple[str, ...], message: str
) -> None:
    result = _eval(capsys, v1, v1 / "result" / FC_MODEL, *args)
    assert result.code == 2
    assert message in result.stderr


def test_invalid_json_line(capsys: pytest.CaptureFixture[str], v1: Path, tmp_path: Path) -> None:
    outputs = tmp_path / "broken.json"
    outputs.write_text('{"id": "simple_0", "result": "[f(a=1)]"}\n{"id": "simple_1", \n')
    result = _eval(capsys, v1, outputs)
    assert result.code == 2
    assert f"{outputs}, line 2: invalid JSON" in result.stderr


def test_duplicate_output_id_rejected(
    capsys: pytest.CaptureFixture[str], v1: Path, tmp_path: Path
) -> None:
    outputs = tmp_path / PROMPT_MODEL
    outputs.mkdir()
    row = json.dumps({"id": "simple_0", "result": "[f(a=1)]"})
    (outputs / "r.json").write_text(f"{row}\n{row}\n")

    result = _eval(capsys, v1, outputs)

    assert result.code == 2
    assert "line 2, field 'id': duplicate id 'simple_0'" in result.stderr


def test_unpriced_model_names_flag(
    capsys: pytest.CaptureFixture[str], v1: Path, tmp_path: Path
) -> None:
    outputs = tmp_path / "my-results"
    outputs.mkdir()
    row = {"id": "simple_0", "result": "[f(a=1)]", "input_token_count": 10, "output_token_count": 5}
    (outputs / "r.json").write_text(json.dumps(row) + "\n")

    result = _eval(capsys, v1, outputs, "--json")

    note = json.loads(result.stdout)["usage"]["cost_note"]
    assert note.startswith("unpriced for model 'my-results'")
    assert note.endswith("pass the model's name with --model")
