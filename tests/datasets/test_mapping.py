"""FieldMapping: field selection, dotted paths, labels, output encoding and metadata."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evalgauge.cases import Case
from evalgauge.datasets import FieldMapping, iter_cases
from evalgauge.errors import DatasetError, UsageError

from .helpers import write_jsonl, write_text


def load(tmp_path: Path, rows: list[Any], mapping: FieldMapping, **options: Any) -> list[Case]:
    return list(iter_cases(write_jsonl(tmp_path / "rows.jsonl", rows), mapping, **options))


def label_of(tmp_path: Path, value: Any, mapping: FieldMapping) -> bool | None:
    return load(tmp_path, [{"q": "x", "label": value}], mapping)[0].label


DEFAULT_LABELS = FieldMapping(inputs=("q",), label="label")


def test_inputs_in_mapping_order(tmp_path: Path) -> None:
    rows = [{"b": 2, "a": 1, "c": 3}]
    case = load(tmp_path, rows, FieldMapping(inputs=("c", "a")))[0]
    assert list(case.inputs) == ["c", "a"]
    assert case.metadata == {"b": 2}


def test_inputs_keep_json_types(tmp_path: Path) -> None:
    rows = [{"messages": [{"role": "user", "content": "hi"}], "n": 3}]
    case = load(tmp_path, rows, FieldMapping(inputs=("messages", "n")))[0]
    assert case.inputs == {"messages": [{"role": "user", "content": "hi"}], "n": 3}


def test_empty_inputs_take_other_fields(tmp_path: Path) -> None:
    rows = [{"id": "1", "q": "x", "ctx": "y", "out": "z", "label": "pass", "gold": "g"}]
    mapping = FieldMapping(output="out", label="label", id_field="id", expected="gold")
    case = load(tmp_path, rows, mapping)[0]
    assert case.inputs == {"q": "x", "ctx": "y"}
    assert case.metadata == {}
    assert case.case_id == "1"
    assert case.expected == "g"


def test_metadata_has_remaining_fields(tmp_path: Path) -> None:
    rows = [{"id": "1", "q": "x", "out": "y", "model": "m1", "split": "dev"}]
    mapping = FieldMapping(inputs=("q",), output="out", id_field="id")
    case = load(tmp_path, rows, mapping)[0]
    assert case.metadata == {"model": "m1", "split": "dev"}


def test_output_string_kept(tmp_path: Path) -> None:
    case = load(tmp_path, [{"q": "x", "out": "text"}], FieldMapping(inputs=("q",), output="out"))[0]
    assert case.output == "text"


def test_output_non_string_json_encoded(tmp_path: Path) -> None:
    rows = [{"q": "x", "out": {"answer": 4, "steps": ["a", "b"]}}, {"q": "y", "out": 12}]
    cases = load(tmp_path, rows, FieldMapping(inputs=("q",), output="out"))
    assert cases[0].output == '{"answer":4,"steps":["a","b"]}'
    assert cases[1].output == "12"


def test_output_null_is_none(tmp_path: Path) -> None:
    case = load(tmp_path, [{"q": "x", "out": None}], FieldMapping(inputs=("q",), output="out"))[0]
    assert case.output is None


def test_no_output_mapping(tmp_path: Path) -> None:
    case = load(tmp_path, [{"q": "x", "out": "y"}], FieldMapping(inputs=("q",)))[0]
    assert case.output is None
    assert case.metadata == {"out": "y"}


def test_expected_fills_case(tmp_path: Path) -> None:
    rows = [{"q": "x", "gold": "CASE 1"}]
    case = load(tmp_path, rows, FieldMapping(inputs=("q",), expected="gold"))[0]
    assert case.expected == "CASE 1"
    assert case.metadata == {}


def test_id_number_converted(tmp_path: Path) -> None:
    case = load(tmp_path, [{"n": 17, "q": "x"}], FieldMapping(inputs=("q",), id_field="n"))[0]
    assert case.case_id == "17"


def test_id_may_also_be_input(tmp_path: Path) -> None:
    rows = [{"q": "unique question"}]
    case = load(tmp_path, rows, FieldMapping(inputs=("q",), id_field="q"))[0]
    assert case.case_id == "unique question"
    assert case.inputs == {"q": "unique question"}


def test_dotted_input_path(tmp_path: Path) -> None:
    rows = [{"request": {"messages": [{"role": "user", "content": "hi"}], "model": "m"}}]
    case = load(tmp_path, rows, FieldMapping(inputs=("request.messages",)))[0]
    assert case.inputs == {"request.messages": [{"role": "user", "content": "hi"}]}
    assert case.metadata == {"request": {"model": "m"}}


def test_dotted_list_index(tmp_path: Path) -> None:
    rows = [{"messages": [{"role": "user", "content": "first"}, {"content": "second"}]}]
    case = load(tmp_path, rows, FieldMapping(inputs=("messages.1.content",)))[0]
    assert case.inputs == {"messages.1.content": "second"}
    assert case.metadata == {"messages": [{"role": "user", "content": "first"}, {}]}


def test_dotted_id_and_output(tmp_path: Path) -> None:
    rows = [{"meta": {"id": "m-1", "source": "web"}, "q": "x", "response": {"text": "y"}}]
    mapping = FieldMapping(inputs=("q",), output="response.text", id_field="meta.id")
    case = load(tmp_path, rows, mapping)[0]
    assert case.case_id == "m-1"
    assert case.output == "y"
    assert case.metadata == {"meta": {"source": "web"}}


def test_dotted_output_excluded_from_all_inputs(tmp_path: Path) -> None:
    rows = [{"q": "x", "response": {"text": "y", "model": "m"}}]
    case = load(tmp_path, rows, FieldMapping(output="response.text"))[0]
    assert case.inputs == {"q": "x", "response": {"model": "m"}}


def test_literal_dotted_key_preferred(tmp_path: Path) -> None:
    path = write_text(tmp_path / "dots.csv", "meta.id,q\nm-7,hello\n")
    case = next(iter_cases(path, FieldMapping(inputs=("q",), id_field="meta.id")))
    assert case.case_id == "m-7"
    assert case.metadata == {}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("pass", True),
        ("PASS", True),
        (" Passed ", True),
        ("true", True),
        ("1", True),
        ("yes", True),
        ("Yes", True),
        (True, True),
        (1, True),
        ("fail", False),
        ("FAIL", False),
        ("failed", False),
        ("false", False),
        ("0", False),
        ("no", False),
        (False, False),
        (0, False),
    ],
)
def test_default_label_words(tmp_path: Path, value: Any, expected: bool) -> None:
    assert label_of(tmp_path, value, DEFAULT_LABELS) is expected


@pytest.mark.parametrize("value", ["", "   ", None])
def test_empty_label_unlabeled(tmp_path: Path, value: Any) -> None:
    assert label_of(tmp_path, value, DEFAULT_LABELS) is None


def test_absent_label_key_unlabeled(tmp_path: Path) -> None:
    rows = [{"q": "a", "label": "pass"}, {"q": "b"}]
    cases = load(tmp_path, rows, DEFAULT_LABELS)
    assert cases[0].label is True
    assert cases[1].label is None


def test_unknown_default_label_word(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as caught:
        label_of(tmp_path, "maybe", DEFAULT_LABELS)
    message = str(caught.value)
    assert "rows.jsonl" in message
    assert "line 1" in message
    assert "field 'label'" in message
    assert "label 'maybe' maps to neither pass nor fail" in message
    assert "--pass-value" in message
    assert "--fail-value" in message


def test_pass_values_only(tmp_path: Path) -> None:
    mapping = FieldMapping(inputs=("q",), label="label", pass_values=("Fully attributable",))
    assert label_of(tmp_path, "Fully attributable", mapping) is True
    assert label_of(tmp_path, " Fully attributable\r", mapping) is True
    assert label_of(tmp_path, "Not fully attributable", mapping) is False
    assert label_of(tmp_path, "anything else", mapping) is False
    assert label_of(tmp_path, "", mapping) is None


def test_pass_values_match_exactly(tmp_path: Path) -> None:
    mapping = FieldMapping(inputs=("q",), label="label", pass_values=("Good",))
    assert label_of(tmp_path, "good", mapping) is False


def test_fail_values_only(tmp_path: Path) -> None:
    mapping = FieldMapping(inputs=("q",), label="label", fail_values=("bad",))
    assert label_of(tmp_path, "bad", mapping) is False
    assert label_of(tmp_path, "fine", mapping) is True


def test_pass_and_fail_values(tmp_path: Path) -> None:
    mapping = FieldMapping(inputs=("q",), label="label", pass_values=("A", "B"), fail_values=("C",))
    assert label_of(tmp_path, "A", mapping) is True
    assert label_of(tmp_path, "B", mapping) is True
    assert label_of(tmp_path, "C", mapping) is False


def test_value_in_neither_list(tmp_path: Path) -> None:
    mapping = FieldMapping(inputs=("q",), label="label", pass_values=("A",), fail_values=("C",))
    with pytest.raises(DatasetError) as caught:
        label_of(tmp_path, "maybe", mapping)
    message = str(caught.value)
    assert "label 'maybe' maps to neither pass nor fail" in message
    assert "'A'" in message
    assert "'C'" in message


def test_given_values_match_booleans_as_json(tmp_path: Path) -> None:
    mapping = FieldMapping(
        inputs=("q",), label="label", pass_values=("true",), fail_values=("false",)
    )
    assert label_of(tmp_path, True, mapping) is True
    assert label_of(tmp_path, False, mapping) is False


def test_label_object_rejected(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as caught:
        label_of(tmp_path, {"verdict": "pass"}, DEFAULT_LABELS)
    assert "label must be a string, a number or a boolean, found an object" in str(caught.value)


def test_require_labels_empty(tmp_path: Path) -> None:
    rows = [{"q": "a", "label": "pass"}, {"q": "b", "label": ""}]
    with pytest.raises(DatasetError) as caught:
        load(tmp_path, rows, DEFAULT_LABELS, require_labels=True)
    message = str(caught.value)
    assert "rows.jsonl" in message
    assert "line 2" in message
    assert "field 'label'" in message
    assert "label is empty" in message


def test_require_labels_absent_key(tmp_path: Path) -> None:
    rows = [{"q": "a", "label": "pass"}, {"q": "b"}]
    with pytest.raises(DatasetError) as caught:
        load(tmp_path, rows, DEFAULT_LABELS, require_labels=True)
    message = str(caught.value)
    assert "line 2" in message
    assert "label field not found" in message


def test_require_labels_without_label_field(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        load(tmp_path, [{"q": "a"}], FieldMapping(inputs=("q",)), require_labels=True)
    assert "no label field is set" in str(caught.value)


def test_from_cli_splits_inputs() -> None:
    mapping = FieldMapping.from_cli(
        input="knowledge, message",
        output="response",
        label="begin_label",
        pass_value=["Fully attributable"],
        fail_value=[],
        id_field=None,
    )
    assert mapping.inputs == ("knowledge", "message")
    assert mapping.output == "response"
    assert mapping.label == "begin_label"
    assert mapping.pass_values == ("Fully attributable",)
    assert mapping.fail_values == ()
    assert mapping.id_field is None


def test_from_cli_repeated_inputs() -> None:
    mapping = FieldMapping.from_cli(input=["a,b", "c"])
    assert mapping.inputs == ("a", "b", "c")


def test_from_cli_keeps_commas_in_values() -> None:
    mapping = FieldMapping.from_cli(input="q", label="l", pass_value="yes, mostly")
    assert mapping.pass_values == ("yes, mostly",)


def test_from_cli_empty_strings_unset() -> None:
    mapping = FieldMapping.from_cli(input="", output="", label="", id_field="", expected="")
    assert mapping == FieldMapping()


def test_from_cli_empty_input_name() -> None:
    with pytest.raises(UsageError) as caught:
        FieldMapping.from_cli(input="a,,b")
    assert "'a,,b' contains an empty field name" in str(caught.value)


def test_mapping_rejects_string_inputs() -> None:
    with pytest.raises(UsageError) as caught:
        FieldMapping(inputs="question")  # type: ignore[arg-type]
    assert "tuple of strings" in str(caught.value)


def test_mapping_rejects_field_in_two_roles() -> None:
    with pytest.raises(UsageError) as caught:
        FieldMapping(inputs=("q",), output="answer", label="answer")
    assert "'answer' is mapped as both output and label" in str(caught.value)


def test_mapping_rejects_overlapping_values() -> None:
    with pytest.raises(UsageError) as caught:
        FieldMapping(label="l", pass_values=("ok", "good"), fail_values=(" good ",))
    assert "'good'" in str(caught.value)


def test_mapping_rejects_values_without_label() -> None:
    with pytest.raises(UsageError) as caught:
        FieldMapping(inputs=("q",), pass_values=("ok",))
    assert "need a label field" in str(caught.value)


def test_mapping_rejects_empty_value() -> None:
    with pytest.raises(UsageError):
        FieldMapping(label="l", pass_values=(" ",))


def test_mapping_rejects_empty_field_name() -> None:
    with pytest.raises(UsageError):
        FieldMapping(inputs=("q", ""))
