"""One call against one expected call in evalgauge's `default` mode.

The differences from bfcl-eval's rules (each documented with an example in docs/tool-calls.md):

- Strings compare exactly after Unicode NFC and trimming surrounding whitespace; no case
  folding and no removal of punctuation, so "3.5" no longer equals "35".
- Types are checked at every nesting level, using `items` and `properties` of the doc.
  `bool` is never a number. An `int` is accepted for a float, and a float with no fractional
  part (`5.0`) for an integer, as JSON Schema defines `integer`.
- A documented optional parameter that the ground truth leaves out passes when its value
  equals the doc's `default`.
- Type names outside BFCL's table (`number`, `object`, `list`, `bool`) are read by their
  usual meaning instead of raising.
"""

from __future__ import annotations

import math
from typing import Any

from evalgauge.scorers.toolcalls._bfcl_rules import Mismatch
from evalgauge.scorers.toolcalls._bfcl_types import UnsupportedType, convert_java, convert_js
from evalgauge.scorers.toolcalls._expected import (
    ANY_SCALAR,
    DEFAULT_KINDS,
    ExpectedCall,
    ExpectedParam,
    list_key,
    nfc,
)
from evalgauge.scorers.toolcalls._model import ErrorCategory, ToolCall


def check_call_default(expected: ExpectedCall, call: ToolCall) -> Mismatch | None:
    """Return the first reason `call` fails `expected` in `default` mode, or None."""
    mismatches = check_call_all(expected, call, first_only=True)
    return mismatches[0] if mismatches else None


def passes_default(expected: ExpectedCall, call: ToolCall) -> bool:
    """Tell whether `call` passes `expected` in `default` mode: `check_call_default(...) is
    None`, without building the reason."""
    doc = expected.doc
    if doc is None or (call.name != expected.called_name() and call.name != doc.get("name")):
        return False
    arguments = call.arguments
    for param in expected.required:
        if param not in arguments:
            return False
    for param in expected.unlisted_needed:
        if param not in arguments:
            return False
    params = expected.params
    python = expected.language == "python"
    for param, value in arguments.items():
        spec = params.get(param)
        verdict = _quick_verdict(spec, value) if python and spec is not None else None
        if verdict is None:
            verdict = _check_supplied(expected, param, value) is None
        if not verdict:
            return False
    return True


def check_call_all(
    expected: ExpectedCall, call: ToolCall, *, first_only: bool = False
) -> list[Mismatch]:
    """Return every reason `call` fails `expected` in `default` mode, one per parameter."""
    if expected.doc is None:
        detail = f"the ground truth calls {expected.name!r}, which the question does not offer"
        return [Mismatch("", ErrorCategory.WRONG_TOOL, detail)]
    name = expected.called_name()
    if call.name != name and call.name != expected.doc.get("name"):
        return [Mismatch("", ErrorCategory.WRONG_TOOL, f"expected {name!r}, got {call.name!r}")]
    found: list[Mismatch] = []
    arguments = call.arguments
    for param in expected.required:
        if param not in arguments:
            detail = f"{name}: required parameter {param!r} is missing"
            found.append(Mismatch("", ErrorCategory.MISSING_REQUIRED, detail, param))
            if first_only:
                return found
    params = expected.params
    python = expected.language == "python"
    for param, value in arguments.items():
        spec = params.get(param)
        verdict = _quick_verdict(spec, value) if python and spec is not None else None
        if verdict:
            continue
        if verdict is None or spec is None:
            mismatch = _check_supplied(expected, param, value)
        else:
            mismatch = _wrong_value(spec, value)
        if mismatch is not None:
            found.append(mismatch)
            if first_only:
                return found
    for param in expected.unlisted_needed:
        if param not in arguments:
            detail = f"{name}: parameter {param!r} is missing and the ground truth requires it"
            found.append(Mismatch("", ErrorCategory.MISSING_REQUIRED, detail, param))
            if first_only:
                return found
    return found


def _quick_verdict(spec: ExpectedParam, value: Any) -> bool | None:
    """Return whether a Python value passes (`_check_supplied(...) is None`) by set lookups,
    or None when they cannot tell. False means that its type passes but its value is wrong."""
    value_type = type(value)
    if value_type in spec.passing_types:
        # A string, number or bool of a type that passes: it passes when it equals an answer.
        if value_type is str:
            return nfc(value) in spec.nfc_answers
        if value_type is bool:
            return value in spec.boolean_answers
        return value == value and value in spec.number_answers  # NaN equals no answer
    if value_type is not list or spec.doc is None or not spec.list_keys:
        return None
    # A list passes the type check when its items have passing types, or when lists are the
    # answers' type.
    item_types = ANY_SCALAR if spec.answer_type is list else spec.item_types
    if item_types is None:
        return None
    key = list_key(value, item_types)
    if key is None:
        return None
    if key in spec.list_keys:
        return True
    return False if spec.lists_complete else None


def _check_supplied(expected: ExpectedCall, param: str, value: Any) -> Mismatch | None:
    doc = expected.properties.get(param)
    spec = expected.params.get(param)
    if doc is None or (spec is None and not _is_default(doc, value)):
        reason = "is not in the doc" if doc is None else "is not in the ground truth"
        detail = f"{expected.called_name()}: parameter {param!r} {reason}"
        return Mismatch("", ErrorCategory.UNEXPECTED_PARAM, detail, param)
    if spec is None:
        return None
    converted = value
    if expected.language != "python":
        converted = _convert_literal(expected, spec, value)
        if isinstance(converted, Mismatch):
            return converted
    if not conforms(converted, doc):
        if spec.answer_type is not None and type(converted) is spec.answer_type:
            # BFCL's variable rule: a value of the answers' type (usually a variable name
            # given as a string) is compared against them exactly.
            return None if _matches(converted, spec) else _wrong_value(spec, converted)
        detail = f"{param}={converted!r:.80} is not of type {doc.get('type')}"
        return Mismatch("", ErrorCategory.WRONG_TYPE, detail, param)
    return None if _matches(converted, spec) else _wrong_value(spec, converted)


def _is_default(doc: dict[str, Any], value: Any) -> bool:
    return "default" in doc and equal(value, doc["default"])


def _convert_literal(expected: ExpectedCall, spec: ExpectedParam, value: Any) -> Any:
    if not isinstance(value, str):
        detail = f"{spec.name}={value!r:.80} must be a string holding a source literal"
        return Mismatch("", ErrorCategory.WRONG_TYPE, detail, spec.name)
    item_type = ((spec.doc or {}).get("items") or {}).get("type")
    convert = convert_java if expected.language == "java" else convert_js
    try:
        return convert(value, spec.doc_type, item_type)
    except UnsupportedType as exc:
        return Mismatch("", ErrorCategory.WRONG_TYPE, str(exc), spec.name)


def _wrong_value(spec: ExpectedParam, value: Any) -> Mismatch:
    detail = f"{spec.name}={value!r:.80} is not one of {spec.acceptable_text}"
    return Mismatch("", ErrorCategory.WRONG_VALUE, detail, spec.name)


def conforms(value: Any, schema: dict[str, Any]) -> bool:
    """Return whether a value has the doc's type, checked at every nesting level."""
    kind = DEFAULT_KINDS.get(str(schema.get("type")), "any")
    if kind == "any":
        return True
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        if isinstance(value, float):
            return math.isfinite(value) and value.is_integer()
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "array":
        items = schema.get("items")
        if not isinstance(value, (list, tuple)):
            return False
        return not isinstance(items, dict) or all(conforms(item, items) for item in value)
    if not isinstance(value, dict):
        return False
    properties = schema.get("properties") or {}
    return all(conforms(value[key], properties[key]) for key in value if key in properties)


def equal(value: Any, answer: Any) -> bool:
    """Compare a value with one acceptable answer: exact, but NFC strings, 5 == 5.0, and
    bool never equal to a number."""
    if isinstance(value, str) or isinstance(answer, str):
        return isinstance(value, str) and isinstance(answer, str) and nfc(value) == nfc(answer)
    if isinstance(value, bool) or isinstance(answer, bool):
        return isinstance(value, bool) and isinstance(answer, bool) and value == answer
    if isinstance(answer, dict):
        return isinstance(value, dict) and _dict_matches(value, answer)
    if isinstance(answer, (list, tuple)):
        return (
            isinstance(value, (list, tuple))
            and len(value) == len(answer)
            and all(equal(v, a) for v, a in zip(value, answer, strict=True))
        )
    return bool(value == answer)


def _dict_matches(value: dict[Any, Any], answer: dict[Any, Any]) -> bool:
    """A dict answer in BFCL's style maps each key to a list of acceptable values."""
    if not all(isinstance(options, list) for options in answer.values()):
        return value.keys() == answer.keys() and all(equal(value[k], answer[k]) for k in value)
    for key, item in value.items():
        if key not in answer or not any(equal(item, a) for a in answer[key] if a != ""):
            return False
    return all(key in value or "" in options for key, options in answer.items())


def _matches(value: Any, spec: ExpectedParam) -> bool:
    if isinstance(value, str):
        return nfc(value) in spec.nfc_answers
    return any(equal(value, answer) for answer in spec.acceptable if answer != "")
