"""Concrete calls built from BFCL possible answers, and perturbations of them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from evalgauge.scorers.toolcalls._expected import ExpectedCall, ExpectedCase
from evalgauge.scorers.toolcalls._model import ErrorCategory, ToolCall


def concrete(value: Any) -> Any:
    """One concrete value for an acceptable answer: dict answers map keys to answer lists."""
    if isinstance(value, dict):
        result = {}
        for key, options in value.items():
            if isinstance(options, list):
                chosen = [option for option in options if option != ""]
                if chosen:
                    result[key] = concrete(chosen[0])
            else:
                result[key] = options
        return result
    if isinstance(value, list):
        return [concrete(item) for item in value]
    return value


def satisfiable(expected: ExpectedCall) -> bool:
    """Whether some call can pass: every parameter the doc requires has an answer, and every
    parameter the ground truth requires is in the doc."""
    for name in expected.required:
        spec = expected.params.get(name)
        if spec is None or not [value for value in spec.acceptable if value != ""]:
            return False
    return all(spec.optional or spec.doc is not None for spec in expected.params.values())


def first_call(expected: ExpectedCall) -> ToolCall:
    """The call that gives every parameter its first acceptable value and omits optional
    parameters whose only answer is the omission marker, or that the doc lacks."""
    arguments = {}
    for name, spec in expected.params.items():
        values = [value for value in spec.acceptable if value != ""]
        if values and spec.doc is not None:
            arguments[name] = concrete(values[0])
    return ToolCall(expected.called_name(), arguments)


def value_variants(expected: ExpectedCall) -> list[ToolCall]:
    """One call per acceptable value of each parameter, the others at their first value, plus
    one call omitting every optional parameter."""
    base = first_call(expected)
    calls = [base]
    for name, spec in expected.params.items():
        if spec.doc is None:
            continue
        for value in spec.acceptable[1:]:
            arguments = dict(base.arguments)
            if value == "":
                if name in expected.required:
                    continue
                arguments.pop(name, None)
            else:
                arguments[name] = concrete(value)
            calls.append(ToolCall(base.name, arguments))
    optional = {n for n, s in expected.params.items() if s.optional} - set(expected.required)
    if optional:
        kept = {k: v for k, v in base.arguments.items() if k not in optional}
        calls.append(ToolCall(base.name, kept))
    return calls


def scalar_param(expected: ExpectedCall, kinds: tuple[str, ...]) -> str | None:
    """A required parameter of one of the doc types `kinds` that the ground truth fixes."""
    for name, spec in expected.params.items():
        in_call = name in first_call(expected).arguments
        if spec.doc_type in kinds and name in expected.required and in_call and not spec.optional:
            return name
    return None


PERTURBATIONS = ("missing_required", "wrong_type", "wrong_value", "unknown_tool", "extra_call")


def perturb(case: ExpectedCase, kind: str) -> tuple[list[ToolCall], str] | None:
    """The case's first calls with one fault of `kind`, and the category it must fail with."""
    calls = [first_call(call) for call in case.calls]
    call = calls[0]
    expected = case.calls[0]
    if kind == "missing_required":
        param = scalar_param(expected, ("string", "integer", "float", "boolean", "array", "dict"))
        if param is None:
            return None
        arguments = {k: v for k, v in call.arguments.items() if k != param}
        calls[0] = replace(call, arguments=arguments)
        return calls, ErrorCategory.MISSING_REQUIRED
    if kind == "wrong_type":
        param = scalar_param(expected, ("string", "integer", "float", "boolean"))
        if param is None:
            return None
        calls[0] = replace(call, arguments={**call.arguments, param: {"not": "scalar"}})
        return calls, ErrorCategory.WRONG_TYPE
    if kind == "wrong_value":
        param = scalar_param(expected, ("string", "integer"))
        if param is None:
            return None
        value = call.arguments[param]
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            return None
        changed = value + "qzx" if isinstance(value, str) else value + 7919
        calls[0] = replace(call, arguments={**call.arguments, param: changed})
        return calls, ErrorCategory.WRONG_VALUE
    if kind == "unknown_tool":
        calls[0] = replace(call, name="no_such_tool")
        return calls, ErrorCategory.WRONG_TOOL
    if kind == "extra_call":
        return [*calls, calls[-1]], ErrorCategory.EXTRA_CALL
    raise AssertionError(kind)
