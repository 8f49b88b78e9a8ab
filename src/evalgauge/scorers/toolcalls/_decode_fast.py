"""Read the common shape of Python-call strings without `ast`, with the same result.

Most outputs of prompting models are a list of calls whose keyword arguments are string,
number, `True`, `False` or `None` literals, or flat lists of them: `[f(a=1, b='x', c=[1, -2])]`.
`parse_simple_calls` reads exactly that subset with regular expressions, in about a third of
the time of `ast.parse` plus the walk over its tree (CPython 3.11, on the BFCL v1 outputs that
`benchmarks/toolcalls_bfcl.py` times). It returns None for any other text (escapes,
dicts, tuples, names, positional arguments, non-ASCII names, comments, a space after a minus
sign, ...), and the caller then parses with `ast`. Within the subset the calls are those of
the `ast` route in both modes, which the tests check on generated strings.
"""

from __future__ import annotations

import keyword
import re
from typing import Any

from evalgauge.scorers.toolcalls._model import ToolCall

_KEYWORDS = frozenset(keyword.kwlist)
"""Python keywords, which cannot be names: `f(class=1)` is a syntax error, and `True.f()` calls
no dotted name, so `ast` decides those."""

# Python allows other whitespace (form feeds, `\r`, backslash continuations) and comments
# between tokens. Those take the `ast` route.
_SPACE = r"[ \t\n]*+"
_NAME = r"[A-Za-z_][A-Za-z0-9_]*+"
# String literals without a prefix, escapes or control characters, whose value is the text
# between the quotes. Lone surrogates are left out because `ast.parse` cannot encode them.
_SINGLE_QUOTED = r"[^'\\\x00-\x1f\x7f\ud800-\udfff]*+"
_DOUBLE_QUOTED = r"[^\"\\\x00-\x1f\x7f\ud800-\udfff]*+"
# A float with digits on both sides of the point or with an exponent, and a decimal integer
# of at most 100 digits (far below `int`'s 4,300-digit limit). A minus sign right before the
# number gives the value of the unary minus that `ast` reads, in either mode.
_FLOAT = r"-?(?:\d++\.\d++(?:[eE][-+]?\d++)?|\d++[eE][-+]?\d++)"
_INTEGER = r"-?(?:0|[1-9]\d{0,99}+)"
_CONSTANT = r"True|False|None"
_CONSTANTS: dict[str, Any] = {"True": True, "False": False, "None": None}
_LITERAL = rf"'{_SINGLE_QUOTED}'|\"{_DOUBLE_QUOTED}\"|{_FLOAT}|{_INTEGER}|{_CONSTANT}"
_VALUE = rf"{_LITERAL}|\[{_SPACE}(?:(?:{_LITERAL}){_SPACE},{_SPACE})*+(?:(?:{_LITERAL}){_SPACE})?\]"
"""A literal or a flat list of literals."""
_ARGUMENT = rf"{_NAME}{_SPACE}={_SPACE}(?:{_VALUE})"
_CALL = re.compile(
    rf"{_SPACE}({_NAME}(?:\.{_NAME})*+){_SPACE}\({_SPACE}"
    rf"((?:{_ARGUMENT}{_SPACE},{_SPACE})*+(?:{_ARGUMENT}{_SPACE})?)\)"
    rf"{_SPACE}(,{_SPACE}\]|,|\])"
)
"""One call and what follows it: `,` before another call, or `]` or `,]` closing the list.
The groups are the dotted name, the keyword arguments' text and that separator."""
_ARGUMENT_PARTS = re.compile(rf"({_NAME}){_SPACE}={_SPACE}({_VALUE})")
_LITERALS = re.compile(_LITERAL)
_CONSTANT_LIST = re.compile(
    rf"\[{_SPACE}({_CONSTANT}){_SPACE}(?:,{_SPACE}(?:{_CONSTANT}){_SPACE})*+,?{_SPACE}\]{_SPACE}"
)
_EMPTY_LIST = re.compile(rf"\[{_SPACE}\]{_SPACE}")
_END = re.compile(rf"{_SPACE}\Z")


def parse_simple_calls(source: str) -> list[ToolCall] | None:
    """Return the calls of a list such as `[f(a=1), g.h(b='x')]`, or None outside the subset."""
    if not source.startswith("["):
        return None
    calls: list[ToolCall] = []
    position = 1
    while True:
        match = _CALL.match(source, position)
        if match is None:
            return calls if not calls and _EMPTY_LIST.fullmatch(source) else None
        name, arguments_text, separator = match.groups()
        arguments = _arguments(arguments_text)
        if arguments is None or not _KEYWORDS.isdisjoint(name.split(".")):
            return None
        calls.append(ToolCall(name, arguments))
        position = match.end()
        if separator != ",":
            at_end = position == len(source) or _END.match(source, position)
            return calls if at_end else None


def _arguments(text: str) -> dict[str, Any] | None:
    """Convert the keyword arguments that `_CALL` matched; None when one is named by a keyword."""
    arguments: dict[str, Any] = {}
    # The text matched `_CALL`, so each match starts at an argument's name: the commas and
    # spaces between arguments cannot start one.
    for key, value in _ARGUMENT_PARTS.findall(text):
        if key in _KEYWORDS:
            return None
        # A repeated name keeps its first position and its last value, as in the `ast` route.
        if value[0] == "[":
            arguments[key] = [_literal_value(item) for item in _LITERALS.findall(value)]
        else:
            arguments[key] = _literal_value(value)
    return arguments


def _literal_value(text: str) -> Any:
    """Return the value of a literal that `_LITERAL` matched."""
    first = text[0]
    if first == "'" or first == '"':
        return text[1:-1]
    if first in "TFN":
        return _CONSTANTS[text]
    if "." in text or "e" in text or "E" in text:
        return float(text)
    return int(text)


def constant_list_head(source: str) -> str | None:
    """Return the first item of a list of only `True`, `False` and `None`, such as `[None]`,
    or None for any other text."""
    match = _CONSTANT_LIST.fullmatch(source)
    return match.group(1) if match else None
