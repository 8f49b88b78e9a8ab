"""Schema check of decoded calls: a known tool, and arguments valid under its JSON Schema.

Each failure is one `CheckOutcome` with its category, the JSON path of the failing value and
the JSON Schema keyword (the rule) it broke:

| keyword | category |
|---|---|
| `required` | MISSING_REQUIRED |
| `additionalProperties`, `unevaluatedProperties` | UNEXPECTED_PARAM |
| `type` | WRONG_TYPE |
| any other (`enum`, `format`, `minimum`, `pattern`, ...) | WRONG_VALUE |

Schemas are compiled once per distinct schema and cached, so scoring many cases against the
same tools (or BFCL cases that repeat a function doc) never rebuilds them. A valid call costs
one fast validation pass, and jsonschema's error walk runs once, only for calls that fail it.
Python tuples count as arrays, since decoded Python-call strings carry them.
"""

from __future__ import annotations

import functools
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

import fastjsonschema
import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator
from jsonschema.validators import extend, validator_for

from evalgauge.scorers.toolcalls._dialect import DRAFT_2020_12, tool_json_schema
from evalgauge.scorers.toolcalls._model import CheckOutcome, ErrorCategory, ToolCall, ToolSpec

CHECK = "schema"
_CACHE_SIZE = 4096
_UNEXPECTED_KEYWORDS = frozenset({"additionalProperties", "unevaluatedProperties"})
# Exceptions a fastjsonschema validator raises for an instance it rejects.
_FAST_REJECTS = (fastjsonschema.JsonSchemaException, TypeError, ValueError, AttributeError)


class CompiledSchema:
    """A tool's schema compiled once: jsonschema for verdicts and errors, plus a fast path.

    When the schema keeps to keywords that mean the same in draft 7 and draft 2020-12, it is
    also compiled with fastjsonschema, about three times faster on valid calls. Its "valid"
    is trusted; its "invalid" sends the call through jsonschema, whose errors decide.
    """

    __slots__ = ("fast", "validator")

    def __init__(self, schema: dict[str, Any]) -> None:
        cls = _accepting_tuples(validator_for(schema, default=Draft202012Validator))
        self.validator: Validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
        self.fast = _compile_fast(schema)

    def is_valid(self, instance: Any) -> bool:
        return self.fast_accepts(instance) or not any(
            True for _ in self.validator.iter_errors(instance)
        )

    def fast_accepts(self, instance: Any) -> bool:
        """Tell whether the fast validator accepts the instance. False means there is none,
        or it rejects the instance, and jsonschema must decide."""
        if self.fast is None:
            return False
        try:
            self.fast(instance)
        except _FAST_REJECTS:
            return False
        return True


@functools.cache
def _accepting_tuples(cls: type[Validator]) -> type[Validator]:
    """Extend a validator class to accept tuples as arrays, since decoded calls contain them."""
    checker = cls.TYPE_CHECKER.redefine(
        "array", lambda _checker, instance: isinstance(instance, (list, tuple))
    )
    extended: type[Validator] = extend(cls, type_checker=checker)  # type: ignore[no-untyped-call]
    return extended


# Keywords whose meaning differs between draft 7 (what fastjsonschema implements) and 2020-12,
# or that fastjsonschema checks differently (formats, float `multipleOf`), or that could make it
# resolve a reference outside the schema.
_SLOW_PATH_KEYWORDS = frozenset(
    {
        "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$recursiveAnchor", "$anchor", "$id",
        "$vocabulary", "prefixItems", "unevaluatedProperties", "unevaluatedItems",
        "dependentRequired", "dependentSchemas", "minContains", "maxContains", "format",
        "multipleOf", "dependencies",
    }
)  # fmt: skip


def _compile_fast(schema: dict[str, Any]) -> Callable[[Any], Any] | None:
    if schema.get("$schema", DRAFT_2020_12) != DRAFT_2020_12 or not _fast_safe(schema):
        return None
    body = {key: value for key, value in schema.items() if key != "$schema"}
    try:
        compiled: Callable[[Any], Any] = fastjsonschema.compile(
            body, use_default=False, use_formats=False, detailed_exceptions=False
        )
    except (fastjsonschema.JsonSchemaDefinitionException, RecursionError, ValueError):
        return None
    return compiled


_DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples"})
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions"})


def _fast_safe(node: Any) -> bool:
    """Tell whether a schema uses only keywords the fast path checks exactly as jsonschema."""
    if isinstance(node, list):
        return all(_fast_safe(item) for item in node)
    if not isinstance(node, dict):
        return True
    return all(_fast_safe_keyword(key, value) for key, value in node.items())


def _fast_safe_keyword(key: str, value: Any) -> bool:
    if key in _SCHEMA_MAPS and isinstance(value, dict):
        # The keys are names, so a property called `format` is no `format` keyword.
        return all(_fast_safe(sub) for sub in value.values())
    if key in _SLOW_PATH_KEYWORDS:
        return False
    if key == "$ref":
        return str(value).startswith("#")
    return key in _DATA_KEYWORDS or _fast_safe(value)


class ValidatorCache:
    """Compiled schemas keyed by the schema's canonical JSON, least recently used evicted."""

    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self.size = size
        self._compiled: OrderedDict[bytes, CompiledSchema] = OrderedDict()

    def get(self, schema: dict[str, Any]) -> CompiledSchema:
        key = orjson.dumps(schema, option=orjson.OPT_SORT_KEYS)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = CompiledSchema(schema)
            if len(self._compiled) > self.size:
                self._compiled.popitem(last=False)
        else:
            self._compiled.move_to_end(key)
        return compiled


_SHARED_CACHE = ValidatorCache()


class SchemaChecker:
    """Checks calls against a fixed set of tools. Build it once and reuse it for every case."""

    def __init__(self, specs: Iterable[ToolSpec], *, cache: ValidatorCache | None = None) -> None:
        cache = cache or _SHARED_CACHE
        self.specs = {spec.name: spec for spec in specs}
        self._compiled = {
            name: cache.get(tool_json_schema(spec)) for name, spec in self.specs.items()
        }
        # One passing outcome per tool, shared by every valid call to it.
        self._passed = {name: CheckOutcome(CHECK, True, tool=name) for name in self.specs}
        # The fast validators by tool, looked up once per call on the hot path.
        self._fast = {
            name: compiled.fast for name, compiled in self._compiled.items() if compiled.fast
        }

    def check_call(self, call: ToolCall) -> list[CheckOutcome]:
        """Return one passing outcome, or one failing outcome per problem found."""
        name = call.name
        fast = self._fast.get(name)
        if fast is not None:
            try:
                fast(call.arguments)
                return [self._passed[name]]
            except _FAST_REJECTS:
                pass
            except RecursionError:
                return [_too_deep(name)]
        compiled = self._compiled.get(name)
        if compiled is None:
            return [unknown_tool(name, self.specs)]
        return _error_outcomes(compiled, call)

    def check_calls(self, calls: Iterable[ToolCall]) -> list[list[CheckOutcome]]:
        return [self.check_call(call) for call in calls]


def unknown_tool(name: str, specs: Iterable[str]) -> CheckOutcome:
    known = ", ".join(sorted(specs)) or "none"
    return CheckOutcome(
        CHECK,
        False,
        ErrorCategory.WRONG_TOOL,
        f"no tool named {name!r}; the tools offered are: {known}",
        tool=name,
    )


def check_arguments(compiled: CompiledSchema, call: ToolCall) -> list[CheckOutcome]:
    """Validate the call's arguments with a compiled schema."""
    try:
        if compiled.fast_accepts(call.arguments):
            return [CheckOutcome(CHECK, True, tool=call.name)]
    except RecursionError:
        return [_too_deep(call.name)]
    return _error_outcomes(compiled, call)


def _too_deep(tool: str) -> CheckOutcome:
    return CheckOutcome(
        CHECK,
        False,
        ErrorCategory.WRONG_VALUE,
        "arguments are nested too deeply to validate",
        tool=tool,
        extra={"path": "$", "rule": "depth"},
    )


def _error_outcomes(compiled: CompiledSchema, call: ToolCall) -> list[CheckOutcome]:
    """Return the outcomes of jsonschema's errors, walked once, or a passing outcome."""
    try:
        errors = list(compiled.validator.iter_errors(call.arguments))
    except RecursionError:
        return [_too_deep(call.name)]
    if not errors:
        return [CheckOutcome(CHECK, True, tool=call.name)]
    outcomes: list[CheckOutcome] = []
    for error in errors:
        outcomes.extend(_outcomes(error, call.name))
    return _dedupe(outcomes)


def _outcomes(error: ValidationError, tool: str) -> list[CheckOutcome]:
    keyword = str(error.validator)
    if keyword == "required":
        return [
            _failure(tool, ErrorCategory.MISSING_REQUIRED, error, name, f"missing {name!r}")
            for name in _missing(error)
        ]
    if keyword in _UNEXPECTED_KEYWORDS:
        return [
            _failure(tool, ErrorCategory.UNEXPECTED_PARAM, error, name, f"unexpected {name!r}")
            for name in _unexpected(error)
        ]
    category = ErrorCategory.WRONG_TYPE if keyword == "type" else ErrorCategory.WRONG_VALUE
    if keyword in ("anyOf", "oneOf") and error.context:
        inner = best_match(error.context)
        if inner is not None and inner.validator == "type":
            category = ErrorCategory.WRONG_TYPE
    return [_failure(tool, category, error, None, error.message)]


def _failure(
    tool: str,
    category: ErrorCategory,
    error: ValidationError,
    child: str | None,
    message: str,
) -> CheckOutcome:
    path = error.json_path if child is None else _child_path(error.json_path, child)
    parts = [*error.absolute_path, child] if child is not None else list(error.absolute_path)
    parameter = str(parts[0]) if parts else None
    rule = str(error.validator)
    return CheckOutcome(
        CHECK,
        False,
        category,
        f"{tool}: {path}: {_short(message)} (rule {rule!r})",
        tool=tool,
        parameter=parameter,
        extra={"path": path, "rule": rule, "schema_path": "/".join(map(str, error.schema_path))},
    )


def _child_path(path: str, name: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        return f"{path}.{name}"
    return f"{path}[{orjson.dumps(name).decode()}]"


def _missing(error: ValidationError) -> list[str]:
    instance = error.instance if isinstance(error.instance, dict) else {}
    required = error.validator_value if isinstance(error.validator_value, list) else []
    return [str(name) for name in required if name not in instance]


def _unexpected(error: ValidationError) -> list[str]:
    instance = error.instance if isinstance(error.instance, dict) else {}
    schema = error.schema if isinstance(error.schema, dict) else {}
    known = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    return [
        str(name)
        for name in instance
        if name not in known and not any(re.search(p, str(name)) for p in patterns)
    ]


def _short(message: str, limit: int = 200) -> str:
    """Cut the message, which quotes the failing value, so huge arguments stay readable."""
    return message if len(message) <= limit else message[: limit - 3] + "..."


def _dedupe(outcomes: list[CheckOutcome]) -> list[CheckOutcome]:
    # `required` reports every missing name once per error, so the same outcome repeats.
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for outcome in outcomes:
        key = (outcome.category, outcome.extra.get("path"), outcome.extra.get("rule"))
        if key not in seen:
            seen.add(key)
            unique.append(outcome)
    return unique
