"""One tool per operation of an OpenAPI 3.0 or 3.1 document.

A tool's arguments are the operation's path, query, header and cookie parameters plus its JSON
request body. When the body is a plain object whose field names do not clash with a parameter,
its fields become arguments of their own, as a model would pass them. Otherwise the whole
body is one argument named `body`. Each tool gets one self-contained JSON Schema (draft 2020-12):
`$ref`s to schemas are resolved with `referencing` and bundled under `$defs` (which also keeps
recursive schemas finite), and `$ref`s to parameters and request bodies are inlined. OpenAPI
3.0's `nullable` and boolean `exclusiveMinimum`/`exclusiveMaximum` are rewritten in 2020-12
terms. Unknown arguments are rejected unless the body schema allows extra fields.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin

import yaml
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from evalgauge.errors import ConfigError
from evalgauge.scorers.toolcalls._dialect import DRAFT_2020_12
from evalgauge.scorers.toolcalls._model import HttpOperation, ToolSpec
from evalgauge.scorers.toolcalls._specs import check_unique_names, validate_spec

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PARAMETER_LOCATIONS = ("path", "query", "header", "cookie")
BODY_ARGUMENT = "body"

# Keywords whose values are data, not schemas, so `$ref`s inside them are left alone.
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "example", "examples"})
# Keywords whose value maps names to schemas.
_SCHEMA_MAPS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
)
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")


def specs_from_openapi(
    document: Mapping[str, Any], *, origin: str = "OpenAPI document", base: Path | None = None
) -> list[ToolSpec]:
    """Build one ToolSpec per operation; `base` is the document's file, for relative `$ref`s."""
    _check_version(document, origin)
    resolver = _Resolver(document, origin, base)
    paths = document.get("paths") or {}
    if not isinstance(paths, Mapping):
        raise ConfigError(f"{origin}: `paths` must be an object of path items")
    specs: list[ToolSpec] = []
    for path, item in paths.items():
        item, item_base = resolver.deref(item, resolver.root, f"paths.{path}")
        for method in HTTP_METHODS:
            if isinstance(item.get(method), Mapping):
                where = f"paths.{path}.{method}"
                specs.append(_operation_spec(resolver, item, item_base, path, method, where))
    if not specs:
        raise ConfigError(f"{origin}: the OpenAPI document has no operations under `paths`")
    check_unique_names(specs, origin)
    return specs


def _check_version(document: Mapping[str, Any], origin: str) -> None:
    version = str(document.get("openapi", ""))
    if version.startswith(("3.0", "3.1")):
        return
    if "swagger" in document:
        raise ConfigError(
            f"{origin}: a Swagger {document['swagger']} document is not OpenAPI 3; "
            "convert it to OpenAPI 3 first (for example with swagger2openapi)"
        )
    raise ConfigError(
        f"{origin}: `openapi` is {version or 'missing'!r}; only OpenAPI 3.0 and 3.1 are supported"
    )


class _Resolver:
    """Looks up `$ref`s in the document, or in files beside it, with `referencing`."""

    def __init__(self, document: Mapping[str, Any], origin: str, base: Path | None) -> None:
        self.origin = origin
        self.root = base.resolve().as_uri() if base is not None else "urn:evalgauge:openapi"
        resource: Resource[Any] = DRAFT202012.create_resource(document)
        registry: Registry[Any] = Registry(retrieve=_retrieve_file)  # type: ignore[call-arg]
        self.registry = registry.with_resource(self.root, resource)

    def lookup(self, ref: str, base: str, where: str) -> tuple[Any, str]:
        """Return the referenced value and the URI it was found at."""
        target = urljoin(base, ref)
        try:
            resolved = self.registry.resolver(base_uri=base).lookup(ref)
        except Unresolvable as exc:
            raise ConfigError(
                f"{self.origin}: {where}: unresolved $ref {ref!r} ({type(exc).__name__}); "
                "define the referenced component (for example under components.schemas) "
                "or correct the reference"
            ) from None
        return resolved.contents, target

    def deref(self, node: Any, base: str, where: str) -> tuple[dict[str, Any], str]:
        """Follow `$ref`s on a non-schema object (parameter, request body, path item)."""
        seen: set[str] = set()
        while isinstance(node, Mapping) and "$ref" in node:
            node, target = self.lookup(str(node["$ref"]), base, where)
            base = urldefrag(target).url or base
            if target in seen:
                raise ConfigError(f"{self.origin}: {where}: $ref cycle through {target!r}")
            seen.add(target)
        if not isinstance(node, Mapping):
            raise ConfigError(f"{self.origin}: {where}: expected an object, found {node!r}")
        return dict(node), base


def _retrieve_file(uri: str) -> Resource[Any]:
    """Load a `$ref`'d file beside the document; only `file:` URIs are read, nothing remote."""
    if not uri.startswith("file:"):
        raise ValueError(f"only local files are resolved, not {uri!r}")
    from urllib.request import url2pathname

    text = Path(url2pathname(uri[len("file:") :])).read_text(encoding="utf-8")
    return DRAFT202012.create_resource(yaml.safe_load(text))


class _Bundler:
    """Copies a schema with every `$ref` resolved, collecting referenced schemas in `$defs`."""

    def __init__(self, resolver: _Resolver) -> None:
        self.resolver = resolver
        self.defs: dict[str, Any] = {}
        self.names: dict[str, str] = {}

    def schema(self, node: Any, base: str, where: str) -> Any:
        if isinstance(node, list):
            return [self.schema(item, base, f"{where}.{i}") for i, item in enumerate(node)]
        if not isinstance(node, Mapping):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref":
                out[key] = self._ref(str(value), base, where)
            elif key in _DATA_KEYWORDS:
                out[key] = value
            elif key in _SCHEMA_MAPS and isinstance(value, Mapping):
                # Keys here are names (a property may be called `default`), values are schemas.
                out[key] = {
                    name: self.schema(sub, base, f"{where}.{key}.{name}")
                    for name, sub in value.items()
                }
            else:
                out[key] = self.schema(value, base, f"{where}.{key}")
        return _from_openapi_30(out)

    def _ref(self, ref: str, base: str, where: str) -> str:
        target = urljoin(base, ref)
        if target not in self.names:
            contents, target = self.resolver.lookup(ref, base, f"{where}.$ref")
            name = self._new_name(target)
            self.names[target] = name
            self.defs[name] = {}
            self.defs[name] = self.schema(contents, urldefrag(target).url or base, f"{where}.$ref")
        return f"#/$defs/{self.names[target]}"

    def _new_name(self, target: str) -> str:
        stem = _NAME_CHARS.sub("_", target.rsplit("/", 1)[-1]) or "schema"
        name, n = stem, 2
        while name in self.defs:
            name, n = f"{stem}_{n}", n + 1
        return name

    def target_of(self, schema: Any) -> Any:
        """Return the schema itself, or the bundled definition it refers to."""
        if isinstance(schema, Mapping) and set(schema) == {"$ref"}:
            return self.defs.get(str(schema["$ref"]).removeprefix("#/$defs/"), schema)
        return schema


def _from_openapi_30(schema: dict[str, Any]) -> dict[str, Any]:
    """Rewrite OpenAPI 3.0 keywords that mean something else in JSON Schema 2020-12."""
    if isinstance(schema.get("nullable"), bool) and schema.pop("nullable"):
        if isinstance(schema.get("type"), str):
            schema["type"] = [schema["type"], "null"]
        if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        flag = schema.get(exclusive)
        if isinstance(flag, bool):
            del schema[exclusive]
            if flag and bound in schema:
                schema[exclusive] = schema.pop(bound)
    return schema


def _operation_spec(
    resolver: _Resolver,
    item: dict[str, Any],
    base: str,
    path: str,
    method: str,
    where: str,
) -> ToolSpec:
    operation = item[method]
    bundler = _Bundler(resolver)
    properties: dict[str, Any] = {}
    required: list[str] = []
    locations: dict[str, str] = {}
    for param, param_where in _parameters(resolver, item, operation, base, where):
        _add_parameter(bundler, param, base, param_where, properties, required, locations)
    body_argument, closed = _add_body(
        bundler, resolver, operation, base, where, properties, required, locations
    )
    schema: dict[str, Any] = {"$schema": DRAFT_2020_12, "type": "object", "properties": properties}
    if required:
        schema["required"] = required
    if closed:
        schema["additionalProperties"] = False
    defs = _used_defs(properties, bundler.defs)
    if defs:
        schema["$defs"] = defs
    name = _tool_name(operation, method, path)
    description = _description(operation)
    http = HttpOperation(method.upper(), path, locations, body_argument)
    spec = ToolSpec(name, schema, description, f"openapi:{method.upper()} {path}", http)
    validate_spec(spec, f"{resolver.origin}: {where}")
    return spec


def _used_defs(properties: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """Keep the definitions reachable from the arguments, dropping a flattened body's own."""
    used: set[str] = set()
    pending = [properties]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                name = ref.removeprefix("#/$defs/")
                if name not in used and name in defs:
                    used.add(name)
                    pending.append(defs[name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return {name: schema for name, schema in defs.items() if name in used}


def _parameters(
    resolver: _Resolver, item: dict[str, Any], operation: dict[str, Any], base: str, where: str
) -> list[tuple[dict[str, Any], str]]:
    """Path-level parameters overridden by operation-level ones with the same name and `in`."""
    merged: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
    for owner, owner_where in ((item, where.rsplit(".", 1)[0]), (operation, where)):
        for i, raw in enumerate(owner.get("parameters") or []):
            param_where = f"{owner_where}.parameters.{i}"
            param, _ = resolver.deref(raw, base, param_where)
            name, location = param.get("name"), param.get("in")
            if not isinstance(name, str) or location not in PARAMETER_LOCATIONS:
                raise ConfigError(
                    f"{resolver.origin}: {param_where}: a parameter needs a `name` and an `in` "
                    f"of {', '.join(PARAMETER_LOCATIONS)}"
                )
            merged[(name, location)] = (param, param_where)
    return list(merged.values())


def _add_parameter(
    bundler: _Bundler,
    param: dict[str, Any],
    base: str,
    where: str,
    properties: dict[str, Any],
    required: list[str],
    locations: dict[str, str],
) -> None:
    name, location = str(param["name"]), str(param["in"])
    if name in properties:
        raise ConfigError(
            f"{bundler.resolver.origin}: {where}: parameter {name!r} appears both in "
            f"{locations[name]} and {location}; rename one so every argument name is unique"
        )
    raw_schema = param.get("schema")
    if raw_schema is None and isinstance(param.get("content"), Mapping):
        media: Any = next(iter(param["content"].values()), {})
        raw_schema = media.get("schema") if isinstance(media, Mapping) else None
    prop = bundler.schema(raw_schema if raw_schema is not None else {}, base, f"{where}.schema")
    if param.get("description") and isinstance(prop, dict) and "description" not in prop:
        prop = {**prop, "description": param["description"]}
    properties[name] = prop
    locations[name] = location
    if param.get("required") or location == "path":
        required.append(name)


def _add_body(
    bundler: _Bundler,
    resolver: _Resolver,
    operation: dict[str, Any],
    base: str,
    where: str,
    properties: dict[str, Any],
    required: list[str],
    locations: dict[str, str],
) -> tuple[str | None, bool]:
    """Add the request body's arguments; return the body argument (if any) and closedness."""
    if "requestBody" not in operation:
        return None, True
    body_where = f"{where}.requestBody"
    body, body_base = resolver.deref(operation["requestBody"], base, body_where)
    media_type, media = _json_media(body, resolver.origin, body_where)
    schema_where = f"{body_where}.content.{media_type}.schema"
    schema = bundler.schema(media.get("schema", {}), body_base, schema_where)
    target = bundler.target_of(schema)
    if _can_flatten(target, properties):
        for field_name, field_schema in target["properties"].items():
            properties[field_name] = field_schema
            locations[field_name] = BODY_ARGUMENT
        required.extend(str(name) for name in target.get("required", []))
        return None, target.get("additionalProperties") in (None, False)
    if BODY_ARGUMENT in properties:
        raise ConfigError(
            f"{resolver.origin}: {body_where}: a parameter is already named {BODY_ARGUMENT!r}, "
            "so the request body has no argument name; rename that parameter"
        )
    properties[BODY_ARGUMENT] = schema
    locations[BODY_ARGUMENT] = BODY_ARGUMENT
    if body.get("required"):
        required.append(BODY_ARGUMENT)
    return BODY_ARGUMENT, True


def _json_media(body: dict[str, Any], origin: str, where: str) -> tuple[str, dict[str, Any]]:
    content = body.get("content")
    if not isinstance(content, Mapping) or not content:
        raise ConfigError(f"{origin}: {where}: a request body needs a `content` map")
    for media_type, media in content.items():
        if media_type == "application/json" or str(media_type).endswith("+json"):
            return str(media_type), dict(media or {})
    # NOTE: a body without a JSON media type keeps its schema, but calls always send JSON.
    media_type, media = next(iter(content.items()))
    return str(media_type), dict(media or {})


def _can_flatten(schema: Any, properties: dict[str, Any]) -> bool:
    if not isinstance(schema, Mapping) or not isinstance(schema.get("properties"), Mapping):
        return False
    if schema.get("type", "object") != "object":
        return False
    if any(key in schema for key in ("allOf", "anyOf", "oneOf", "not", "if", "$ref")):
        return False
    return not (set(schema["properties"]) & set(properties)) and bool(schema["properties"])


def _tool_name(operation: dict[str, Any], method: str, path: str) -> str:
    """Name the tool: the operationId, else `<method>_<path segments>`, in OpenAI's alphabet."""
    raw = operation.get("operationId")
    if not raw:
        segments = [part.strip("{}") for part in path.split("/") if part]
        raw = "_".join([method, *segments])
    return _NAME_CHARS.sub("_", str(raw)).strip("_")[:64] or method


def _description(operation: dict[str, Any]) -> str:
    parts = [
        str(operation[key]).strip() for key in ("summary", "description") if operation.get(key)
    ]
    return "\n\n".join(dict.fromkeys(parts))
