"""Schema validity of a parsed output: a JSON Schema or a pydantic model, compiled once."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

import orjson

from evalgauge.errors import ConfigError

MAX_ERRORS: Final = 10
"""Violations kept per case by default."""

# Keywords whose JSON Schema 2020-12 meaning fastjsonschema 2.x does not implement. A schema
# that uses any of them is checked by jsonschema alone.
_SLOW_ONLY: Final = frozenset(
    {
        "prefixItems",
        "unevaluatedProperties",
        "unevaluatedItems",
        "dependentRequired",
        "dependentSchemas",
        "$anchor",
        "$dynamicRef",
        "$dynamicAnchor",
        "$recursiveRef",
        "minContains",
        "maxContains",
        "$vocabulary",
    }
)


@dataclass(frozen=True, slots=True)
class Violation:
    """One failed rule: where in the output (`items[0].qty`), which keyword, and the message."""

    path: str
    rule: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "rule": self.rule, "message": self.message}


class SchemaCheck(Protocol):
    """Validates parsed outputs; `violations` is empty for a valid value."""

    description: str

    def violations(self, value: Any, limit: int = MAX_ERRORS) -> list[Violation]: ...


def format_path(parts: Any) -> str:
    """Write a location such as ("items", 0, "qty") as `items[0].qty`; the root is `$`."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "$"


def _short(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."


class JsonSchemaCheck:
    """A JSON Schema (draft 2020-12 unless `$schema` names another), with format checking.

    fastjsonschema confirms a valid value when the schema uses only keywords it implements.
    jsonschema lists the violations of an invalid value, and its verdict wins when the two
    disagree, unless only the first violation is requested.
    """

    def __init__(self, schema: dict[str, Any], *, source: str = "schema") -> None:
        from jsonschema import Draft202012Validator, SchemaError, validators

        if not isinstance(schema, dict):
            raise ConfigError(f"{source}: a JSON Schema must be an object")
        cls = validators.validator_for(schema, default=Draft202012Validator)
        try:
            cls.check_schema(schema)
        except SchemaError as exc:
            where = format_path(exc.absolute_path)
            raise ConfigError(f"{source}: invalid JSON Schema at {where}: {exc.message}") from None
        _check_refs(schema, source)
        self._checker = cls.FORMAT_CHECKER
        self._validator = cls(schema, format_checker=self._checker)
        self._fast = self._compile_fast(schema)
        self.description = f"JSON Schema ({cls.__name__}) from {source}"

    def _compile_fast(self, schema: dict[str, Any]) -> Any:
        keywords, formats = _keywords(schema)
        if keywords & _SLOW_ONLY:
            return None
        import fastjsonschema

        checker = self._checker
        # The same format functions as jsonschema, so both agree on `format`.
        custom = {name: partial_conforms(checker, name) for name in formats}
        try:
            return fastjsonschema.compile(schema, formats=custom)
        except (fastjsonschema.JsonSchemaDefinitionException, ValueError, TypeError):
            return None

    def violations(self, value: Any, limit: int = MAX_ERRORS) -> list[Violation]:
        """List up to `limit` violations; with `limit` 1, fastjsonschema's first one.

        On the benchmark machine jsonschema took about 170 µs to list the violations of an
        invalid invoice, against about 10 µs for fastjsonschema to stop at the first.
        """
        try:
            if self._fast is not None:
                first = _fast_violation(self._fast, value)
                if first is None:
                    return []
                if limit == 1:
                    # NOTE: here fastjsonschema's verdict is not checked, so a value that
                    # only fastjsonschema rejects counts as invalid.
                    return [first]
            found: list[Violation] = []
            for error in self._validator.iter_errors(value):
                path = format_path(error.absolute_path)
                found.append(Violation(path, str(error.validator), _short(error.message)))
                if len(found) >= limit:
                    break
        except RecursionError:
            return [Violation("$", "depth", "the value is nested too deeply to validate")]
        return found


def partial_conforms(checker: Any, name: str) -> Any:
    """Return a one-argument check of format `name`, as jsonschema's FormatChecker runs it.

    A format the checker does not know passes, as it does in jsonschema.
    """
    if name not in checker.checkers:
        return lambda value: True
    function, raises = checker.checkers[name]

    def conforms(value: Any) -> bool:
        try:
            return bool(function(value))
        except raises:
            return False

    return conforms


def _fast_violation(validate: Any, value: Any) -> Violation | None:
    """Return fastjsonschema's first violation, or None for a valid value."""
    import fastjsonschema

    try:
        validate(value)
    except fastjsonschema.JsonSchemaValueException as error:
        # fastjsonschema names the value `data`, as in `data.items[0].qty`.
        path = str(error.name).removeprefix("data").removeprefix(".") or "$"
        message = str(error.message).replace(str(error.name), path, 1)
        return Violation(path, str(error.rule), _short(message))
    return None


def _keywords(schema: Any) -> tuple[set[str], set[str]]:
    """Collect every key used anywhere in the schema, and every `format` value."""
    keys: set[str] = set()
    formats: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            keys.update(k for k in node if isinstance(k, str))
            if isinstance(node.get("format"), str):
                formats.add(node["format"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return keys, formats


class PydanticCheck:
    """A pydantic model (or any type a `TypeAdapter` accepts) named as `module:Class`."""

    def __init__(self, target: str) -> None:
        from pydantic import TypeAdapter

        self._type = import_object(target)
        try:
            self._adapter: Any = TypeAdapter(self._type)
        except Exception as exc:  # pydantic raises several types for an unusable class
            raise ConfigError(f"cannot build a pydantic validator for {target!r}: {exc}") from None
        self.description = f"pydantic model {target}"

    def violations(self, value: Any, limit: int = MAX_ERRORS) -> list[Violation]:
        from pydantic import ValidationError

        try:
            self._adapter.validate_python(value)
        except ValidationError as exc:
            return [
                Violation(format_path(error["loc"]), error["type"], _short(error["msg"]))
                for error in exc.errors(include_url=False)[:limit]
            ]
        except RecursionError:
            return [Violation("$", "depth", "the value is nested too deeply to validate")]
        return []


def import_object(target: str) -> Any:
    """Import `module:attribute`, raising ConfigError with what to fix."""
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise ConfigError(f"invalid model {target!r}; write it as `module:Class`")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"cannot import module {module_name!r} of {target!r}: {exc}") from None
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise ConfigError(f"module {module_name!r} has no attribute {attribute!r}") from None


def read_schema_file(path: Path) -> dict[str, Any]:
    """Read a JSON Schema from a .json or .yaml file."""
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"schema file {str(path)!r} not found") from None
    except OSError as exc:
        raise ConfigError(f"cannot read schema file {str(path)!r}: {exc}") from None
    try:
        if path.suffix.lower() in {".yaml", ".yml"}:
            import yaml

            data = yaml.safe_load(text)
        else:
            data = orjson.loads(text)
    except Exception as exc:  # orjson and yaml raise their own error types
        raise ConfigError(f"schema file {str(path)!r} is not valid JSON or YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"schema file {str(path)!r}: a JSON Schema must be an object")
    return data


def _check_refs(schema: dict[str, Any], source: str) -> None:
    """Resolve every `$ref` of the schema now, so a dangling one fails setup, not each case.

    Only references inside the schema resolve: nothing is fetched over the network.
    """
    from referencing import Registry
    from referencing.exceptions import Unresolvable
    from referencing.jsonschema import DRAFT202012

    resource = DRAFT202012.create_resource(schema)
    resolver = Registry().with_resource("", resource).resolver(base_uri="")
    for where, ref in _refs(schema, "$"):
        try:
            resolver.lookup(ref)
        except Unresolvable:
            raise ConfigError(
                f"{source}: the $ref {ref!r} at {where} does not resolve inside the schema; "
                "point it at a definition under $defs, or inline the referenced schema"
            ) from None


def _refs(node: Any, where: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.append((where, ref))
        for key, value in node.items():
            if key not in ("enum", "const", "default", "examples"):
                found.extend(_refs(value, f"{where}.{key}"))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_refs(value, f"{where}[{index}]"))
    return found


def build_schema_check(
    schema: Path | dict[str, Any] | None = None, model: str | None = None
) -> SchemaCheck | None:
    """Build the check for a schema file or mapping, or a `module:Class` model; None if neither."""
    if schema is not None and model is not None:
        raise ConfigError("give either a JSON Schema or a pydantic model, not both")
    if model is not None:
        return PydanticCheck(model)
    if isinstance(schema, Path):
        return JsonSchemaCheck(read_schema_file(schema), source=str(schema))
    if schema is not None:
        return JsonSchemaCheck(schema)
    return None
