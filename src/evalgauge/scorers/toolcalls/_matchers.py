"""Matchers for the sequence check built on the AST argument rules of `tool-calls.md`.

`ast_matcher(specs)` returns a `Matcher` that accepts a model call when the AST check finds no
mismatch against the expected call. The expected call's arguments are its values, or, with
`answers=True`, BFCL-style lists of acceptable values (where `""` marks an argument that may
be left out). Expected calls are compiled once, on first use.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from evalgauge.scorers.toolcalls._bfcl_rules import ReferenceCrash, check_call_bfcl
from evalgauge.scorers.toolcalls._expected import ExpectedCall
from evalgauge.scorers.toolcalls._model import ToolCall, ToolSpec
from evalgauge.scorers.toolcalls._sequence import Matcher
from evalgauge.scorers.toolcalls._strict_rules import check_call_default


def ast_matcher(
    specs: Iterable[ToolSpec],
    *,
    mode: Literal["default", "bfcl"] = "default",
    answers: bool = False,
) -> Matcher:
    """Build a matcher that applies the AST check in `mode` against the tools' docs."""
    docs = {
        spec.name: {
            "name": spec.name,
            "description": spec.description,
            "parameters": spec.parameters,
        }
        for spec in specs
    }
    check = check_call_bfcl if mode == "bfcl" else check_call_default
    # Keyed by id(): a ToolCall contains a dict, so it is not hashable. The call is kept in the
    # value, so its id cannot be reused while the entry lives.
    compiled: dict[int, tuple[ToolCall, ExpectedCall]] = {}

    def expected_call(expected: ToolCall) -> ExpectedCall:
        entry = compiled.get(id(expected))
        if entry is None or entry[0] is not expected:
            acceptable = _acceptable(expected.arguments, answers)
            entry = (
                expected,
                ExpectedCall.build(expected.name, acceptable, docs.get(expected.name)),
            )
            compiled[id(expected)] = entry
        return entry[1]

    def matches(model: ToolCall, expected: ToolCall) -> bool:
        if model.name != expected.name:
            return False
        try:
            return check(expected_call(expected), model) is None
        except ReferenceCrash:
            return False  # the reference checker itself would have crashed on this input

    return matches


def _acceptable(arguments: dict[str, Any], answers: bool) -> dict[str, list[Any]]:
    if answers:
        return {name: list(values) for name, values in arguments.items()}
    return {name: [value] for name, value in arguments.items()}
