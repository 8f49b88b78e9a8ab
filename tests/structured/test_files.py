"""Errors for bad outputs and gold files: the file line, the encoding, ids and empty files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evalgauge.errors import DatasetError
from evalgauge.scorers.structured import StructuredEvaluator, read_gold, score_file
from evalgauge.scorers.structured._files import DEFAULT_FIELDS
from tests.cli._run import Result, run_cli

BIG_LINES = 30_000
BAD_LINE = 25_001
TRUNCATED = '{"id": "r25000", "output": '


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _big_file(path: Path, row: str, bad: str) -> Path:
    """Write BIG_LINES lines of `row` formatted with the line index, with `bad` at BAD_LINE."""
    lines = [row.format(index) for index in range(BIG_LINES)]
    lines[BAD_LINE - 1] = bad
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _eval(capsys: pytest.CaptureFixture[str], outputs: Path, gold: Path, *extra: str) -> Result:
    return run_cli(
        capsys, "structured", "eval", "--outputs", str(outputs), "--gold", str(gold), *extra
    )


@pytest.fixture(scope="module")
def big_outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "outputs.jsonl"
    return _big_file(path, '{{"id": "r{}", "output": "{{}}"}}', TRUNCATED)


@pytest.mark.parametrize("workers", [None, 1, 2, 4])
def test_big_outputs_bad_line_number(big_outputs: Path, workers: int | None) -> None:
    with pytest.raises(DatasetError) as caught:
        score_file(big_outputs, StructuredEvaluator(), None, workers=workers)
    assert caught.value.line == BAD_LINE
    assert caught.value.path == str(big_outputs)
    assert f"line {BAD_LINE}: invalid JSON: unexpected end of data" in str(caught.value)


@pytest.mark.parametrize("workers", [None, 1, 4])
def test_big_outputs_missing_output_line(tmp_path: Path, workers: int | None) -> None:
    outputs = _big_file(
        tmp_path / "outputs.jsonl", '{{"id": "r{}", "output": "{{}}"}}', '{"id": "r25000"}'
    )
    with pytest.raises(DatasetError) as caught:
        score_file(outputs, StructuredEvaluator(), None, workers=workers)
    assert caught.value.line == BAD_LINE
    assert caught.value.field == "output"


def test_big_outputs_cli_line_number(capsys: pytest.CaptureFixture[str], big_outputs: Path) -> None:
    gold = _write(big_outputs.parent / "gold.jsonl", [{"id": "r0", "expected": {}}])
    for extra in ((), ("--workers", "1"), ("--workers", "4")):
        result = _eval(capsys, big_outputs, gold, *extra)
        assert result.code == 2, extra
        assert f"{big_outputs}, line {BAD_LINE}: invalid JSON" in result.stderr, extra


def test_big_gold_bad_line_number(tmp_path: Path) -> None:
    gold = _big_file(tmp_path / "gold.jsonl", '{{"id": "r{}", "expected": {{}}}}', TRUNCATED)
    with pytest.raises(DatasetError) as caught:
        read_gold(gold, DEFAULT_FIELDS)
    assert caught.value.line == BAD_LINE


@pytest.mark.parametrize("workers", [1, 2])
def test_latin1_byte_in_outputs(tmp_path: Path, workers: int) -> None:
    outputs = tmp_path / "outputs.jsonl"
    outputs.write_bytes(b'{"id": "a", "output": "{}"}\n{"id": "b", "output": "caf\xe9"}\n')
    with pytest.raises(DatasetError) as caught:
        score_file(outputs, StructuredEvaluator(), None, workers=workers, chunk_lines=1)
    message = str(caught.value)
    assert caught.value.line == 2
    assert caught.value.path == str(outputs)
    assert "not valid UTF-8: byte 0xe9 at byte 27 of the line" in message
    assert "iconv -f latin1 -t utf-8" in message
    assert "surrogates" not in message


def test_latin1_byte_in_gold(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_bytes(b'{"id": "caf\xe9", "expected": {}}\n')
    with pytest.raises(DatasetError) as caught:
        read_gold(gold, DEFAULT_FIELDS)
    assert caught.value.line == 1
    assert "byte 0xe9 at byte 12 of the line" in str(caught.value)


def test_utf8_byte_order_mark_accepted(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs.jsonl"
    outputs.write_bytes(b'\xef\xbb\xbf{"id": "a", "output": "{}"}\n')
    gold = tmp_path / "gold.jsonl"
    gold.write_bytes(b'\xef\xbb\xbf{"id": "a", "expected": {}}\n')
    run = score_file(outputs, StructuredEvaluator(), read_gold(gold, DEFAULT_FIELDS))
    assert run.accumulator.ids == ["a"]
    assert run.gold_without_output == 0


@pytest.mark.parametrize("workers", [1, 2])
def test_duplicate_output_id_lines(tmp_path: Path, workers: int) -> None:
    rows = [{"id": "a", "output": "{}"}, {"id": "b", "output": "{}"}, {"id": "a", "output": "{}"}]
    outputs = _write(tmp_path / "outputs.jsonl", rows)
    with pytest.raises(DatasetError) as caught:
        score_file(outputs, StructuredEvaluator(), None, workers=workers, chunk_lines=1)
    assert caught.value.line == 3
    assert "duplicate id 'a', first used on line 1" in str(caught.value)


def test_duplicate_gold_id_lines(tmp_path: Path) -> None:
    rows: list[dict[str, Any]] = [
        {"id": 7, "expected": {}},
        {"id": "x", "expected": {}},
        {"id": "7", "expected": {}},
    ]
    gold = _write(tmp_path / "gold.jsonl", rows)
    with pytest.raises(DatasetError) as caught:
        read_gold(gold, DEFAULT_FIELDS)
    assert caught.value.line == 3
    assert "duplicate id '7', first used on line 1" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "found"),
    [({"k": 1}, "an object"), ([1], "an array"), (True, "a boolean"), (None, "null")],
)
def test_id_wrong_type(tmp_path: Path, value: Any, found: str) -> None:
    outputs = _write(tmp_path / "outputs.jsonl", [{"id": value, "output": "{}"}])
    with pytest.raises(DatasetError) as caught:
        score_file(outputs, StructuredEvaluator(), None)
    message = str(caught.value)
    assert caught.value.field == "id"
    assert f"the id must be a string or a number, found {found}" in message
    assert "--id-field" in message


def test_number_ids_accepted(tmp_path: Path) -> None:
    outputs = _write(
        tmp_path / "outputs.jsonl", [{"id": 1, "output": "{}"}, {"id": 2.5, "output": "{}"}]
    )
    run = score_file(outputs, StructuredEvaluator(), None)
    assert run.accumulator.ids == ["1", "2.5"]


def test_line_not_object(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs.jsonl"
    outputs.write_text('{"id": "a", "output": "{}"}\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(DatasetError) as caught:
        score_file(outputs, StructuredEvaluator(), None)
    assert caught.value.line == 2
    assert "expected a JSON object, found an array" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "found"), [("", "is empty"), ("\n  \n", "contains only blank lines")]
)
def test_eval_empty_outputs_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, found: str
) -> None:
    outputs = tmp_path / "outputs.jsonl"
    outputs.write_text(text, encoding="utf-8")
    gold = _write(tmp_path / "gold.jsonl", [{"id": "a", "expected": {}}])
    result = _eval(capsys, outputs, gold)
    assert result.code == 2
    assert f"{outputs}: no records: the file {found}" in result.stderr
    assert 'Add one JSON object per case, such as {"id": "case-1", "output": "..."}' in (
        result.stderr
    )
    assert "0 records" not in result.stdout


def test_eval_empty_gold_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    outputs = _write(tmp_path / "outputs.jsonl", [{"id": "a", "output": "{}"}])
    gold = tmp_path / "gold.jsonl"
    gold.write_text("", encoding="utf-8")
    result = _eval(capsys, outputs, gold, "--gold-field", "gold")
    assert result.code == 2
    assert f"{gold}: no records: the file is empty" in result.stderr
    assert '{"id": "case-1", "gold": {}}' in result.stderr


def test_compare_no_shared_ids_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    first = _write(tmp_path / "a.jsonl", [{"id": "a1", "output": "{}"}])
    second = _write(tmp_path / "b.jsonl", [{"id": "b1", "output": "{}"}])
    gold = _write(
        tmp_path / "gold.jsonl", [{"id": "a1", "expected": {}}, {"id": "b1", "expected": {}}]
    )
    result = run_cli(
        capsys,
        "structured",
        "compare",
        "--variant",
        f"json_mode={first}",
        "--variant",
        f"free_text={second}",
        "--gold",
        str(gold),
    )
    assert result.code == 2
    assert f"variants 'json_mode' ({first}) and 'free_text' ({second}) have no case id" in (
        result.stderr
    )
    assert "--id-field" in result.stderr
    assert result.stdout == ""


def test_eval_missing_outputs_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    gold = _write(tmp_path / "gold.jsonl", [{"id": "a", "expected": {}}])
    result = _eval(capsys, tmp_path / "absent.jsonl", gold)
    assert result.code == 2
    assert f"{tmp_path / 'absent.jsonl'}: file not found. Check the path." in result.stderr


def test_eval_no_matching_ids_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    outputs = _write(tmp_path / "outs.jsonl", [{"id": "x1", "output": "{}"}])
    gold = _write(tmp_path / "gold.jsonl", [{"id": "a", "expected": {}}])
    result = _eval(capsys, outputs, gold)
    assert result.code == 2
    assert "no output id matches a gold id" in result.stderr
    assert "'x1'" in result.stderr
