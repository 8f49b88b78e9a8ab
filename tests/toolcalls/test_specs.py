"""Loading tool definitions: OpenAI, Anthropic, BFCL, files and Python callables."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from evalgauge.errors import ConfigError
from evalgauge.scorers.toolcalls._callables import specs_from_python
from evalgauge.scorers.toolcalls._dialect import check_json_schema, tool_json_schema
from evalgauge.scorers.toolcalls._specs import load_tool_specs, specs_from_definitions
from tests._env import require_file
from tests.toolcalls._orders import BACKEND

WEATHER = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
    "required": ["city"],
}


def test_openai_wrapped_form() -> None:
    specs = load_tool_specs(
        [
            {
                "type": "function",
                "function": {"name": "weather", "description": "d", "parameters": WEATHER},
            }
        ]
    )
    assert [s.name for s in specs] == ["weather"]
    assert specs[0].parameters == WEATHER
    assert specs[0].description == "d"
    assert specs[0].source == "openai"


def test_openai_bare_form() -> None:
    (spec,) = load_tool_specs([{"name": "weather", "parameters": WEATHER}])
    assert spec.source == "openai"
    assert spec.parameters["required"] == ["city"]


def test_anthropic_form() -> None:
    (spec,) = load_tool_specs([{"name": "weather", "description": "x", "input_schema": WEATHER}])
    assert spec.source == "anthropic"
    assert spec.parameters == WEATHER


def test_tools_wrapper_object() -> None:
    specs = load_tool_specs({"tools": [{"name": "a", "input_schema": WEATHER}]})
    assert [s.name for s in specs] == ["a"]


def test_bfcl_dialect_detected() -> None:
    (spec,) = load_tool_specs(
        [{"name": "f", "parameters": {"type": "dict", "properties": {"x": {"type": "float"}}}}]
    )
    assert spec.source == "bfcl"
    assert tool_json_schema(spec)["properties"]["x"] == {"type": "number"}


def test_missing_parameters_means_no_arguments() -> None:
    (spec,) = load_tool_specs([{"name": "ping", "description": "no arguments"}])
    assert spec.parameters == {"type": "object", "properties": {}}


def test_invalid_schema_is_config_error() -> None:
    bad = {"type": "object", "properties": {"city": {"type": "strng"}}}
    with pytest.raises(ConfigError) as info:
        load_tool_specs([{"name": "weather", "parameters": bad}])
    message = str(info.value)
    assert "'weather'" in message
    assert "$.properties.city.type" in message


def test_invalid_required_is_config_error() -> None:
    with pytest.raises(ConfigError, match="required"):
        load_tool_specs([{"name": "w", "parameters": {"type": "object", "required": "city"}}])


def test_parameters_not_object_rejected() -> None:
    with pytest.raises(ConfigError, match="must be a JSON Schema object"):
        load_tool_specs([{"name": "w", "parameters": ["city"]}])


def test_nameless_tool_rejected() -> None:
    with pytest.raises(ConfigError, match="no `name`"):
        load_tool_specs([{"parameters": WEATHER, "description": "x"}])


def test_unknown_shape_rejected() -> None:
    with pytest.raises(ConfigError, match="not a tool definition"):
        load_tool_specs([{"title": "weather"}])


def test_duplicate_names_rejected() -> None:
    tool = {"name": "w", "parameters": WEATHER}
    with pytest.raises(ConfigError, match="two tools are named 'w'"):
        load_tool_specs([tool, tool])


def test_json_file(tmp_path: Path) -> None:
    path = tmp_path / "tools.json"
    path.write_text(json.dumps([{"name": "w", "parameters": WEATHER}]))
    assert [s.name for s in load_tool_specs(str(path))] == ["w"]


def test_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "tools.yaml"
    path.write_text(yaml.safe_dump({"tools": [{"name": "w", "input_schema": WEATHER}]}))
    assert [s.source for s in load_tool_specs(path)] == ["anthropic"]


def test_jsonl_file(tmp_path: Path) -> None:
    path = tmp_path / "tools.jsonl"
    lines = [json.dumps({"name": n, "parameters": WEATHER}) for n in ("a", "b")]
    path.write_text("\n".join(lines) + "\n")
    assert [s.name for s in load_tool_specs(path)] == ["a", "b"]


def test_broken_json_file(tmp_path: Path) -> None:
    path = tmp_path / "tools.json"
    path.write_text("[{")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_tool_specs(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read tool definitions"):
        load_tool_specs(tmp_path / "absent.json")


def test_scalar_file_rejected(tmp_path: Path) -> None:
    path = tmp_path / "tools.yaml"
    path.write_text("just text\n")
    with pytest.raises(ConfigError, match="expected a list of tool definitions"):
        load_tool_specs(path)


SAMPLE_MODULE = '''
"""Sample tools."""
from typing import Literal

from pydantic import BaseModel


class Address(BaseModel):
    street: str
    zip_code: str


def ship(address: Address, speed: Literal["slow", "fast"] = "slow", gift: bool = False) -> str:
    """Ship the parcel.

    Args:
        address: Where it goes.
        speed: How fast.
    """
    return "ok"


def quote(weight_kg: float, *, insured: bool) -> float:
    """Quote a price."""
    return weight_kg


def _helper() -> None:
    pass
'''


@pytest.fixture
def sample_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "sample_tools.py").write_text(SAMPLE_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "sample_tools"
    sys.modules.pop("sample_tools", None)


def test_python_function(sample_module: str) -> None:
    (spec,) = load_tool_specs(f"{sample_module}:ship")
    schema = spec.parameters
    assert spec.description == "Ship the parcel."
    assert schema["required"] == ["address"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["speed"]["enum"] == ["slow", "fast"]
    assert schema["properties"]["speed"]["description"] == "How fast."
    assert schema["properties"]["address"] == {
        "$ref": "#/$defs/Address",
        "description": "Where it goes.",
    }
    assert set(schema["$defs"]["Address"]["properties"]) == {"street", "zip_code"}
    check_json_schema(schema, "ship")


def test_python_keyword_only(sample_module: str) -> None:
    (spec,) = load_tool_specs(f"{sample_module}:quote")
    assert spec.parameters["properties"]["weight_kg"]["type"] == "number"
    assert spec.parameters["required"] == ["weight_kg", "insured"]


def test_python_module_public_functions(sample_module: str) -> None:
    specs = load_tool_specs(sample_module)
    assert sorted(s.name for s in specs) == ["quote", "ship"]


def test_python_class_methods() -> None:
    specs = specs_from_python(BACKEND)
    names = sorted(s.name for s in specs)
    assert names == ["add_item", "cancel_order", "create_order", "get_order", "list_orders"]
    add_item = next(s for s in specs if s.name == "add_item")
    assert "self" not in add_item.parameters["properties"]
    assert add_item.parameters["properties"]["order_id"]["type"] == "integer"


def test_python_file_without_name(tmp_path: Path) -> None:
    path = tmp_path / "tools_file.py"
    path.write_text("def ping(host: str) -> str:\n    return host\n")
    (spec,) = load_tool_specs(str(path))
    assert spec.name == "ping"
    assert spec.parameters["required"] == ["host"]


def test_python_missing_module() -> None:
    with pytest.raises(ConfigError, match="cannot import 'no_such_module_xyz'"):
        load_tool_specs("no_such_module_xyz:f")


def test_python_missing_attribute(sample_module: str) -> None:
    with pytest.raises(ConfigError, match="has no attribute 'nope'"):
        load_tool_specs(f"{sample_module}:nope")


def test_python_positional_only_rejected(tmp_path: Path) -> None:
    path = tmp_path / "posonly.py"
    path.write_text("def f(a: int, /) -> None:\n    pass\n")
    with pytest.raises(ConfigError, match="cannot be passed by keyword"):
        load_tool_specs(f"{path}:f")


def test_python_unsupported_annotation(tmp_path: Path) -> None:
    path = tmp_path / "odd.py"
    path.write_text("import socket\n\ndef f(s: socket.socket) -> None:\n    pass\n")
    with pytest.raises(ConfigError, match="cannot be turned into JSON Schema"):
        load_tool_specs(f"{path}:f")


def _bfcl_questions(data: Path) -> list[tuple[str, dict[str, object]]]:
    found = []
    for path in sorted((data / "question").glob("BFCL_v4_*.json")):
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            for function in entry["function"]:
                found.append((entry["id"], function))
    return found


def test_bfcl_functions_translate(shared_data: Path) -> None:
    """Every BFCL v4 function doc becomes a valid JSON Schema (check_schema runs in loading)."""
    data = require_file(shared_data / "bfcl-v4")
    functions = _bfcl_questions(data)
    assert len(functions) > 2000
    for case_id, function in functions:
        (spec,) = specs_from_definitions([function], origin=case_id)
        schema = tool_json_schema(spec)
        assert schema["type"] == "object", case_id
        assert _types(schema) <= JSON_TYPES, case_id
        check_json_schema(schema, case_id)


JSON_TYPES = {"object", "array", "string", "number", "integer", "boolean", "null"}


def _types(node: object) -> set[str]:
    """Every `type` value in a schema, to show no BFCL type name survived translation."""
    found: set[str] = set()
    if isinstance(node, dict):
        if isinstance(node.get("type"), str):
            found.add(node["type"])
        for key, value in node.items():
            if key not in ("enum", "default"):
                found |= _types(value)
    elif isinstance(node, list):
        for item in node:
            found |= _types(item)
    return found
