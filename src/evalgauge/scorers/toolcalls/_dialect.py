"""Argument schemas as JSON Schema: BFCL's parameter dialect translated, and validity checks.

BFCL question files describe parameters with Python-flavoured type names (`dict`, `float`,
`tuple`, `any`) and, in the Java and JavaScript categories, with those languages' type names
(`long`, `HashMap`, `Bigint`, ...). `bfcl_to_json_schema` maps them onto JSON Schema draft
2020-12, so the same schema check serves BFCL data and the user's own tools.
"""

from __future__ import annotations

from typing import Any, Literal

import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from jsonschema.validators import validator_for

from evalgauge.errors import ConfigError
from evalgauge.scorers.toolcalls._model import ToolSpec

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

Language = Literal["python", "java", "javascript"]

# BFCL type name -> JSON Schema type; None means any value. The Python names are those of
# BFCL's PYTHON_TYPE_MAPPING, the others those of JAVA_TYPE_CONVERSION and JS_TYPE_CONVERSION.
_BFCL_TYPES: dict[str, str | None] = {
    "string": "string",
    "integer": "integer",
    "float": "number",
    "number": "number",
    "boolean": "boolean",
    "array": "array",
    "tuple": "array",
    "dict": "object",
    "object": "object",
    "any": None,
    "null": "null",
    # Java
    "byte": "integer",
    "short": "integer",
    "long": "integer",
    "double": "number",
    "char": "string",
    "String": "string",
    "Array": "array",
    "ArrayList": "array",
    "Queue": "array",
    "Stack": "array",
    "Set": "array",
    "HashMap": "object",
    "Hashtable": "object",
    # JavaScript
    "Bigint": "integer",
    "Boolean": "boolean",
}

# Keywords that carry over unchanged. BFCL's `optional` flag has no JSON Schema meaning, and
# `required` already marks the same parameters, so it is dropped.
_KEPT_KEYWORDS = (
    *("description", "enum", "default", "format", "minimum", "maximum"),
    *("minItems", "maxItems", "minLength", "maxLength", "pattern"),
)


def bfcl_to_json_schema(
    parameters: dict[str, Any],
    *,
    language: Language = "python",
    literals: bool = False,
    additional_properties: bool = False,
) -> dict[str, Any]:
    """Translate a BFCL `parameters` object into a JSON Schema (draft 2020-12) object schema.

    `float` becomes `number`, `dict` becomes `object`, `tuple` becomes `array` and `any`
    becomes an unconstrained schema. With `literals=True` (Java and JavaScript outputs before
    their literals are converted) every top-level parameter is typed `string`, since BFCL
    requires each such value to be a string holding a source literal. Unknown parameters are
    rejected at the top level unless `additional_properties` is true, as BFCL's
    `unexpected_param` rule does; nested objects stay open.
    """
    schema = _translate(parameters, "parameters", language)
    schema["type"] = "object"
    schema.setdefault("properties", {})
    if literals:
        schema["properties"] = {
            name: {"type": "string", **_described(prop)}
            for name, prop in schema["properties"].items()
        }
    if not additional_properties:
        schema["additionalProperties"] = False
    return {"$schema": DRAFT_2020_12, **schema}


def _described(prop: dict[str, Any]) -> dict[str, Any]:
    return {"description": prop["description"]} if "description" in prop else {}


def _translate(node: dict[str, Any], where: str, language: Language) -> dict[str, Any]:
    if not isinstance(node, dict):
        raise ConfigError(f"{where}: expected a parameter object, found {type(node).__name__}")
    out: dict[str, Any] = {key: node[key] for key in _KEPT_KEYWORDS if key in node}
    type_name = node.get("type")
    if type_name is not None:
        json_type = _json_type(type_name, where, language)
        if json_type is not None:
            out["type"] = json_type
    if "properties" in node:
        out["properties"] = {
            name: _translate(prop, f"{where}.properties.{name}", language)
            for name, prop in node["properties"].items()
        }
    if "required" in node:
        out["required"] = list(node["required"])
    if isinstance(node.get("items"), dict):
        out["items"] = _translate(node["items"], f"{where}.items", language)
    if out.get("type") == "array" and _scalar_enum(out.get("enum")):
        # BFCL puts an array's allowed element values on the array itself.
        items = out.setdefault("items", {})
        items.setdefault("enum", out.pop("enum"))
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        out["additionalProperties"] = _translate(extra, f"{where}.additionalProperties", language)
    elif isinstance(extra, bool):
        out["additionalProperties"] = extra
    return out


def _scalar_enum(values: Any) -> bool:
    return isinstance(values, list) and not any(isinstance(v, (list, dict)) for v in values)


def _json_type(type_name: Any, where: str, language: Language) -> str | None:
    if not isinstance(type_name, str) or type_name not in _BFCL_TYPES:
        known = ", ".join(sorted(_BFCL_TYPES))
        raise ConfigError(
            f"{where}.type: unknown BFCL parameter type {type_name!r} ({language}); "
            f"use one of {known}"
        )
    return _BFCL_TYPES[type_name]


def is_bfcl_dialect(parameters: dict[str, Any]) -> bool:
    """Tell BFCL's dialect from JSON Schema: BFCL's top-level type is `dict`, never `object`."""
    return parameters.get("type") == "dict"


def tool_json_schema(spec: ToolSpec) -> dict[str, Any]:
    """Return the tool's argument schema as JSON Schema, translating BFCL's dialect if used."""
    if is_bfcl_dialect(spec.parameters):
        return bfcl_to_json_schema(spec.parameters)
    return spec.parameters


_VALID_SCHEMAS: dict[bytes, None] = {}
_VALID_SCHEMAS_SIZE = 8192


def check_json_schema(schema: Any, where: str) -> None:
    """Raise ConfigError when `schema` is not a valid JSON Schema under its own `$schema`.

    Without `$schema`, the schema is checked as draft 2020-12. Checking against the
    meta-schema costs about a millisecond, so schemas found valid are remembered.
    """
    if not isinstance(schema, (dict, bool)):
        raise ConfigError(
            f"{where}: a tool's parameters must be a JSON Schema object, "
            f"found {type(schema).__name__}"
        )
    key = orjson.dumps(schema, option=orjson.OPT_SORT_KEYS)
    if key in _VALID_SCHEMAS:
        return
    try:
        validator_for(schema, default=Draft202012Validator).check_schema(schema)  # type: ignore[arg-type]
    except SchemaError as exc:
        raise ConfigError(
            f"{where}: invalid JSON Schema at {exc.json_path}: {exc.message}; "
            "fix the tool definition so it is valid JSON Schema draft 2020-12"
        ) from None
    if len(_VALID_SCHEMAS) >= _VALID_SCHEMAS_SIZE:
        _VALID_SCHEMAS.clear()
    _VALID_SCHEMAS[key] = None
