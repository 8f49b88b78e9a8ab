"""Schema validity against JSON Schema and pydantic models, with paths and rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalgauge.errors import ConfigError
from evalgauge.scorers.structured import JsonSchemaCheck, PydanticCheck, build_schema_check

SCHEMA = {
    "type": "object",
    "required": ["id", "items"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string"},
        "day": {"type": "string", "format": "date"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["sku"],
                "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}},
            },
        },
    },
}


def test_valid_value() -> None:
    check = JsonSchemaCheck(SCHEMA)
    assert check.violations({"id": "a", "items": [{"sku": "x", "qty": 2}]}) == []


def test_violation_path_and_rule() -> None:
    check = JsonSchemaCheck(SCHEMA)
    found = check.violations({"id": "a", "items": [{"sku": "x"}, {"sku": "y", "qty": "2"}]})
    assert [(v.path, v.rule) for v in found] == [("items[1].qty", "type")]


def test_all_violations_listed() -> None:
    check = JsonSchemaCheck(SCHEMA)
    found = check.violations({"id": 1, "items": [{}], "extra": True, "day": "31/12/2026"})
    rules = sorted((v.path, v.rule) for v in found)
    assert ("id", "type") in rules
    assert ("items[0]", "required") in rules
    assert ("$", "additionalProperties") in rules
    assert ("day", "format") in rules


def test_violation_limit() -> None:
    check = JsonSchemaCheck(SCHEMA)
    value = {"id": "a", "items": [{"qty": "x"} for _ in range(50)]}
    assert len(check.violations(value, limit=3)) == 3


def test_format_checked() -> None:
    check = JsonSchemaCheck(SCHEMA)
    assert check.violations({"id": "a", "items": [], "day": "2026-02-30"})
    assert check.violations({"id": "a", "items": [], "day": "2026-02-28"}) == []


def test_prefix_items_uses_jsonschema() -> None:
    schema = {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}]}
    check = JsonSchemaCheck(schema)
    assert check.violations([1, "a"]) == []
    assert [v.rule for v in check.violations(["a", "a"])] == ["type"]


def test_invalid_schema_config_error() -> None:
    with pytest.raises(ConfigError, match="invalid JSON Schema"):
        JsonSchemaCheck({"type": "objekt"})


def test_unresolved_ref_config_error() -> None:
    schema = {"type": "object", "properties": {"a": {"$ref": "#/$defs/Missing"}}}
    with pytest.raises(ConfigError, match=r"'#/\$defs/Missing' at \$\.properties\.a"):
        JsonSchemaCheck(schema)


def test_local_ref_resolves() -> None:
    schema = {"properties": {"a": {"$ref": "#/$defs/A"}}, "$defs": {"A": {"type": "integer"}}}
    check = JsonSchemaCheck(schema)
    assert check.violations({"a": 1}) == []
    assert [v.rule for v in check.violations({"a": "x"})] == ["type"]


def test_schema_file_not_json(tmp_path: Path) -> None:
    path = tmp_path / "schema.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid JSON"):
        build_schema_check(path)


def test_schema_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text("type: object\nrequired: [a]\n", encoding="utf-8")
    check = build_schema_check(path)
    assert check is not None
    assert [v.rule for v in check.violations({})] == ["required"]


def test_schema_and_model_rejected(tmp_path: Path) -> None:
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(SCHEMA), encoding="utf-8")
    with pytest.raises(ConfigError, match="not both"):
        build_schema_check(path, "tests.structured._models:Invoice")


def test_deep_value_no_crash() -> None:
    check = JsonSchemaCheck({"type": "array", "items": {"$ref": "#"}})
    value: list[object] = []
    for _ in range(1000):
        value = [value]
    found = check.violations(value)
    assert isinstance(found, list)


def test_pydantic_model() -> None:
    check = PydanticCheck("tests.structured._models:Invoice")
    good = {"invoice_id": "A", "issued_on": "2026-01-02", "items": [{"sku": "x", "quantity": 1}]}
    assert check.violations(good) == []
    bad = {"invoice_id": "A", "issued_on": "soon", "items": [{"sku": "x", "quantity": 0}]}
    found = {(v.path, v.rule) for v in check.violations(bad)}
    assert ("issued_on", "date_from_datetime_parsing") in found
    assert ("items[0].quantity", "greater_than_equal") in found


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("no_colon", "module:Class"),
        ("tests.structured.nowhere:Invoice", "cannot import"),
        ("tests.structured._models:Missing", "no attribute"),
    ],
)
def test_pydantic_target_errors(target: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        PydanticCheck(target)


def test_first_violation_fast_path() -> None:
    check = JsonSchemaCheck(SCHEMA)
    (first,) = check.violations({"id": "a", "items": [{"sku": "x", "qty": "2"}]}, limit=1)
    assert first.path == "items[0].qty"
    assert first.rule == "type"
    assert first.message.startswith("items[0].qty ")


def test_first_violation_root() -> None:
    check = JsonSchemaCheck(SCHEMA)
    (first,) = check.violations({"items": []}, limit=1)
    assert first.path == "$"
    assert first.rule == "required"
