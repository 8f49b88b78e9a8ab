"""Decode Java and JavaScript call strings such as `[Foo.bar(limit="5L", ids=new int[]{1, 2})]`.

BFCL's prompting decoder parses these with tree-sitter and keeps every argument as source
text: a string literal loses its quotes, anything else stays as written, and the type
converters of `_bfcl_types` read the text later. This decoder scans the text by hand instead:
it tracks quotes and brackets, splits arguments at top-level commas and reads `name = value`.
"""

# NOTE: the scan checks brackets and quotes only, so text that tree-sitter rejects for
# another syntax error (a missing operator, say) decodes here. It matches the reference on
# the 31 call strings of the conformance test but was never run on real model outputs.

from __future__ import annotations

import re
from typing import Literal

from evalgauge.scorers.toolcalls._decode import (
    DECODER_FAILED,
    MAX_OUTPUT_CHARS,
    WRONG_OUTPUT_FORMAT,
    Decoded,
    Mode,
    looks_like_call,
)
from evalgauge.scorers.toolcalls._model import ToolCall

SourceLanguage = Literal["java", "javascript"]
POSITIONAL = "<positional>"
"""The key BFCL's parsers give a bare positional identifier; it fails as unexpected."""

_CALL_START = re.compile(r"\s*([A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*)\s*\(")
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
_JAVA_POSITIONAL = re.compile(r"[A-Za-z_$][\w$.]*(\.class)?")
_CLOSING = {"(": ")", "[": "]", "{": "}"}


class _SourceError(Exception):
    pass


def decode_source_calls(text: str, language: SourceLanguage, *, mode: Mode = "bfcl") -> Decoded:
    """Decode Java or JavaScript calls; every argument value is a string of source text.

    In `bfcl` mode a list of several calls fails, as BFCL's parsers read one call, and Java
    values are rewritten as its tree-sitter walk prints them (see `_java_text`). In
    `default` mode every call in the list is returned, with values as written.
    """
    if not isinstance(text, str):
        reason = f"expected a string of calls, got {type(text).__name__}"
        return Decoded(None, reason, DECODER_FAILED)
    if len(text) > MAX_OUTPUT_CHARS:
        reason = f"output of {len(text):,} characters exceeds {MAX_OUTPUT_CHARS:,}"
        return Decoded(None, reason, DECODER_FAILED)
    body = text.strip("`\n ")
    if body.startswith("["):
        body = body[1:]
    if body.endswith("]"):
        body = body[:-1]
    calls: list[ToolCall] = []
    position = 0
    try:
        while True:
            match = _CALL_START.match(body, position)
            if match is None:
                break
            name = re.sub(r"\s+", "", match.group(1))
            arguments, position = _arguments(body, match.end(), language, mode)
            calls.append(ToolCall(name, arguments))
            position = _skip_separator(body, position)
    except _SourceError as exc:
        return Decoded(None, str(exc), DECODER_FAILED, attempted_call=looks_like_call(text))
    if not calls:
        # The reference's Java parser returns {} for text without a call, which fails its
        # format check; its JavaScript parser fails on most prose as a syntax error.
        error = WRONG_OUTPUT_FORMAT if language == "java" else DECODER_FAILED
        reason = f"no {language} call found"
        return Decoded(None, reason, error, attempted_call=looks_like_call(text))
    if mode == "bfcl" and len(calls) > 1:
        # A list of calls is no Java statement, and a JavaScript sequence expression is no call.
        error = DECODER_FAILED if language == "java" else WRONG_OUTPUT_FORMAT
        reason = f"BFCL's {language} parser reads one call, got {len(calls)}"
        return Decoded(None, reason, error)
    return Decoded(tuple(calls))


def _skip_separator(body: str, position: int) -> int:
    rest = body[position:].lstrip()
    if rest.startswith(","):
        return len(body) - len(rest) + 1
    return position


def _arguments(
    body: str, start: int, language: SourceLanguage, mode: Mode
) -> tuple[dict[str, str], int]:
    """Read the arguments after an opening parenthesis; return them and the end position."""
    parts, end = _split_top_level(body, start, angles=language == "java")
    arguments: dict[str, str] = {}
    for part in parts:
        if not part.strip():
            continue
        name, value = _assignment(part)
        if name is None:
            if _is_positional(value, language):
                name = POSITIONAL
            else:
                continue
        elif language == "java" and mode == "bfcl":
            value = _java_text(value)
        else:
            value = _literal_text(value, language)
        if name in arguments:
            raise _SourceError(f"argument {name!r} is given twice")
        arguments[name] = value
    return arguments, end


def _split_top_level(body: str, start: int, *, angles: bool = False) -> tuple[list[str], int]:
    """Split at commas outside quotes and brackets, up to the parenthesis closing at `start`.

    With `angles`, a `<` right after a name opens a Java type argument list (`Map<K, V>`).
    """
    stack = [")"]
    parts = []
    current = start
    index = start
    while index < len(body):
        char = body[index]
        if char in "\"'`":
            index = _skip_string(body, index)
            continue
        if char in _CLOSING:
            stack.append(_CLOSING[char])
        elif angles and char == "<" and index > start and (body[index - 1].isalnum()):
            stack.append(">")
        elif char == ">" and stack[-1] == ">":
            stack.pop()
        elif char in ")]}":
            if char != stack.pop():
                raise _SourceError(f"unbalanced {char!r} at position {index}")
            if not stack:
                parts.append(body[current:index])
                return parts, index + 1
        elif char == "," and len(stack) == 1:
            parts.append(body[current:index])
            current = index + 1
        index += 1
    raise _SourceError("a call's parenthesis is never closed")


def _skip_string(body: str, index: int) -> int:
    quote = body[index]
    index += 1
    while index < len(body):
        if body[index] == "\\":
            index += 2
            continue
        if body[index] == quote:
            return index + 1
        index += 1
    raise _SourceError(f"unterminated string literal starting with {quote}")


def _assignment(part: str) -> tuple[str | None, str]:
    """Split `name = value` at the first top-level `=` that is not part of an operator."""
    depth = 0
    index = 0
    while index < len(part):
        char = part[index]
        if char in "\"'`":
            index = _skip_string(part, index)
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "=" and depth == 0:
            before = part[index - 1] if index else ""
            after = part[index + 1] if index + 1 < len(part) else ""
            if after not in "=>" and before not in "=!<>":
                name = part[:index].strip()
                if _IDENTIFIER.fullmatch(name):
                    return name, part[index + 1 :].strip()
        index += 1
    return None, part.strip()


def _literal_text(value: str, language: SourceLanguage) -> str:
    """Remove the quotes of a lone string (or Java char) literal; keep anything else as is."""
    quotes = "\"'"
    if len(value) >= 2 and value[0] in quotes and value[-1] == value[0]:
        try:
            if _skip_string(value, 0) == len(value):
                return value[1:-1]
        except _SourceError:
            return value
    return value


def _java_text(value: str) -> str:
    """Print a Java value as BFCL's tree-sitter walk does.

    A lone string or char literal loses its quotes. An object creation keeps its type and
    arguments and drops a trailing `{{ ... }}` body, so a double-brace HashMap becomes
    `new HashMap<K,V>()`. A method call and a name stay as written. Anything else loses the
    whitespace between its tokens, e.g. `new int[]{1, 2}` becomes `new int[]{1,2}`.
    """
    literal = _literal_text(value, "java")
    if literal != value:
        return literal
    creation = re.match(r"new\s+([\w$.]+\s*(?:<[^()]*>)?)\s*\(", value)
    if creation:
        parts, _ = _split_top_level(value, creation.end(), angles=True)
        arguments = ", ".join(_java_nested(part.strip()) for part in parts if part.strip())
        return f"new {_compact(creation.group(1))}({arguments})"
    if _is_method_call(value) or _JAVA_POSITIONAL.fullmatch(value):
        return value
    if re.match(r"new\s", value):
        return "new " + _compact(value[4:])
    return _compact(value)


def _java_nested(value: str) -> str:
    """Print a value nested in another, with its quotes kept."""
    if _is_method_call(value):
        return value
    return _java_text(value) if value.startswith("new") else _compact(value)


def _is_method_call(value: str) -> bool:
    match = _CALL_START.match(value)
    if match is None or value.startswith("new "):
        return False
    try:
        return _split_top_level(value, match.end(), angles=True)[1] == len(value)
    except _SourceError:
        return False


def _compact(value: str) -> str:
    """Remove whitespace outside string literals."""
    pieces = []
    index = 0
    while index < len(value):
        char = value[index]
        if char in "\"'":
            end = _skip_string(value, index)
            pieces.append(value[index:end])
            index = end
            continue
        if not char.isspace():
            pieces.append(char)
        index += 1
    return "".join(pieces)


def _is_positional(value: str, language: SourceLanguage) -> bool:
    if language == "java":
        return _JAVA_POSITIONAL.fullmatch(value) is not None
    return _IDENTIFIER.fullmatch(value) is not None or value == "true"
