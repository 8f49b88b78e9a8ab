"""`evalgauge structured eval` and `compare` on the shipped example and on bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli._run import Result, run_cli

EXAMPLES = Path(__file__).parents[2] / "examples" / "structured"
SCHEMA = EXAMPLES / "invoice.schema.json"
FIELDS = EXAMPLES / "fields.yaml"
GOLD = EXAMPLES / "gold.jsonl"


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _eval(capsys: pytest.CaptureFixture[str], outputs: Path, *extra: str) -> Result:
    return run_cli(
        capsys, "structured", "eval", "--outputs", str(outputs), "--gold", str(GOLD), *extra
    )


def test_eval_example_json(capsys: pytest.CaptureFixture[str]) -> None:
    result = _eval(
        capsys,
        EXAMPLES / "free_text.jsonl",
        "--schema",
        str(SCHEMA),
        "--fields",
        str(FIELDS),
        "--json",
    )
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    parse = report["parse"]
    assert report["records"] == 120
    assert parse["strict"] + parse["repaired"] + parse["failed"] == 120
    assert parse["repairs"]["code_fence"] > 0
    assert parse["repairs"]["prose"] > 0
    assert parse["failures"] == {"no_json": 1}
    assert 0 < report["schema"]["valid_rate"] < 1
    assert report["fields"]["line_items[].sku"]["total"] > 120
    assert 0 < report["exact_record_rate"] < 1
    assert report["examples"]["parse"][0]["reason"]


def test_eval_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    result = _eval(capsys, EXAMPLES / "json_mode.jsonl", "--fields", str(FIELDS))
    assert result.code == 0, result.stderr
    assert "parse   strict" in result.stdout
    assert "line_items[].quantity" in result.stdout


def test_eval_pydantic_model(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    outputs = _write(
        tmp_path / "out.jsonl",
        [
            {"id": "1", "output": '{"invoice_id": "A", "issued_on": "2026-01-02", "items": []}'},
            {"id": "2", "output": '{"invoice_id": "B", "issued_on": "later", "items": []}'},
        ],
    )
    gold = _write(
        tmp_path / "gold.jsonl",
        [
            {"id": "1", "expected": {"invoice_id": "A"}},
            {"id": "2", "expected": {"invoice_id": "B"}},
        ],
    )
    result = run_cli(
        capsys,
        "structured",
        "eval",
        "--outputs",
        str(outputs),
        "--gold",
        str(gold),
        "--model",
        "tests.structured._models:Invoice",
        "--json",
    )
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["schema"]["valid"] == 1
    assert report["schema"]["top_violations"] == {"issued_on date_from_datetime_parsing": 1}


def test_compare_variants(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(
        capsys,
        "structured",
        "compare",
        "--variant",
        f"json_mode={EXAMPLES / 'json_mode.jsonl'}",
        "--variant",
        f"free_text={EXAMPLES / 'free_text.jsonl'}",
        "--gold",
        str(GOLD),
        "--schema",
        str(SCHEMA),
        "--fields",
        str(FIELDS),
        "--json",
    )
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["variants"]) == {"json_mode", "free_text"}
    pair = report["comparisons"][0]
    assert (pair["base"], pair["candidate"]) == ("json_mode", "free_text")
    assert pair["paired_cases"] == 120
    strict = pair["metrics"]["strict"]
    assert strict["delta"] < 0
    assert strict["ci"][1] < 0
    assert strict["test"].startswith("mcnemar")
    accuracy = pair["metrics"]["accuracy"]
    assert accuracy["ci"][0] <= accuracy["delta"] <= accuracy["ci"][1]
    assert accuracy["test"] == "wilcoxon"


def test_compare_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(
        capsys,
        "structured",
        "compare",
        "--variant",
        f"a={EXAMPLES / 'json_mode.jsonl'}",
        "--variant",
        f"b={EXAMPLES / 'free_text.jsonl'}",
        "--gold",
        str(GOLD),
    )
    assert result.code == 0, result.stderr
    assert "b - a on 120 paired cases" in result.stdout


def test_compare_one_variant(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(
        capsys,
        "structured",
        "compare",
        "--variant",
        f"a={EXAMPLES / 'json_mode.jsonl'}",
        "--gold",
        str(GOLD),
    )
    assert result.code == 2
    assert "at least two variants" in result.stderr


def test_gold_missing_ids(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    outputs = _write(
        tmp_path / "out.jsonl",
        [{"id": "1", "output": '{"a": 1}'}, {"id": "2", "output": '{"a": 2}'}],
    )
    gold = _write(
        tmp_path / "gold.jsonl",
        [{"id": "1", "expected": {"a": 1}}, {"id": "3", "expected": {"a": 3}}],
    )
    result = run_cli(
        capsys, "structured", "eval", "--outputs", str(outputs), "--gold", str(gold), "--json"
    )
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["errors"] == 1
    assert report["examples"]["error"][0] == {"id": "2", "reason": "no gold record for id '2'"}
    assert report["gold_without_output"] == 1
    assert report["records_with_gold"] == 1
    text = run_cli(capsys, "structured", "eval", "--outputs", str(outputs), "--gold", str(gold))
    assert "error on id '2': no gold record for id '2'" in text.stdout


@pytest.mark.parametrize(
    ("gold_rows", "message"),
    [
        ([{"expected": {"a": 1}}], "line 1, field 'id': missing id"),
        ([{"id": "1"}], "field 'expected': missing gold value"),
        ([{"id": "1", "expected": 1}, {"id": "1", "expected": 2}], "duplicate id '1'"),
    ],
)
def test_bad_gold_file(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    gold_rows: list[dict[str, Any]],
    message: str,
) -> None:
    outputs = _write(tmp_path / "out.jsonl", [{"id": "1", "output": "{}"}])
    gold = _write(tmp_path / "gold.jsonl", gold_rows)
    result = run_cli(capsys, "structured", "eval", "--outputs", str(outputs), "--gold", str(gold))
    assert result.code == 2
    assert message in result.stderr


def test_invalid_schema_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    schema = tmp_path / "bad.json"
    schema.write_text('{"type": "objekt"}', encoding="utf-8")
    result = _eval(capsys, EXAMPLES / "json_mode.jsonl", "--schema", str(schema))
    assert result.code == 2
    assert "invalid JSON Schema" in result.stderr


def test_unknown_comparator_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    fields = tmp_path / "fields.yaml"
    fields.write_text("fields:\n  total: fuzzy\n", encoding="utf-8")
    result = _eval(capsys, EXAMPLES / "json_mode.jsonl", "--fields", str(fields))
    assert result.code == 2
    assert "unknown comparator 'fuzzy'" in result.stderr
    assert "exact, text, number" in result.stderr


def test_unused_field_warning(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    fields = tmp_path / "fields.yaml"
    fields.write_text("fields:\n  totl: number\n", encoding="utf-8")
    result = _eval(capsys, EXAMPLES / "json_mode.jsonl", "--fields", str(fields), "--json")
    assert result.code == 0
    assert "field config path 'totl' matched no gold field" in result.stderr


def test_hostile_outputs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rows = [
        {"id": "deep", "output": "[" * 100_000},
        {"id": "deep-valid", "output": "[" * 1000 + "]" * 1000},
        {"id": "huge", "output": json.dumps({"a": "x" * 3_000_000})},
        {"id": "garbage", "output": "\x00\x01 not json at all"},
        {"id": "object", "output": {"a": 1}},
        {"id": "null", "output": None},
    ]
    outputs = _write(tmp_path / "out.jsonl", rows)
    gold = _write(tmp_path / "gold.jsonl", [{"id": r["id"], "expected": {"a": 1}} for r in rows])
    result = run_cli(
        capsys, "structured", "eval", "--outputs", str(outputs), "--gold", str(gold), "--json"
    )
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["records"] == 6
    assert report["parse"]["failures"] == {"too_deep": 1, "no_json": 1, "empty": 1}
    assert report["exact_record_rate"] == pytest.approx(1 / 6)


def test_workers_same_report(capsys: pytest.CaptureFixture[str]) -> None:
    reports = []
    for workers in ("1", "2"):
        result = _eval(
            capsys,
            EXAMPLES / "free_text.jsonl",
            "--fields",
            str(FIELDS),
            "--schema",
            str(SCHEMA),
            "--workers",
            workers,
            "--json",
        )
        assert result.code == 0, result.stderr
        reports.append(json.loads(result.stdout))
    assert reports[0] == reports[1]


def test_pool_chunks_merge() -> None:
    from evalgauge.scorers.structured import (
        StructuredEvaluator,
        build_schema_check,
        load_field_config,
        read_gold,
        score_file,
    )
    from evalgauge.scorers.structured._files import DEFAULT_FIELDS

    evaluator = StructuredEvaluator(
        schema=build_schema_check(SCHEMA), fields=load_field_config(FIELDS)
    )
    gold = read_gold(GOLD, DEFAULT_FIELDS)
    outputs = EXAMPLES / "free_text.jsonl"
    one = score_file(outputs, evaluator, gold, workers=1)
    pooled = score_file(outputs, evaluator, gold, workers=2, chunk_lines=7)
    schema = evaluator.schema is not None
    assert one.accumulator.summary(evaluator.plan, schema=schema) == pooled.accumulator.summary(
        evaluator.plan, schema=schema
    )
    assert pooled.accumulator.ids == one.accumulator.ids


def test_pool_bad_line(tmp_path: Path) -> None:
    from evalgauge.errors import UsageError
    from evalgauge.scorers.structured import StructuredEvaluator, score_file

    outputs = tmp_path / "out.jsonl"
    outputs.write_text('{"id": "1", "output": "{}"}\n{"id": "2"}\n', encoding="utf-8")
    with pytest.raises(UsageError, match="line 2, field 'output': missing output"):
        score_file(outputs, StructuredEvaluator(), {}, workers=2, chunk_lines=1)
