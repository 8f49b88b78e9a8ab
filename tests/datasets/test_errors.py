"""DatasetError messages, which name the file, line, field and problem, and the fix."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import pytest

from evalgauge.datasets import FieldMapping, iter_cases, scan_dataset
from evalgauge.errors import DatasetError

from .helpers import write_json, write_jsonl, write_text

MAPPING = FieldMapping(inputs=("input",), output="output", label="label", id_field="id")
GOOD = {"id": "1", "input": "x", "output": "y", "label": "pass"}


def scan_error(path: Path, mapping: FieldMapping = MAPPING, **options: Any) -> DatasetError:
    with pytest.raises(DatasetError) as caught:
        scan_dataset(path, mapping, **options)
    return caught.value


def iter_error(path: Path, mapping: FieldMapping = MAPPING) -> DatasetError:
    with pytest.raises(DatasetError) as caught:
        list(iter_cases(path, mapping))
    return caught.value


def test_malformed_json_line(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "bad.jsonl", '{"id": "1", "input": "x"}\n{"id": "2", "input": "y",}\n'
    )
    error = iter_error(path, FieldMapping(inputs=("input",), id_field="id"))
    message = str(error)
    assert "bad.jsonl" in message
    assert "line 2" in message
    assert "invalid JSON: trailing comma is not allowed" in message
    assert "one complete JSON object" in message
    assert error.line == 2


def test_truncated_json_line(tmp_path: Path) -> None:
    path = write_text(tmp_path / "cut.jsonl", '{"id": "1", "input": "x\n')
    message = str(iter_error(path))
    assert "line 1" in message
    assert "invalid JSON" in message


def test_pretty_printed_jsonl_hint(tmp_path: Path) -> None:
    path = write_text(tmp_path / "pretty.jsonl", '{\n  "input": "x"\n}\n')
    message = str(iter_error(path))
    assert "line 1" in message
    assert "--format json" in message


@pytest.mark.parametrize(
    ("line", "kind"),
    [("[1, 2]", "an array"), ('"text"', "a string"), ("42", "a number"), ("null", "null")],
)
def test_row_not_object(tmp_path: Path, line: str, kind: str) -> None:
    path = write_text(tmp_path / "rows.jsonl", '{"input": "x"}\n' + line + "\n")
    message = str(iter_error(path, FieldMapping(inputs=("input",))))
    assert "rows.jsonl" in message
    assert "line 2" in message
    assert f"expected a JSON object, found {kind}" in message


def test_json_item_not_object(tmp_path: Path) -> None:
    path = write_text(tmp_path / "items.json", '[\n  {"input": "x"},\n  "oops"\n]\n')
    message = str(iter_error(path, FieldMapping(inputs=("input",))))
    assert "items.json" in message
    assert "line 3" in message
    assert "array item 2" in message
    assert "found a string" in message


@pytest.mark.parametrize(
    ("field", "role"),
    [("input", "input"), ("output", "output"), ("id", "id")],
)
def test_missing_field_lists_present(tmp_path: Path, field: str, role: str) -> None:
    broken = {key: value for key, value in GOOD.items() if key != field}
    broken["extra"] = "e"
    path = write_jsonl(
        tmp_path / "rows.jsonl", [GOOD, dict(broken, id="2") if field != "id" else broken]
    )
    error = iter_error(path)
    message = str(error)
    assert "rows.jsonl" in message
    assert "line 2" in message
    assert f"field {field!r}" in message
    assert f"{role} field not found" in message
    assert "not found among the row's fields: " in message
    assert "extra" in message
    assert f"--{'id-field' if role == 'id' else role}" in message
    assert error.field == field


def test_missing_expected_field(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "rows.jsonl", [{"input": "x"}])
    message = str(iter_error(path, FieldMapping(inputs=("input",), expected="gold")))
    assert "field 'gold'" in message
    assert "expected field not found" in message


def test_missing_field_lists_at_most_ten(tmp_path: Path) -> None:
    row = {f"column_{index:02d}": index for index in range(15)}
    path = write_jsonl(tmp_path / "wide.jsonl", [row])
    message = str(iter_error(path, FieldMapping(inputs=("input",))))
    assert "column_09" in message
    assert "column_10" not in message
    assert "and 5 more" in message


def test_missing_nested_key(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "nested.jsonl", [{"request": {"model": "m", "prompt": "p"}}])
    message = str(iter_error(path, FieldMapping(inputs=("request.messages",))))
    assert "field 'request.messages'" in message
    assert "'request' has no key 'messages'" in message
    assert "model, prompt" in message


def test_list_index_out_of_range(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "nested.jsonl", [{"messages": [{"content": "a"}]}])
    message = str(iter_error(path, FieldMapping(inputs=("messages.3.content",))))
    assert "'messages' has 1 items, so index 3 is out of range" in message


def test_path_through_string(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "nested.jsonl", [{"request": "plain text"}])
    message = str(iter_error(path, FieldMapping(inputs=("request.messages",))))
    assert "'request' is a string, not an object or an array" in message


def test_missing_field_csv(tmp_path: Path) -> None:
    path = write_text(tmp_path / "rows.csv", "id,question,answer\n1,q,a\n")
    message = str(iter_error(path, FieldMapping(inputs=("input",), id_field="id")))
    assert "rows.csv" in message
    assert "line 2" in message
    assert "field 'input'" in message
    assert "among the row's fields: id, question, answer" in message


def test_missing_field_json_line(tmp_path: Path) -> None:
    rows = [{"input": "a"}, {"input": "b"}, {"text": "c"}]
    path = write_json(tmp_path / "rows.json", rows)
    text = path.read_text()
    item_line = text[: text.index('"text"')].count("\n")  # the "{" above the key
    message = str(iter_error(path, FieldMapping(inputs=("input",))))
    assert f"line {item_line}" in message
    assert "array item 3" in message
    assert "input field not found" in message


def test_label_field_absent_everywhere(tmp_path: Path) -> None:
    rows = [{"id": "1", "input": "x", "output": "y", "verdict": "pass"}]
    path = write_jsonl(tmp_path / "rows.jsonl", rows)
    message = str(scan_error(path))
    assert "rows.jsonl" in message
    assert "line 1" in message
    assert "field 'label'" in message
    assert "label field not found in any row" in message
    assert "verdict" in message


def test_label_column_absent_csv(tmp_path: Path) -> None:
    path = write_text(tmp_path / "rows.csv", "id,input,output\n1,x,y\n")
    message = str(iter_error(path))
    assert "line 2" in message
    assert "label field not found in any row" in message


def test_label_neither_names_line(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "rows.jsonl", [GOOD, dict(GOOD, id="2", label="maybe")])
    message = str(scan_error(path))
    assert (
        "rows.jsonl, line 2, field 'label': label 'maybe' maps to neither pass nor fail" in message
    )


def test_empty_id(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "rows.jsonl", [dict(GOOD, id="  ")])
    message = str(iter_error(path))
    assert "field 'id'" in message
    assert "id is empty" in message


def test_object_id_rejected(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "rows.jsonl", [dict(GOOD, id={"n": 1})])
    assert "id must be a string or a number, found an object" in str(iter_error(path))


def test_empty_file(tmp_path: Path) -> None:
    path = write_text(tmp_path / "empty.jsonl", "")
    message = str(scan_error(path))
    assert "empty.jsonl" in message
    assert "no cases: the file is empty" in message


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("blank.jsonl", "\n\n  \n"),
        ("header.csv", "id,input\n"),
        ("header.tsv", "id\tinput\n"),
        ("array.json", "[]"),
        ("object.json", '{"cases": []}'),
        ("space.json", "  \n"),
    ],
)
def test_no_rows(tmp_path: Path, name: str, text: str) -> None:
    message = str(scan_error(write_text(tmp_path / name, text)))
    assert name in message
    assert "no cases" in message


def test_iter_cases_empty_file(tmp_path: Path) -> None:
    assert list(iter_cases(write_text(tmp_path / "empty.jsonl", ""), MAPPING)) == []


def test_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as caught:
        iter_cases(tmp_path / "missing.jsonl", MAPPING)
    message = str(caught.value)
    assert "missing.jsonl" in message
    assert "file not found" in message
    assert "Check the path" in message


def test_directory_rejected(tmp_path: Path) -> None:
    folder = tmp_path / "folder.jsonl"
    folder.mkdir()
    message = str(scan_error(folder))
    assert "is a directory" in message


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".tsv"])
def test_invalid_utf8_line(tmp_path: Path, suffix: str) -> None:
    texts = {
        ".jsonl": ('{"input": "ok"}\n', '{"input": "caf\xe9"}\n'),
        ".csv": ("input\nok\n", "caf\xe9\n"),
        ".tsv": ("input\nok\n", "caf\xe9\n"),
    }
    good, bad = texts[suffix]
    path = tmp_path / f"latin1{suffix}"
    path.write_bytes(good.encode("utf-8") + bad.encode("latin-1"))
    message = str(iter_error(path, FieldMapping(inputs=("input",))))
    assert f"latin1{suffix}" in message
    assert f"line {good.count(chr(10)) + 1}" in message
    assert "not valid UTF-8" in message
    assert "byte 0xe9" in message
    assert "Save the file as UTF-8" in message


def test_invalid_utf8_json(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('[\n  {"input": "ok"},\n  {"input": "caf\xe9"}\n]'.encode("latin-1"))
    message = str(iter_error(path, FieldMapping(inputs=("input",))))
    assert "line 3" in message
    assert "not valid UTF-8" in message


def test_utf16_file(tmp_path: Path) -> None:
    path = tmp_path / "utf16.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + "input\nx\n".encode("utf-16-le"))
    message = str(iter_error(path, FieldMapping(inputs=("input",))))
    assert "line 1" in message
    assert "UTF-16" in message


@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
def test_wrong_column_count(tmp_path: Path, suffix: str) -> None:
    separator = "," if suffix == ".csv" else "\t"
    lines = ["id,input,output", "1,x,y", "2,x", "3,x,y"]
    path = write_text(tmp_path / f"rows{suffix}", "\n".join(lines).replace(",", separator) + "\n")
    error = iter_error(path, FieldMapping(inputs=("input",), id_field="id"))
    message = str(error)
    assert f"rows{suffix}" in message
    assert "line 3" in message
    assert "the row has 2 columns but the header has 3" in message
    assert error.line == 3


def test_too_many_columns_tsv_hint(tmp_path: Path) -> None:
    path = write_text(tmp_path / "rows.tsv", "id\tinput\n1\tx\ty\n")
    message = str(iter_error(path, FieldMapping(inputs=("input",))))
    assert "the row has 3 columns but the header has 2" in message
    assert "tabs" in message


def test_unclosed_quote_csv(tmp_path: Path) -> None:
    path = write_text(tmp_path / "quote.csv", 'id,input\n1,ok\n2,"never closed\n3,x\n')
    error = iter_error(path, FieldMapping(inputs=("input",), id_field="id"))
    message = str(error)
    assert "quote.csv" in message
    assert "line 3" in message
    assert "closing quote" in message


def test_duplicate_header_column(tmp_path: Path) -> None:
    path = write_text(tmp_path / "header.csv", "id,input,id\n1,x,2\n")
    message = str(iter_error(path, FieldMapping(inputs=("input",))))
    assert "line 1" in message
    assert "two columns named 'id' (columns 1 and 3)" in message


def test_json_several_lists(tmp_path: Path) -> None:
    path = write_json(tmp_path / "lists.json", {"cases": [GOOD], "tags": ["a"]})
    message = str(scan_error(path))
    assert "lists.json" in message
    assert "several lists (cases, tags)" in message


def test_json_object_without_list(tmp_path: Path) -> None:
    path = write_json(tmp_path / "single.json", GOOD)
    message = str(scan_error(path))
    assert "contains no list of cases" in message
    assert "id, input, output, label" in message


def test_json_scalar_document(tmp_path: Path) -> None:
    message = str(scan_error(write_text(tmp_path / "number.json", "42")))
    assert "expected an array of objects, found a number" in message


def test_json_syntax_error_line(tmp_path: Path) -> None:
    path = write_text(tmp_path / "broken.json", '[\n  {"input": "x"},\n  {"input": }\n]')
    message = str(scan_error(path, FieldMapping(inputs=("input",))))
    assert "broken.json" in message
    assert "line 3" in message
    assert "invalid JSON" in message


def test_jsonl_named_json_hint(tmp_path: Path) -> None:
    path = write_text(tmp_path / "lines.json", '{"input": "x"}\n{"input": "y"}\n')
    message = str(scan_error(path, FieldMapping(inputs=("input",))))
    assert "line 2" in message
    assert "more than one JSON document" in message
    assert ".jsonl" in message


def test_text_after_closing_quote(tmp_path: Path) -> None:
    path = write_text(tmp_path / "quote.csv", 'id,input\n1,"quoted"tail\n')
    message = str(iter_error(path, FieldMapping(inputs=("input",), id_field="id")))
    assert "line 2" in message
    assert "invalid CSV" in message
