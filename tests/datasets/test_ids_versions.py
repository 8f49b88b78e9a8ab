"""Case ids derived from content, duplicate handling, fingerprints and dataset versions."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import orjson
import pytest

from evalgauge.cases import Case
from evalgauge.datasets import FieldMapping, case_fingerprint, iter_cases, scan_dataset
from evalgauge.datasets._ids import UInt64Set, first_repeat, repeated_hashes
from evalgauge.errors import DatasetError

from .helpers import write_json, write_jsonl, write_text

ROWS = [
    {"question": "What is 2+2?", "answer": "4", "topic": "math"},
    {"question": "Capital of France?", "answer": "Paris", "topic": "geo"},
]
MAPPING = FieldMapping(inputs=("question",), output="answer")


def ids_of(path: Path, mapping: FieldMapping = MAPPING) -> list[str]:
    return [case.case_id for case in iter_cases(path, mapping)]


def test_content_id_is_blake2b_prefix(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "rows.jsonl", ROWS[:1])
    canonical = orjson.dumps(ROWS[0], option=orjson.OPT_SORT_KEYS)
    assert ids_of(path) == [hashlib.blake2b(canonical).hexdigest()[:16]]


def test_content_id_stable_across_loads(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "rows.jsonl", ROWS)
    first = ids_of(path)
    second = ids_of(path)
    assert first == second
    assert len(set(first)) == 2


def test_content_id_ignores_key_order(tmp_path: Path) -> None:
    reordered = [{key: row[key] for key in reversed(list(row))} for row in ROWS]
    original = ids_of(write_jsonl(tmp_path / "a.jsonl", ROWS))
    assert ids_of(write_jsonl(tmp_path / "b.jsonl", reordered)) == original


def test_content_id_same_across_formats(tmp_path: Path) -> None:
    jsonl_ids = ids_of(write_jsonl(tmp_path / "rows.jsonl", ROWS))
    json_ids = ids_of(write_json(tmp_path / "rows.json", {"cases": ROWS}))
    csv_text = "question,answer,topic\nWhat is 2+2?,4,math\nCapital of France?,Paris,geo\n"
    csv_ids = ids_of(write_text(tmp_path / "rows.csv", csv_text))
    tsv_ids = ids_of(write_text(tmp_path / "rows.tsv", csv_text.replace(",", "\t")))
    assert json_ids == jsonl_ids
    assert csv_ids == jsonl_ids
    assert tsv_ids == jsonl_ids


def test_content_id_changes_with_metadata(tmp_path: Path) -> None:
    changed = [dict(ROWS[0], topic="arithmetic")]
    original = ids_of(write_jsonl(tmp_path / "a.jsonl", ROWS[:1]))
    assert ids_of(write_jsonl(tmp_path / "b.jsonl", changed)) != original


def test_duplicate_content_suffixes(tmp_path: Path) -> None:
    rows = [ROWS[0], ROWS[1], ROWS[0], ROWS[0], ROWS[1]]
    ids = ids_of(write_jsonl(tmp_path / "rows.jsonl", rows))
    first, second = ids[0], ids[1]
    assert ids == [first, second, f"{first}-2", f"{first}-3", f"{second}-2"]


def test_duplicate_content_suffixes_deterministic(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "rows.jsonl", [ROWS[0]] * 4)
    assert ids_of(path) == ids_of(path)


def test_duplicate_content_scans(tmp_path: Path) -> None:
    info = scan_dataset(write_jsonl(tmp_path / "rows.jsonl", [ROWS[0]] * 3), MAPPING)
    assert info.n_cases == 3


def test_duplicate_id_field_lines(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "q": "1"},
        {"id": "b", "q": "2"},
        {"id": "c", "q": "3"},
        {"id": "b", "q": "4"},
    ]
    path = write_jsonl(tmp_path / "dup.jsonl", rows)
    with pytest.raises(DatasetError) as caught:
        scan_dataset(path, FieldMapping(inputs=("q",), id_field="id"))
    message = str(caught.value)
    assert "dup.jsonl" in message
    assert "line 4" in message
    assert "field 'id'" in message
    assert "duplicate case id 'b' on lines 2 and 4" in message


def test_duplicate_id_first_repeat_reported(tmp_path: Path) -> None:
    ids = ["x", "y", "z", "y", "x"]
    path = write_jsonl(tmp_path / "dup.jsonl", [{"id": value, "q": "-"} for value in ids])
    with pytest.raises(DatasetError) as caught:
        scan_dataset(path, FieldMapping(inputs=("q",), id_field="id"))
    assert "duplicate case id 'y' on lines 2 and 4" in str(caught.value)


def test_duplicate_id_number_and_string(tmp_path: Path) -> None:
    rows = [{"id": 7, "q": "a"}, {"id": "7", "q": "b"}]
    path = write_jsonl(tmp_path / "dup.jsonl", rows)
    with pytest.raises(DatasetError) as caught:
        scan_dataset(path, FieldMapping(inputs=("q",), id_field="id"))
    assert "duplicate case id '7'" in str(caught.value)


def test_duplicate_id_csv_lines(tmp_path: Path) -> None:
    path = write_text(tmp_path / "dup.csv", "id,q\na,1\nb,2\na,3\n")
    with pytest.raises(DatasetError) as caught:
        scan_dataset(path, FieldMapping(inputs=("q",), id_field="id"))
    assert "lines 2 and 4" in str(caught.value)


def test_duplicate_id_json_lines(tmp_path: Path) -> None:
    rows = [{"id": "a", "q": "1"}, {"id": "b", "q": "2"}, {"id": "a", "q": "3"}]
    path = write_json(tmp_path / "dup.json", rows)  # indented: each item starts on its own line
    text = path.read_text()
    first_line = text[: text.index('"a"')].count("\n")  # the line above the id is the "{"
    last_line = text[: text.rindex('"a"')].count("\n")
    with pytest.raises(DatasetError) as caught:
        scan_dataset(path, FieldMapping(inputs=("q",), id_field="id"))
    message = str(caught.value)
    assert f"lines {first_line} and {last_line}" in message
    assert "array items 1 and 3" in message


def test_iter_cases_allows_duplicate_ids(tmp_path: Path) -> None:
    rows = [{"id": "a", "q": "1"}, {"id": "a", "q": "2"}]
    path = write_jsonl(tmp_path / "dup.jsonl", rows)
    assert ids_of(path, FieldMapping(inputs=("q",), id_field="id")) == ["a", "a"]


def test_version_stable(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "rows.jsonl", ROWS)
    assert scan_dataset(path, MAPPING).version == scan_dataset(path, MAPPING).version


def test_version_same_across_formats(tmp_path: Path) -> None:
    jsonl = scan_dataset(write_jsonl(tmp_path / "rows.jsonl", ROWS), MAPPING)
    json = scan_dataset(write_json(tmp_path / "rows.json", ROWS), MAPPING)
    assert json.version == jsonl.version


@pytest.mark.parametrize(
    ("field", "value"),
    [("question", "What is 2+3?"), ("answer", "5"), ("topic", "arithmetic")],
)
def test_version_changes_with_one_value(tmp_path: Path, field: str, value: str) -> None:
    original = scan_dataset(write_jsonl(tmp_path / "a.jsonl", ROWS), MAPPING).version
    changed_rows = [dict(ROWS[0], **{field: value}), ROWS[1]]
    changed = scan_dataset(write_jsonl(tmp_path / "b.jsonl", changed_rows), MAPPING).version
    assert changed != original


def test_version_changes_with_label(tmp_path: Path) -> None:
    mapping = FieldMapping(inputs=("q",), label="label", id_field="id")
    a = write_jsonl(tmp_path / "a.jsonl", [{"id": "1", "q": "x", "label": "pass"}])
    b = write_jsonl(tmp_path / "b.jsonl", [{"id": "1", "q": "x", "label": "fail"}])
    assert scan_dataset(a, mapping).version != scan_dataset(b, mapping).version


def test_version_changes_with_expected(tmp_path: Path) -> None:
    mapping = FieldMapping(inputs=("q",), expected="gold", id_field="id")
    a = write_jsonl(tmp_path / "a.jsonl", [{"id": "1", "q": "x", "gold": "A"}])
    b = write_jsonl(tmp_path / "b.jsonl", [{"id": "1", "q": "x", "gold": "B"}])
    assert scan_dataset(a, mapping).version != scan_dataset(b, mapping).version


def test_version_changes_with_order(tmp_path: Path) -> None:
    original = scan_dataset(write_jsonl(tmp_path / "a.jsonl", ROWS), MAPPING).version
    swapped = scan_dataset(write_jsonl(tmp_path / "b.jsonl", ROWS[::-1]), MAPPING).version
    assert swapped != original


def test_version_ignores_metadata_with_id_field(tmp_path: Path) -> None:
    mapping = FieldMapping(inputs=("q",), id_field="id")
    a = write_jsonl(tmp_path / "a.jsonl", [{"id": "1", "q": "x", "note": "old"}])
    b = write_jsonl(tmp_path / "b.jsonl", [{"id": "1", "q": "x", "note": "new"}])
    assert scan_dataset(a, mapping).version == scan_dataset(b, mapping).version


def test_version_is_sha256_of_cases(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "rows.jsonl", ROWS)
    cases, outputs = hashlib.sha256(), hashlib.sha256()
    for case in iter_cases(path, MAPPING):
        key = [case.case_id, case.inputs, case.label, case.expected]
        cases.update(orjson.dumps(key, option=orjson.OPT_SORT_KEYS) + b"\n")
        outputs.update(orjson.dumps(case.output) + b"\n")
    combined = f"{cases.hexdigest()}:{outputs.hexdigest()}".encode()

    info = scan_dataset(path, MAPPING)

    assert info.cases_version == "sha256:" + cases.hexdigest()
    assert info.version == "sha256:" + hashlib.sha256(combined).hexdigest()


def test_new_outputs_keep_cases_version(tmp_path: Path) -> None:
    mapping = FieldMapping(inputs=("q",), output="answer", id_field="id")
    a = write_jsonl(tmp_path / "a.jsonl", [{"id": "1", "q": "x", "answer": "old"}])
    b = write_jsonl(tmp_path / "b.jsonl", [{"id": "1", "q": "x", "answer": "new"}])

    first, second = scan_dataset(a, mapping), scan_dataset(b, mapping)

    assert first.cases_version == second.cases_version
    assert first.version != second.version


def test_fingerprint_sorts_nested_keys() -> None:
    a = Case("1", {"q": {"x": 1, "y": 2}}, "out", True, None, {"m": 1})
    b = Case("1", {"q": {"y": 2, "x": 1}}, "out", True, None, {"m": 2})
    assert case_fingerprint(a) == case_fingerprint(b)


def test_fingerprint_layout() -> None:
    case = Case("1", {"q": "x"}, "out", False, "gold")
    assert case_fingerprint(case) == b'["1",{"q":"x"},"out",false,"gold"]'


def test_fingerprint_distinguishes_fields() -> None:
    base = Case("1", {"q": "x"}, "out", True, None)
    assert case_fingerprint(base) != case_fingerprint(Case("2", {"q": "x"}, "out", True, None))
    assert case_fingerprint(base) != case_fingerprint(Case("1", {"q": "y"}, "out", True, None))
    assert case_fingerprint(base) != case_fingerprint(Case("1", {"q": "x"}, "o", True, None))
    assert case_fingerprint(base) != case_fingerprint(Case("1", {"q": "x"}, "out", None, None))


def test_uint64_set_matches_python_set() -> None:
    generator = random.Random(7)
    keys = [generator.getrandbits(64) for _ in range(5_000)]
    keys += [*keys[:500], 0, 0, 1, 2**64 - 1]
    compact = UInt64Set()
    reference: set[int] = set()
    for key in keys:
        assert compact.add(key) == (key in reference)
        reference.add(key)
    assert len(compact) == len(reference)


def test_uint64_set_colliding_slots() -> None:
    compact = UInt64Set()
    keys = [slot << 20 | 5 for slot in range(1, 1_000)]  # identical low bits force probing
    assert not any(compact.add(key) for key in keys)
    assert all(compact.add(key) for key in keys)


def test_repeated_hashes() -> None:
    from array import array

    assert repeated_hashes(array("q", [5, -3, 9, 5, 2**63 - 1, -3, 5])) == {5, -3}
    assert repeated_hashes(array("q", [1, 2, 3])) == set()


def test_first_repeat_ignores_collisions() -> None:
    ids = [(1, "a"), (2, "b"), (3, "c")]
    candidates = {hash("a"), hash("c")}  # as if "a" and "c" had the same hash
    assert first_repeat(ids, candidates) is None
    assert first_repeat([*ids, (4, "c")], candidates) == ("c", 3, 4)
