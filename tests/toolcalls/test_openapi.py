"""Tools from OpenAPI documents: naming, arguments, `$ref` resolution and document errors."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from evalgauge.errors import ConfigError
from evalgauge.scorers.toolcalls._openapi import specs_from_openapi
from evalgauge.scorers.toolcalls._specs import load_tool_specs
from tests.toolcalls._orders import OPENAPI


def _doc(
    paths: dict[str, Any], schemas: dict[str, Any] | None = None, version: str = "3.1.0"
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "openapi": version,
        "info": {"title": "t", "version": "1"},
        "paths": paths,
    }
    if schemas is not None:
        doc["components"] = {"schemas": schemas}
    return doc


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def test_orders_document_tools() -> None:
    specs = {s.name: s for s in load_tool_specs(OPENAPI)}
    assert sorted(specs) == ["add_item", "cancel_order", "create_order", "get_order", "list_orders"]
    add_item = specs["add_item"]
    assert add_item.source == "openapi:POST /orders/{order_id}/items"
    assert add_item.http is not None
    assert add_item.http.method == "POST"
    assert add_item.http.locations == {"order_id": "path", "sku": "body", "quantity": "body"}
    assert add_item.http.body_argument is None
    assert add_item.parameters["required"] == ["order_id", "sku", "quantity"]
    assert add_item.parameters["additionalProperties"] is False


def test_path_level_parameter_inherited() -> None:
    specs = {s.name: s for s in load_tool_specs(OPENAPI)}
    order_id = specs["cancel_order"].parameters["properties"]["order_id"]
    assert order_id["type"] == "integer"
    assert order_id["description"].startswith("The order's id")


def test_schema_refs_bundled_as_defs() -> None:
    specs = {s.name: s for s in load_tool_specs(OPENAPI)}
    create = specs["create_order"].parameters
    assert create["properties"]["items"]["items"] == {"$ref": "#/$defs/Item"}
    assert set(create["$defs"]) == {"Item"}
    assert specs["list_orders"].parameters["properties"]["status"] == {"$ref": "#/$defs/Status"}


def test_description_from_summary() -> None:
    specs = {s.name: s for s in load_tool_specs(OPENAPI)}
    assert specs["get_order"].description == "Get one order with its items."


def test_name_without_operation_id() -> None:
    doc = _doc(
        {
            "/users/{user_id}/posts": {
                "get": {
                    "parameters": [{"name": "user_id", "in": "path", "schema": {"type": "string"}}]
                }
            }
        }
    )
    (spec,) = specs_from_openapi(doc)
    assert spec.name == "get_users_user_id_posts"
    assert spec.parameters["required"] == ["user_id"]


def test_operation_parameter_overrides_path_level() -> None:
    doc = _doc(
        {
            "/a": {
                "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}],
                "get": {
                    "operationId": "a",
                    "parameters": [{"name": "q", "in": "query", "schema": {"type": "integer"}}],
                },
            }
        }
    )
    (spec,) = specs_from_openapi(doc)
    assert spec.parameters["properties"]["q"] == {"type": "integer"}


def test_body_kept_whole_on_name_clash() -> None:
    body = {"type": "object", "properties": {"id": {"type": "string"}}}
    doc = _doc(
        {
            "/things/{id}": {
                "put": {
                    "operationId": "put_thing",
                    "parameters": [{"name": "id", "in": "path", "schema": {"type": "string"}}],
                    **_body(body),
                }
            }
        }
    )
    (spec,) = specs_from_openapi(doc)
    assert spec.http is not None
    assert spec.http.body_argument == "body"
    assert spec.parameters["properties"]["body"] == body
    assert spec.parameters["required"] == ["id", "body"]


def test_array_body_kept_whole() -> None:
    doc = _doc(
        {
            "/bulk": {
                "post": {
                    "operationId": "bulk",
                    **_body({"type": "array", "items": {"type": "integer"}}),
                }
            }
        }
    )
    (spec,) = specs_from_openapi(doc)
    assert spec.parameters["properties"]["body"]["type"] == "array"


def test_open_body_allows_extra_arguments() -> None:
    body = {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": True}
    doc = _doc({"/x": {"post": {"operationId": "x", **_body(body)}}})
    (spec,) = specs_from_openapi(doc)
    assert "additionalProperties" not in spec.parameters


def test_header_parameter_location() -> None:
    doc = _doc(
        {
            "/x": {
                "get": {
                    "operationId": "x",
                    "parameters": [
                        {
                            "name": "X-Tenant",
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                }
            }
        }
    )
    (spec,) = specs_from_openapi(doc)
    assert spec.http is not None
    assert spec.http.locations == {"X-Tenant": "header"}
    assert spec.parameters["required"] == ["X-Tenant"]


def test_openapi_30_nullable_and_exclusive() -> None:
    schema = {
        "type": "object",
        "properties": {
            "note": {"type": "string", "nullable": True},
            "size": {"type": "integer", "minimum": 0, "exclusiveMinimum": True},
        },
    }
    doc = _doc({"/x": {"post": {"operationId": "x", **_body(schema)}}}, version="3.0.3")
    (spec,) = specs_from_openapi(doc)
    props = spec.parameters["properties"]
    assert props["note"] == {"type": ["string", "null"]}
    assert props["size"] == {"type": "integer", "exclusiveMinimum": 0}


def test_recursive_schema_stays_finite() -> None:
    schemas = {
        "Node": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
            },
        }
    }
    doc = _doc(
        {
            "/tree": {
                "post": {"operationId": "tree", **_body({"$ref": "#/components/schemas/Node"})}
            }
        },
        schemas,
    )
    (spec,) = specs_from_openapi(doc)
    assert spec.parameters["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}
    assert spec.parameters["$defs"]["Node"]["properties"]["children"]["items"] == {
        "$ref": "#/$defs/Node"
    }


def test_reference_to_other_file(tmp_path: Path) -> None:
    (tmp_path / "common.yaml").write_text(
        yaml.safe_dump({"Money": {"type": "integer", "minimum": 0}})
    )
    doc = _doc(
        {
            "/pay": {
                "post": {
                    "operationId": "pay",
                    **_body(
                        {"type": "object", "properties": {"amount": {"$ref": "common.yaml#/Money"}}}
                    ),
                }
            }
        }
    )
    path = tmp_path / "api.yaml"
    path.write_text(yaml.safe_dump(doc))
    (spec,) = load_tool_specs(path)
    amount_ref = spec.parameters["properties"]["amount"]["$ref"]
    assert spec.parameters["$defs"][amount_ref.removeprefix("#/$defs/")] == {
        "type": "integer",
        "minimum": 0,
    }


def test_unresolved_ref_names_path() -> None:
    doc = yaml.safe_load(OPENAPI.read_text())
    broken = copy.deepcopy(doc)
    body = broken["paths"]["/orders/{order_id}/items"]["post"]["requestBody"]
    body["content"]["application/json"]["schema"] = {"$ref": "#/components/schemas/LineItem"}
    with pytest.raises(ConfigError) as info:
        specs_from_openapi(broken, origin="openapi.yaml")
    message = str(info.value)
    assert (
        "paths./orders/{order_id}/items.post.requestBody.content.application/json.schema" in message
    )
    assert "'#/components/schemas/LineItem'" in message
    assert "define the referenced component" in message


def test_unresolved_parameter_ref() -> None:
    doc = _doc(
        {
            "/x/{id}": {
                "get": {"operationId": "x", "parameters": [{"$ref": "#/components/parameters/Id"}]}
            }
        }
    )
    with pytest.raises(
        ConfigError, match=r"paths\./x/\{id\}\.get\.parameters\.0: unresolved \$ref"
    ):
        specs_from_openapi(doc)


def test_remote_ref_not_fetched() -> None:
    doc = _doc(
        {"/x": {"post": {"operationId": "x", **_body({"$ref": "https://example.com/s.json"})}}}
    )
    with pytest.raises(ConfigError, match="unresolved"):
        specs_from_openapi(doc)


def test_swagger_2_rejected() -> None:
    with pytest.raises(ConfigError, match=r"Swagger 2\.0 document is not OpenAPI 3"):
        specs_from_openapi({"swagger": "2.0", "paths": {}})


def test_unknown_version_rejected() -> None:
    with pytest.raises(ConfigError, match=r"only OpenAPI 3\.0 and 3\.1"):
        specs_from_openapi({"openapi": "4.0", "paths": {}})


def test_no_operations_rejected() -> None:
    with pytest.raises(ConfigError, match="no operations"):
        specs_from_openapi(_doc({}))


def test_invalid_schema_in_document() -> None:
    doc = _doc(
        {
            "/x": {
                "post": {
                    "operationId": "x",
                    **_body({"type": "object", "properties": {"n": {"minimum": "one"}}}),
                }
            }
        }
    )
    with pytest.raises(ConfigError) as info:
        specs_from_openapi(doc, origin="api.yaml")
    assert "paths./x.post" in str(info.value)
    assert "invalid JSON Schema" in str(info.value)


def test_duplicate_operation_ids() -> None:
    doc = _doc({"/a": {"get": {"operationId": "same"}}, "/b": {"get": {"operationId": "same"}}})
    with pytest.raises(ConfigError, match="two tools are named 'same'"):
        specs_from_openapi(doc)


def test_parameter_without_in() -> None:
    doc = _doc({"/a": {"get": {"operationId": "a", "parameters": [{"name": "q"}]}}})
    with pytest.raises(ConfigError, match="needs a `name` and an `in`"):
        specs_from_openapi(doc)


def test_json_document_file(tmp_path: Path) -> None:
    path = tmp_path / "api.json"
    path.write_text(json.dumps(yaml.safe_load(OPENAPI.read_text())))
    assert len(load_tool_specs(path)) == 5


def test_keyword_named_properties() -> None:
    schemas = {"Money": {"type": "integer"}}
    body = {
        "type": "object",
        "properties": {
            "default": {"$ref": "#/components/schemas/Money"},
            "nullable": {"type": "boolean"},
        },
    }
    doc = _doc({"/x": {"post": {"operationId": "x", **_body(body)}}}, schemas, version="3.0.3")
    (spec,) = specs_from_openapi(doc)
    props = spec.parameters["properties"]
    assert props["default"] == {"$ref": "#/$defs/Money"}
    assert props["nullable"] == {"type": "boolean"}
