"""The json_parse, json_schema and json_fields scorers through `evalgauge run`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from evalgauge.cases import Case
from evalgauge.config import parse_config
from evalgauge.errors import ConfigError, ScorerError
from evalgauge.scorers.structured import JsonFields, parse_field_config
from tests.cli._run import run_cli

SCHEMA = {
    "type": "object",
    "required": ["id", "total"],
    "properties": {"id": {"type": "string"}, "total": {"type": "number"}},
}
ROWS = [
    {"case": "c1", "output": '{"id": "A", "total": 10.0}', "gold": {"id": "A", "total": 10}},
    {
        "case": "c2",
        "output": '```json\n{"id": "B", "total": "7"}\n```',
        "gold": {"id": "B", "total": 7},
    },
    {"case": "c3", "output": "Sorry, I can't.", "gold": {"id": "C", "total": 1}},
    {"case": "c4", "output": '{"id": "D", "total": 4', "gold": {"id": "D", "total": 5}},
]


def _config(tmp_path: Path) -> Path:
    data = tmp_path / "cases.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in ROWS), encoding="utf-8")
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(SCHEMA), encoding="utf-8")
    config = tmp_path / "evalgauge.yaml"
    config.write_text(
        f"""
name: structured
dataset:
  path: {data}
  id: case
  output: output
  expected: gold
scorers:
  - kind: json_parse
  - kind: json_schema
    schema: {schema}
  - kind: json_fields
    fields:
      fields:
        total: {{comparator: number, abs_tol: 0.01}}
""",
        encoding="utf-8",
    )
    return config


def test_run_structured_scorers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "run", "--config", str(_config(tmp_path)), "--json")
    assert result.code == 0, result.stderr
    card = json.loads(result.stdout)
    metrics = {metric["name"]: metric for metric in card["metrics"]}
    assert metrics["json_parse"]["scored"] == 4
    assert metrics["json_parse"]["mean"] == pytest.approx(0.75)
    assert metrics["json_schema"]["mean"] == pytest.approx(0.5)
    # c1 2/2, c2 2/2 (numeric string read as a number), c3 0/2, c4 1/2.
    assert metrics["json_fields"]["mean"] == pytest.approx(5 / 8)


def test_scorer_details(tmp_path: Path) -> None:
    config = parse_config(
        {
            "dataset": {"path": str(tmp_path / "x.jsonl")},
            "scorers": [{"kind": "json_fields", "fields": {"fields": {"total": "number"}}}],
        }
    )
    from evalgauge.config._build import build_text_scorers

    (scorer,) = build_text_scorers(config.scorers)
    case = Case("c4", {}, expected='{"id": "D", "total": 5}')
    score = asyncio.run(scorer.score(case, '{"id": "D", "total": 4'))
    assert score.value == 0.5
    assert score.passed is False
    assert score.details is not None
    assert score.details["parse"]["repairs"] == ["truncated"]
    assert score.details["findings"][0]["path"] == "total"
    json.dumps(score.details)


def test_fields_gold_from_named_field() -> None:
    scorer = JsonFields(parse_field_config(None), gold_field="label_json")
    case = Case("c1", {}, metadata={"label_json": {"a": 1}})
    score = asyncio.run(scorer.score(case, '{"a": 1}'))
    assert score.passed is True


def test_fields_without_gold() -> None:
    scorer = JsonFields(parse_field_config(None))
    with pytest.raises(ScorerError, match="no gold JSON"):
        asyncio.run(scorer.score(Case("c1", {}), "{}"))


def test_schema_scorer_needs_schema(tmp_path: Path) -> None:
    config = parse_config(
        {"dataset": {"path": str(tmp_path / "x.jsonl")}, "scorers": [{"kind": "json_schema"}]}
    )
    from evalgauge.config._build import build_text_scorers

    with pytest.raises(ConfigError, match="needs `schema:`"):
        build_text_scorers(config.scorers)


def test_schema_scorer_inline(tmp_path: Path) -> None:
    config = parse_config(
        {
            "dataset": {"path": str(tmp_path / "x.jsonl")},
            "scorers": [{"kind": "json_schema", "schema": SCHEMA, "name": "invoice_schema"}],
        }
    )
    from evalgauge.config._build import build_text_scorers

    (scorer,) = build_text_scorers(config.scorers)
    assert scorer.name == "invoice_schema"
    score = asyncio.run(scorer.score(Case("c1", {}), '{"id": 3, "total": 1}'))
    assert score.passed is False
    assert score.reason == "id: 3 is not of type 'string' (type)"
    assert score.details is not None
    assert score.details["violations"] == [
        {"path": "id", "rule": "type", "message": "3 is not of type 'string'"}
    ]


def test_parse_scorer_repair_off(tmp_path: Path) -> None:
    config = parse_config(
        {
            "dataset": {"path": str(tmp_path / "x.jsonl")},
            "scorers": [{"kind": "json_parse", "repair": False}],
        }
    )
    from evalgauge.config._build import build_text_scorers

    (scorer,) = build_text_scorers(config.scorers)
    score = asyncio.run(scorer.score(Case("c1", {}), '```json\n{"a": 1}\n```'))
    assert score.passed is False
    assert score.details is not None
    assert score.details["failure"] == "unrepairable"
