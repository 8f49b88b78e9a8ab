"""Schema check of decoded calls, BFCL's dialect translated, and BFCL's answers validated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evalgauge.errors import ConfigError
from evalgauge.scorers.toolcalls._dialect import bfcl_to_json_schema
from evalgauge.scorers.toolcalls._model import ErrorCategory, ToolCall, ToolSpec
from evalgauge.scorers.toolcalls._schema_check import SchemaChecker, ValidatorCache
from evalgauge.scorers.toolcalls._specs import load_tool_specs, specs_from_definitions
from tests._env import require_file
from tests.toolcalls._bfcl_answers import answer_arguments
from tests.toolcalls._orders import OPENAPI


@pytest.fixture(scope="module")
def checker() -> SchemaChecker:
    return SchemaChecker(load_tool_specs(OPENAPI))


def _failures(
    checker: SchemaChecker, name: str, arguments: dict[str, Any]
) -> list[tuple[str, str, str]]:
    outcomes = checker.check_call(ToolCall(name, arguments))
    return [(str(o.category), o.extra["path"], o.extra["rule"]) for o in outcomes if not o.passed]


def test_valid_call_passes(checker: SchemaChecker) -> None:
    (outcome,) = checker.check_call(
        ToolCall("add_item", {"order_id": 1, "sku": "BK-101", "quantity": 2})
    )
    assert outcome.passed
    assert outcome.tool == "add_item"


def test_unknown_tool(checker: SchemaChecker) -> None:
    (outcome,) = checker.check_call(ToolCall("delete_order", {"order_id": 1}))
    assert outcome.category is ErrorCategory.WRONG_TOOL
    assert "delete_order" in outcome.detail
    assert "cancel_order" in outcome.detail


def test_missing_required(checker: SchemaChecker) -> None:
    failures = _failures(checker, "add_item", {"order_id": 1})
    assert failures == [
        ("missing_required", "$.sku", "required"),
        ("missing_required", "$.quantity", "required"),
    ]


def test_wrong_type(checker: SchemaChecker) -> None:
    assert _failures(checker, "add_item", {"order_id": 1, "sku": "BK-101", "quantity": "2"}) == [
        ("wrong_type", "$.quantity", "type")
    ]


def test_unexpected_param(checker: SchemaChecker) -> None:
    outcomes = checker.check_call(ToolCall("list_orders", {"status": "open", "limit": 5}))
    (outcome,) = outcomes
    assert outcome.category is ErrorCategory.UNEXPECTED_PARAM
    assert outcome.parameter == "limit"
    assert outcome.extra["path"] == "$.limit"


def test_enum_violation(checker: SchemaChecker) -> None:
    assert _failures(checker, "list_orders", {"status": "pending"}) == [
        ("wrong_value", "$.status", "enum")
    ]


def test_range_violation(checker: SchemaChecker) -> None:
    failures = _failures(checker, "add_item", {"order_id": 0, "sku": "BK-101", "quantity": 101})
    assert failures == [
        ("wrong_value", "$.order_id", "minimum"),
        ("wrong_value", "$.quantity", "maximum"),
    ]


def test_pattern_violation(checker: SchemaChecker) -> None:
    assert _failures(checker, "add_item", {"order_id": 1, "sku": "bk101", "quantity": 1}) == [
        ("wrong_value", "$.sku", "pattern")
    ]


def test_format_violation(checker: SchemaChecker) -> None:
    assert _failures(checker, "create_order", {"customer": "not an address"}) == [
        ("wrong_value", "$.customer", "format")
    ]


def test_nested_error_path(checker: SchemaChecker) -> None:
    items = [{"sku": "BK-101", "quantity": 1}, {"sku": "PN-202", "quantity": 1, "colour": "red"}]
    failures = _failures(checker, "create_order", {"customer": "a@example.com", "items": items})
    assert failures == [("unexpected_param", "$.items[1].colour", "additionalProperties")]


def test_several_errors_reported(checker: SchemaChecker) -> None:
    failures = _failures(checker, "add_item", {"order_id": "x", "quantity": 0, "extra": True})
    categories = sorted(category for category, _, _ in failures)
    assert categories == ["missing_required", "unexpected_param", "wrong_type", "wrong_value"]


def test_deeply_nested_arguments() -> None:
    schema = {
        "type": "object",
        "properties": {"tree": {"$ref": "#/$defs/Node"}},
        "$defs": {"Node": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
    }
    checker = SchemaChecker([ToolSpec("tree", schema)])
    value: list[Any] = []
    for _ in range(3000):
        value = [value]
    (outcome,) = checker.check_call(ToolCall("tree", {"tree": value}))
    assert not outcome.passed
    assert outcome.category is ErrorCategory.WRONG_VALUE
    assert outcome.extra["rule"] == "depth"


def test_moderate_nesting_validates() -> None:
    schema = {
        "type": "object",
        "properties": {"tree": {"$ref": "#/$defs/Node"}},
        "$defs": {"Node": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
    }
    value: list[Any] = []
    for _ in range(50):
        value = [value]
    assert (
        SchemaChecker([ToolSpec("tree", schema)])
        .check_call(ToolCall("tree", {"tree": value}))[0]
        .passed
    )


def test_huge_arguments(checker: SchemaChecker) -> None:
    items = [{"sku": "BK-101", "quantity": 1}] * 20000 + [
        {"sku": "BK-101", "quantity": "x" * 100_000}
    ]
    outcomes = checker.check_call(
        ToolCall("create_order", {"customer": "a@example.com", "items": items})
    )
    (outcome,) = outcomes
    assert outcome.category is ErrorCategory.WRONG_TYPE
    assert outcome.extra["path"] == "$.items[20000].quantity"
    assert len(outcome.detail) < 400


def test_validators_compiled_once() -> None:
    cache = ValidatorCache()
    specs = load_tool_specs(OPENAPI)
    first = SchemaChecker(specs, cache=cache)
    second = SchemaChecker(specs, cache=cache)
    assert first._compiled["add_item"] is second._compiled["add_item"]


def test_invalid_call_walks_errors_once() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    checker = SchemaChecker([ToolSpec("count_walks", schema)], cache=ValidatorCache())
    compiled = checker._compiled["count_walks"]
    assert compiled.fast is not None
    walks = []
    validator = compiled.validator

    class CountingValidator:
        def iter_errors(self, instance: Any) -> Any:
            walks.append(instance)
            return validator.iter_errors(instance)

    compiled.validator = CountingValidator()  # type: ignore[assignment]
    assert checker.check_call(ToolCall("count_walks", {"n": 1}))[0].passed
    assert walks == []
    (outcome,) = checker.check_call(ToolCall("count_walks", {"n": "x"}))
    assert outcome.category is ErrorCategory.WRONG_TYPE
    assert walks == [{"n": "x"}]


def test_valid_calls_share_outcome(checker: SchemaChecker) -> None:
    call = ToolCall("add_item", {"order_id": 1, "sku": "BK-101", "quantity": 2})
    first = checker.check_call(call)
    second = checker.check_call(call)
    assert first == second
    assert first is not second  # a new list each time, so a caller may extend it


def test_cache_evicts_oldest() -> None:
    cache = ValidatorCache(size=2)
    schemas = [{"type": "object", "properties": {f"p{i}": {"type": "string"}}} for i in range(3)]
    validators = [cache.get(schema) for schema in schemas]
    assert cache.get(schemas[2]) is validators[2]
    assert cache.get(schemas[0]) is not validators[0]


def test_bfcl_type_translation() -> None:
    parameters = {
        "type": "dict",
        "required": ["a"],
        "properties": {
            "a": {"type": "float", "description": "d"},
            "b": {"type": "tuple", "items": {"type": "integer"}},
            "c": {"type": "any"},
            "d": {"type": "dict", "properties": {"e": {"type": "boolean"}}, "optional": True},
            "f": {"type": "array", "items": {"type": "string"}, "enum": ["x", "y"]},
        },
    }
    schema = bfcl_to_json_schema(parameters)
    props = schema["properties"]
    assert props["a"] == {"type": "number", "description": "d"}
    assert props["b"] == {"type": "array", "items": {"type": "integer"}}
    assert props["c"] == {}
    assert props["d"] == {"type": "object", "properties": {"e": {"type": "boolean"}}}
    assert props["f"] == {"type": "array", "items": {"type": "string", "enum": ["x", "y"]}}
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["a"]


def test_bfcl_java_types() -> None:
    parameters = {
        "type": "dict",
        "properties": {
            "n": {"type": "long"},
            "m": {"type": "HashMap"},
            "l": {"type": "ArrayList"},
            "s": {"type": "String"},
        },
    }
    props = bfcl_to_json_schema(parameters, language="java")["properties"]
    assert [props[k]["type"] for k in "nmls"] == ["integer", "object", "array", "string"]
    literal = bfcl_to_json_schema(parameters, language="java", literals=True)["properties"]
    assert {p["type"] for p in literal.values()} == {"string"}


def test_bfcl_javascript_types() -> None:
    parameters = {
        "type": "dict",
        "properties": {"big": {"type": "Bigint"}, "flag": {"type": "Boolean"}},
    }
    props = bfcl_to_json_schema(parameters, language="javascript")["properties"]
    assert props == {"big": {"type": "integer"}, "flag": {"type": "boolean"}}


def test_bfcl_unknown_type() -> None:
    with pytest.raises(
        ConfigError, match=r"parameters\.properties\.x\.type: unknown BFCL parameter type 'decimal'"
    ):
        bfcl_to_json_schema({"type": "dict", "properties": {"x": {"type": "decimal"}}})


def test_bfcl_float_accepts_int() -> None:
    (spec,) = specs_from_definitions(
        [{"name": "f", "parameters": {"type": "dict", "properties": {"x": {"type": "float"}}}}],
        origin="t",
    )
    assert SchemaChecker([spec]).check_call(ToolCall("f", {"x": 3}))[0].passed


# Possible answers whose first acceptable values break the function doc's own schema, because
# BFCL's data disagrees with itself. Each is checked to still fail, so a fix upstream shows.
BFCL_INCONSISTENT = {
    # The answer's value is not in the parameter's own `enum`.
    "live_parallel_multiple_2-2-0": "wrong_value",
    # Parameters listed as `required` whose answer marks them optional with "".
    "live_simple_106-63-0": "missing_required",
    "live_simple_112-68-0": "missing_required",
    "simple_python_200": "missing_required",
    # Variable names (strings) for `array` parameters, which BFCL's variable rule accepts.
    "parallel_multiple_21": "wrong_type",
    # An argument `type` that the function doc does not declare.
    "parallel_multiple_26": "unexpected_param",
    # Strings for an `array` whose `items.type` is `integer`.
    "parallel_multiple_94": "wrong_type",
}


def _read_jsonl(path: Path) -> dict[str, Any]:
    return {entry["id"]: entry for entry in map(json.loads, path.read_text().splitlines())}


def test_bfcl_answers_validate(shared_data: Path) -> None:
    data = require_file(shared_data / "bfcl-v4")
    failed: dict[str, set[str]] = {}
    checked = 0
    for answers_path in sorted((data / "possible_answer").glob("*.json")):
        questions = _read_jsonl(data / "question" / answers_path.name)
        for case_id, entry in _read_jsonl(answers_path).items():
            specs = specs_from_definitions(questions[case_id]["function"], origin=case_id)
            checker = SchemaChecker(specs)
            for expected in entry["ground_truth"]:
                for name, params in expected.items():
                    arguments = answer_arguments(params)
                    checked += 1
                    for outcome in checker.check_call(ToolCall(name, arguments)):
                        if not outcome.passed:
                            failed.setdefault(case_id, set()).add(str(outcome.category))
    assert checked > 1500
    assert set(failed) == set(BFCL_INCONSISTENT)
    for case_id, category in BFCL_INCONSISTENT.items():
        assert category in failed[case_id], case_id


def _broken(arguments: dict[str, Any]) -> dict[str, Any]:
    if not arguments:
        return {"unexpected": 1}
    key = next(iter(arguments))
    return {**arguments, key: [arguments[key], {"x": 1}]}


def test_fast_path_agrees_with_jsonschema(shared_data: Path) -> None:
    """fastjsonschema's verdict, where it is used, equals jsonschema's on BFCL's answers."""
    data = require_file(shared_data / "bfcl-v4")
    fast_used = 0
    for answers_path in sorted((data / "possible_answer").glob("*.json")):
        questions = _read_jsonl(data / "question" / answers_path.name)
        for case_id, entry in _read_jsonl(answers_path).items():
            specs = specs_from_definitions(questions[case_id]["function"], origin=case_id)
            compiled = SchemaChecker(specs)._compiled
            for expected in entry["ground_truth"]:
                for name, params in expected.items():
                    schema = compiled[name]
                    if schema.fast is None:
                        continue
                    fast_used += 1
                    for arguments in (answer_arguments(params), _broken(answer_arguments(params))):
                        full = not any(True for _ in schema.validator.iter_errors(arguments))
                        assert schema.is_valid(arguments) is full, (case_id, arguments)
    assert fast_used > 1500


def test_fast_path_skipped_for_formats(checker: SchemaChecker) -> None:
    assert checker._compiled["create_order"].fast is None
    assert checker._compiled["add_item"].fast is not None


def test_tuple_counts_as_array() -> None:
    schema = {
        "type": "object",
        "properties": {"p": {"type": "array", "items": {"type": "integer"}}},
    }
    for spec_schema in (
        schema,
        {**schema, "properties": {"p": {**schema["properties"]["p"], "format": "x"}}},
    ):
        checker = SchemaChecker([ToolSpec("t", spec_schema)])
        assert checker.check_call(ToolCall("t", {"p": (1, 2)}))[0].passed
        assert not checker.check_call(ToolCall("t", {"p": (1, "a")}))[0].passed


def test_fast_path_sees_named_properties() -> None:
    inner = {"type": "string", "format": "email"}
    schema = {"type": "object", "properties": {"enum": inner, "format": {"type": "string"}}}
    checker = SchemaChecker([ToolSpec("t", schema)])
    assert checker._compiled["t"].fast is None
    (outcome,) = checker.check_call(ToolCall("t", {"enum": "not an address"}))
    assert outcome.category is ErrorCategory.WRONG_VALUE
    plain = {"type": "object", "properties": {"format": {"type": "string"}}}
    assert SchemaChecker([ToolSpec("p", plain)])._compiled["p"].fast is not None
