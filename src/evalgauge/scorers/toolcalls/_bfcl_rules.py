"""One call against one expected call, exactly as bfcl-eval 2026.3.23's
`simple_function_checker` decides, quirks included.

The checks run in the reference's order and stop at the first failure: tool name, required
parameters, then per supplied parameter (known, type, value), then omitted ground-truth
parameters. A doc or answer the reference cannot handle raises `ReferenceCrash`, where the
reference raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from evalgauge.scorers.toolcalls._bfcl_types import (
    NESTED_CONVERTED,
    NESTED_PYTHON,
    PYTHON_TYPES,
    TYPE_TABLES,
    UnsupportedType,
    convert_java,
    convert_js,
    standardize,
)
from evalgauge.scorers.toolcalls._expected import ExpectedCall, ExpectedParam, first_answer_type
from evalgauge.scorers.toolcalls._model import ErrorCategory, ToolCall


@dataclass(frozen=True, slots=True)
class Mismatch:
    """The reason a call fails an expected call, as the reference's error type and ours."""

    reference_error: str
    category: ErrorCategory
    detail: str
    parameter: str | None = None


class ReferenceCrash(Exception):
    """A question the reference checker raises on (a missing doc, type or `items`)."""


_CATEGORY_BY_KIND = {
    "type_error": ErrorCategory.WRONG_TYPE,
    "value_error": ErrorCategory.WRONG_VALUE,
    "dict_checker": ErrorCategory.WRONG_VALUE,
    "list_dict_checker": ErrorCategory.WRONG_VALUE,
}


def _value_mismatch(error: str, param: str, value: Any, acceptable: list[Any]) -> Mismatch:
    category = _CATEGORY_BY_KIND[error.split(":")[0]]
    detail = f"{param}={value!r:.80} is not one of {acceptable!r:.120}"
    return Mismatch(error, category, detail, param)


def check_call_bfcl(expected: ExpectedCall, call: ToolCall) -> Mismatch | None:
    """Return the first reason `call` fails `expected`, or None when it matches."""
    return next(_mismatches(expected, call), None)


def check_call_bfcl_all(expected: ExpectedCall, call: ToolCall) -> list[Mismatch]:
    """Return every reason `call` fails `expected`, going on where the reference stops.

    The first is the reference's verdict; the rest apply the same rule to each parameter.
    """
    try:
        return list(_mismatches(expected, call))
    except ReferenceCrash:
        return []


def _mismatches(expected: ExpectedCall, call: ToolCall) -> Iterator[Mismatch]:
    if expected.doc is None:
        raise ReferenceCrash(f"no function doc named {expected.name!r}")
    name = expected.called_name()
    if call.name != name:
        yield Mismatch(
            "simple_function_checker:wrong_func_name",
            ErrorCategory.WRONG_TOOL,
            f"expected a call to {name!r}, got {call.name!r}",
        )
        return
    arguments = call.arguments
    for param in expected.required:
        if param not in arguments:
            yield Mismatch(
                "simple_function_checker:missing_required",
                ErrorCategory.MISSING_REQUIRED,
                f"{name}: required parameter {param!r} is missing",
                param,
            )
    for param, value in arguments.items():
        spec = expected.params.get(param)
        if spec is None or param not in expected.properties:
            yield Mismatch(
                "simple_function_checker:unexpected_param",
                ErrorCategory.UNEXPECTED_PARAM,
                f"{name}: parameter {param!r} is not in the doc or not in the ground truth",
                param,
            )
            continue
        try:
            mismatch = _check_param(expected, spec, value)
        except (AttributeError, KeyError, TypeError, IndexError) as exc:
            raise ReferenceCrash(f"parameter {param!r}: {type(exc).__name__} {exc}") from None
        if mismatch is not None:
            yield mismatch
    for param, spec in expected.params.items():
        if param not in arguments and not spec.optional and param not in expected.required:
            yield Mismatch(
                "simple_function_checker:missing_optional",
                ErrorCategory.MISSING_REQUIRED,
                f"{name}: parameter {param!r} is missing and the ground truth requires it",
                param,
            )


def _resolve_types(
    expected: ExpectedCall, spec: ExpectedParam, value: Any
) -> tuple[Any, type, type | None] | Mismatch:
    """Convert a Java or JavaScript literal and look up the expected and element types."""
    doc_type = spec.doc_type
    table = TYPE_TABLES[expected.language]
    try:
        expected_type = table[doc_type]
        nested: type | None = None
        if type(value) is not str:
            error = "type_error:java" if expected.language == "java" else "type_error:js"
            detail = f"{spec.name}={value!r:.80} must be a string holding a source literal"
            return Mismatch(error, ErrorCategory.WRONG_TYPE, detail, spec.name)
        convert = convert_java if expected.language == "java" else convert_js
        if doc_type in NESTED_CONVERTED:
            nested = table[spec.item_type]
            return convert(value, doc_type, spec.item_type), expected_type, nested
        return convert(value, doc_type), expected_type, nested
    except (KeyError, TypeError, UnsupportedType) as exc:
        raise ReferenceCrash(f"parameter {spec.name!r}: {type(exc).__name__} {exc}") from None


def _python_types(spec: ExpectedParam) -> tuple[type, type | None]:
    """Look up the expected and element types of a Python parameter, once per parameter."""
    if spec.python_types is None:
        try:
            expected_type = PYTHON_TYPES[spec.doc_type]
            nested = PYTHON_TYPES[spec.item_type] if spec.doc_type in NESTED_PYTHON else None
        except (KeyError, TypeError) as exc:
            raise ReferenceCrash(f"parameter {spec.name!r}: {type(exc).__name__} {exc}") from None
        spec.python_types = (expected_type, nested)
    return spec.python_types


def _check_param(expected: ExpectedCall, spec: ExpectedParam, value: Any) -> Mismatch | None:
    if expected.language == "python":
        expected_type, nested = _python_types(spec)
    else:
        resolved = _resolve_types(expected, spec, value)
        if isinstance(resolved, Mismatch):
            return resolved
        value, expected_type, nested = resolved
    doc_type = spec.doc_type
    # The reference turns tuples into lists (its answers went through JSON) and, in Python
    # only, ints into floats for float parameters.
    if doc_type == "tuple" and type(value) is tuple:
        value = list(value)
    if expected.language == "python" and doc_type == "float" and type(value) is int:
        value = float(value)

    acceptable = spec.acceptable
    type_error, is_variable = _type_check(
        value, acceptable, spec.answer_type, expected_type, nested
    )
    if type_error is not None:
        detail = f"{spec.name}={value!r:.80} has type {type(value).__name__}, expected {doc_type}"
        return Mismatch(type_error, ErrorCategory.WRONG_TYPE, detail, spec.name)
    if not is_variable:
        if expected_type is dict:
            error = _dict_check(value, acceptable)
        elif expected_type is list and nested is dict:
            error = _list_dict_check(value, acceptable)
        elif expected_type is str:
            ok = standardize(value) in spec.standardized_strings()
            error = None if ok else "value_error:string"
        elif expected_type is list:
            ok = _standardize_list(value) in spec.standardized_lists()
            error = None if ok else "value_error:list/tuple"
        else:
            error = None if value in acceptable else "value_error:others"
        if error is not None:
            return _value_mismatch(error, spec.name, value, acceptable)
        return None
    if value not in acceptable:
        return _value_mismatch("value_error:others", spec.name, value, acceptable)
    return None


def _type_check(
    value: Any,
    acceptable: list[Any],
    answer_type: type | None,
    expected_type: type,
    nested: type | None,
) -> tuple[str | None, bool]:
    """Return (error type or None, is_variable), as the reference's `type_checker`."""
    is_variable = answer_type is not None and answer_type != expected_type
    nested_failed = False
    if type(value) == expected_type:  # noqa: E721 - the reference compares types exactly
        items: list[Any] = value  # type: ignore[assignment]
        if nested is None:
            return None, is_variable
        for answer in acceptable:
            if type(answer) is not list or all(
                _type_check(item, answer, first_answer_type(answer), nested, None)[0] is None
                for item in items
            ):
                return None, is_variable
        nested_failed = True
    if answer_type is not None and type(value) == answer_type:  # noqa: E721
        return ("type_error:nested" if nested_failed else None), True
    return "type_error:simple", False


def _standardize_list(value: list[Any]) -> list[Any]:
    return [standardize(item) if type(item) is str else item for item in value]


def _dict_check(value: dict[str, Any], acceptable: list[Any]) -> str | None:
    """Return the reference `dict_checker`'s error type, or None when an answer matches."""
    error = "dict_checker:unclear"
    for answer in acceptable:
        if answer == "":
            continue
        error = "dict_checker:unclear"
        matched = True
        for key, item in value.items():
            if key not in answer:
                error, matched = "value_error:dict_key", False
                break
            normalized = standardize(item) if type(item) is str else item
            options = [standardize(a) if type(a) is str else a for a in answer[key]]
            if normalized not in options:
                error, matched = "value_error:dict_value", False
                break
        # The reference runs this loop even after a failure above, so it can relabel it.
        for key, options in answer.items():
            if key not in value and "" not in options:
                error, matched = "value_error:dict_key", False
                break
        if matched:
            return None
    return error


def _list_dict_check(value: list[Any], acceptable: list[Any]) -> str | None:
    error: str | None = "list_dict_checker:unclear"
    for answer in acceptable:
        if len(value) != len(answer):
            error = "value_error:list_dict_count"
            continue
        error = None
        for index, item in enumerate(value):
            error = _dict_check(item, [answer[index]])
            if error is not None:
                break
        if error is None:
            return None
    return error
