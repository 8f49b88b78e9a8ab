"""Reading each supported file format into cases."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from evalgauge.datasets import FieldMapping, iter_cases, scan_dataset
from evalgauge.errors import DatasetError, UsageError

from .helpers import write_json, write_jsonl, write_text

ROWS = [
    {"id": "a", "question": "What is 2+2?", "answer": "4", "verdict": "pass", "topic": "math"},
    {
        "id": "b",
        "question": "Capital of France?",
        "answer": "Lyon",
        "verdict": "fail",
        "topic": "geo",
    },
]
MAPPING = FieldMapping(inputs=("question",), output="answer", label="verdict", id_field="id")
CSV_TEXT = (
    "id,question,answer,verdict,topic\n"
    "a,What is 2+2?,4,pass,math\n"
    "b,Capital of France?,Lyon,fail,geo\n"
)


def check_two_cases(path: Path, format: str | None = None) -> None:
    cases = list(iter_cases(path, MAPPING, format=format))
    assert [case.case_id for case in cases] == ["a", "b"]
    assert cases[0].inputs == {"question": "What is 2+2?"}
    assert cases[0].output == "4"
    assert cases[0].label is True
    assert cases[1].label is False
    assert cases[1].metadata == {"topic": "geo"}


def test_jsonl(tmp_path: Path) -> None:
    check_two_cases(write_jsonl(tmp_path / "data.jsonl", ROWS))


def test_ndjson_extension(tmp_path: Path) -> None:
    check_two_cases(write_jsonl(tmp_path / "data.ndjson", ROWS))


def test_json_array(tmp_path: Path) -> None:
    check_two_cases(write_json(tmp_path / "data.json", ROWS))


def test_json_object_with_list(tmp_path: Path) -> None:
    path = write_json(tmp_path / "data.json", {"name": "demo", "cases": ROWS})
    check_two_cases(path)


def test_csv(tmp_path: Path) -> None:
    check_two_cases(write_text(tmp_path / "data.csv", CSV_TEXT))


def test_tsv(tmp_path: Path) -> None:
    check_two_cases(write_text(tmp_path / "data.tsv", CSV_TEXT.replace(",", "\t")))


def test_tsv_keeps_bare_quotes(tmp_path: Path) -> None:
    text = 'id\tquestion\tanswer\n1\tsay "hi\tshe said "no" twice\n2\t"quoted"\t""\n'
    path = write_text(tmp_path / "quotes.tsv", text)
    mapping = FieldMapping(inputs=("question",), output="answer", id_field="id")
    cases = list(iter_cases(path, mapping))
    assert cases[0].inputs == {"question": 'say "hi'}
    assert cases[0].output == 'she said "no" twice'
    assert cases[1].inputs == {"question": '"quoted"'}
    assert cases[1].output == '""'


def test_tsv_crlf_line_endings(tmp_path: Path) -> None:
    path = write_text(tmp_path / "crlf.tsv", "id\tq\r\n1\tfirst\r\n2\tsecond")
    cases = list(iter_cases(path, FieldMapping(inputs=("q",), id_field="id")))
    assert [case.inputs["q"] for case in cases] == ["first", "second"]


def test_csv_quoted_multiline_field(tmp_path: Path) -> None:
    text = 'id,q\n1,"line one\nline two"\n2,plain\n'
    path = write_text(tmp_path / "multi.csv", text)
    cases = list(iter_cases(path, FieldMapping(inputs=("q",), id_field="id")))
    assert cases[0].inputs["q"] == "line one\nline two"
    assert cases[1].inputs["q"] == "plain"


def test_csv_line_numbers_after_multiline(tmp_path: Path) -> None:
    text = 'id,q,a\n1,"one\ntwo\nthree",x\n2,short\n'
    path = write_text(tmp_path / "multi.csv", text)
    with pytest.raises(DatasetError) as caught:
        list(iter_cases(path, FieldMapping(inputs=("q",), id_field="id")))
    assert caught.value.line == 5
    assert "the row has 2 columns but the header has 3" in str(caught.value)


def test_csv_long_field(tmp_path: Path) -> None:
    long_text = "x" * 300_000  # above the csv module's default limit of 131,072
    path = write_text(tmp_path / "long.csv", f"id,q\n1,{long_text}\n")
    case = next(iter_cases(path, FieldMapping(inputs=("q",), id_field="id")))
    assert len(case.inputs["q"]) == 300_000


def test_tsv_long_field(tmp_path: Path) -> None:
    path = write_text(tmp_path / "long.tsv", "id\tq\n1\t" + "y" * 300_000 + "\n")
    case = next(iter_cases(path, FieldMapping(inputs=("q",), id_field="id")))
    assert len(case.inputs["q"]) == 300_000


def test_jsonl_blank_lines_skipped(tmp_path: Path) -> None:
    path = write_text(tmp_path / "gaps.jsonl", '\n{"q": "a"}\n   \n\n{"q": "b"}\n\n')
    cases = list(iter_cases(path, FieldMapping(inputs=("q",))))
    assert [case.inputs["q"] for case in cases] == ["a", "b"]


def test_csv_blank_lines_skipped(tmp_path: Path) -> None:
    path = write_text(tmp_path / "gaps.csv", "\nq\na\n\nb\n\n")
    cases = list(iter_cases(path, FieldMapping(inputs=("q",))))
    assert [case.inputs["q"] for case in cases] == ["a", "b"]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".tsv", ".json"])
def test_utf8_bom_accepted(tmp_path: Path, suffix: str) -> None:
    texts = {
        ".jsonl": '{"q": "é"}\n',
        ".csv": "q\né\n",
        ".tsv": "q\né\n",
        ".json": '[{"q": "é"}]',
    }
    path = tmp_path / f"bom{suffix}"
    path.write_bytes(codecs.BOM_UTF8 + texts[suffix].encode("utf-8"))
    cases = list(iter_cases(path, FieldMapping(inputs=("q",))))
    assert [case.inputs for case in cases] == [{"q": "é"}]


def test_format_argument_overrides_extension(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "data.txt", ROWS)
    check_two_cases(path, format="jsonl")


def test_format_argument_ignores_case(tmp_path: Path) -> None:
    path = write_text(tmp_path / "data.dat", CSV_TEXT)
    check_two_cases(path, format="CSV")


def test_extension_ignores_case(tmp_path: Path) -> None:
    check_two_cases(write_jsonl(tmp_path / "DATA.JSONL", ROWS))


def test_unknown_extension(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "data.txt", ROWS)
    with pytest.raises(DatasetError) as caught:
        iter_cases(path, MAPPING)
    message = str(caught.value)
    assert "data.txt" in message
    assert "unknown file extension '.txt'" in message
    assert ".jsonl, .ndjson, .json, .csv, .tsv" in message
    assert "--format" in message


def test_no_extension(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "data", ROWS)
    with pytest.raises(DatasetError) as caught:
        scan_dataset(path, MAPPING)
    assert "no extension" in str(caught.value)


def test_unknown_format_argument(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "data.jsonl", ROWS)
    with pytest.raises(DatasetError) as caught:
        iter_cases(path, MAPPING, format="xml")
    message = str(caught.value)
    assert "unknown format 'xml'" in message
    assert "jsonl, json, csv, tsv" in message


def test_dataset_error_is_usage_error() -> None:
    assert issubclass(DatasetError, UsageError)


def test_iter_cases_streams_lazily(tmp_path: Path) -> None:
    lines = ['{"q": "ok"}', "{broken"]
    path = write_text(tmp_path / "lazy.jsonl", "\n".join(lines) + "\n")
    cases = iter_cases(path, FieldMapping(inputs=("q",)))
    first = next(cases)
    assert first.inputs == {"q": "ok"}
    with pytest.raises(DatasetError):
        next(cases)


def test_scan_counts(tmp_path: Path) -> None:
    info = scan_dataset(write_jsonl(tmp_path / "data.jsonl", ROWS), MAPPING)
    assert info.path.endswith("data.jsonl")
    assert info.format == "jsonl"
    assert info.n_cases == 2
    assert info.n_labeled == 2
    assert info.n_pass == 1
    assert info.n_fail == 1
    assert info.version.startswith("sha256:")
    assert len(info.version) == len("sha256:") + 64


def test_scan_counts_unlabeled(tmp_path: Path) -> None:
    rows = [{"q": "a", "label": "pass"}, {"q": "b", "label": ""}, {"q": "c", "label": None}]
    path = write_jsonl(tmp_path / "partial.jsonl", rows)
    info = scan_dataset(path, FieldMapping(inputs=("q",), label="label"))
    assert info.n_cases == 3
    assert info.n_labeled == 1
    assert info.n_pass == 1
    assert info.n_fail == 0
