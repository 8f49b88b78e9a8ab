"""Load tool definitions into `ToolSpec`s, from whatever form the user's tools already take.

Accepted sources:

- OpenAI function schemas, `{"type": "function", "function": {name, description, parameters}}`
  or the bare `{name, description, parameters}`;
- Anthropic tool definitions, `{name, description, input_schema}`;
- BFCL function docs (the bare OpenAI form with BFCL's `dict` dialect);
- an OpenAPI 3.0 or 3.1 document, one tool per operation (see `_openapi`);
- Python callables: `module:function`, `module:Class`, a module, or `path/to/file.py:name`.

A file (`.json`, `.jsonl`, `.yaml`, `.yml`) contains a list of definitions, an object with a
`tools` or `functions` list, or an OpenAPI document. Every argument schema is checked to be
valid JSON Schema, and every problem is a ConfigError that names the source and the fix.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from evalgauge.errors import ConfigError
from evalgauge.scorers.toolcalls._dialect import check_json_schema, tool_json_schema
from evalgauge.scorers.toolcalls._model import ToolSpec

_FILE_SUFFIXES = (".json", ".jsonl", ".yaml", ".yml")


def load_tool_specs(source: str | Path | Mapping[str, Any] | Iterable[Any]) -> list[ToolSpec]:
    """Load and validate the tools of one source (a file, a `module:name`, or parsed JSON)."""
    if isinstance(source, Path) or (isinstance(source, str) and _looks_like_file(source)):
        return _load_file(Path(source))
    if isinstance(source, str):
        from evalgauge.scorers.toolcalls._callables import specs_from_python

        return specs_from_python(source)
    if isinstance(source, Mapping):
        return specs_from_document(source, origin="tool definitions")
    return specs_from_definitions(list(source), origin="tool definitions")


def _looks_like_file(source: str) -> bool:
    if source.endswith(".py"):
        return False  # a Python file of tools, imported rather than parsed
    return source.endswith(_FILE_SUFFIXES) or Path(source).is_file()


def _load_file(path: Path) -> list[ToolSpec]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read tool definitions {str(path)!r}: {exc.strerror}") from None
    origin = str(path)
    try:
        if path.suffix == ".jsonl":
            document: Any = [json.loads(line) for line in text.splitlines() if line.strip()]
        elif path.suffix == ".json":
            document = json.loads(text)
        else:
            document = yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{origin}: not valid {path.suffix[1:].upper()}: {exc}") from None
    if isinstance(document, Mapping):
        return specs_from_document(document, origin=origin, base=path)
    if isinstance(document, list):
        return specs_from_definitions(document, origin=origin)
    raise ConfigError(
        f"{origin}: expected a list of tool definitions or an OpenAPI document, "
        f"found {type(document).__name__}"
    )


def specs_from_document(
    document: Mapping[str, Any], *, origin: str, base: Path | None = None
) -> list[ToolSpec]:
    """Load an OpenAPI document, a `{"tools": [...]}` wrapper, or one tool definition."""
    if "openapi" in document or "swagger" in document:
        from evalgauge.scorers.toolcalls._openapi import specs_from_openapi

        return specs_from_openapi(document, origin=origin, base=base)
    for key in ("tools", "functions"):
        if isinstance(document.get(key), list):
            return specs_from_definitions(document[key], origin=origin)
    return specs_from_definitions([document], origin=origin)


def specs_from_definitions(
    definitions: list[Any], *, origin: str, check: bool = True
) -> list[ToolSpec]:
    """Convert OpenAI, Anthropic or BFCL tool definitions; names must be unique.

    With `check=False` the argument schemas are not checked against the meta-schema.
    """
    specs = [
        _spec_from_definition(item, f"{origin}, tool {i}", check)
        for i, item in enumerate(definitions)
    ]
    check_unique_names(specs, origin)
    return specs


def _spec_from_definition(item: Any, where: str, check: bool = True) -> ToolSpec:
    if not isinstance(item, Mapping):
        raise ConfigError(
            f"{where}: expected a tool definition object, found {type(item).__name__}"
        )
    if item.get("type") == "function" and isinstance(item.get("function"), Mapping):
        return _function_spec(item["function"], where, "openai", check=check)
    if "input_schema" in item:
        return _function_spec(item, where, "anthropic", schema_key="input_schema", check=check)
    if "parameters" in item or ("name" in item and "description" in item):
        source = "bfcl" if _is_bfcl(item) else "openai"
        return _function_spec(item, where, source, check=check)
    raise ConfigError(
        f"{where}: not a tool definition; expected an OpenAI function "
        '({"type": "function", "function": {...}} or {name, description, parameters}) '
        "or an Anthropic tool ({name, description, input_schema})"
    )


def _is_bfcl(item: Mapping[str, Any]) -> bool:
    parameters = item.get("parameters")
    return isinstance(parameters, Mapping) and parameters.get("type") == "dict"


def _function_spec(
    item: Mapping[str, Any],
    where: str,
    source: str,
    *,
    schema_key: str = "parameters",
    check: bool = True,
) -> ToolSpec:
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where}: the tool has no `name`; give every tool a non-empty name")
    where = f"{where} ({name!r})"
    parameters = item.get(schema_key, {"type": "object", "properties": {}})
    if not isinstance(parameters, Mapping):
        raise ConfigError(
            f"{where}: `{schema_key}` must be a JSON Schema object, "
            f"found {type(parameters).__name__}"
        )
    description = item.get("description") or ""
    spec = ToolSpec(name, dict(parameters), str(description), source)
    if check:
        validate_spec(spec, where)
    return spec


def validate_spec(spec: ToolSpec, where: str) -> None:
    """Raise ConfigError when the tool's argument schema is not valid JSON Schema."""
    check_json_schema(tool_json_schema(spec), f"{where}: parameters")


def check_unique_names(specs: list[ToolSpec], origin: str) -> None:
    seen: dict[str, ToolSpec] = {}
    for spec in specs:
        if spec.name in seen:
            raise ConfigError(
                f"{origin}: two tools are named {spec.name!r} "
                f"({seen[spec.name].source or 'first'} and {spec.source or 'second'}); "
                "tool names must be unique"
            )
        seen[spec.name] = spec
