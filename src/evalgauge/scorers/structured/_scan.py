"""Tokenize a broken JSON value and rewrite what the explicit repairs fix.

`scan_value` returns the rewritten text, where the value ends, its depth and the repair
kinds. `_scan_tokens` visits every token. The fast scanners return the same result while
visiting only the tokens that a repair or the bracket stack needs, and return None for
input they do not handle, which then goes to `_scan_tokens`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from evalgauge.scorers.structured._parse import RepairKind

MAX_DEPTH: Final = 1024
"""Deepest nesting accepted; orjson 3.13 rejects deeper documents."""

_TOKEN = re.compile(
    r"""
    "(?:[^"\\]|\\.)*(?:"|\Z)      # a double-quoted string, possibly unterminated
    | '(?:[^'\\]|\\.)*(?:'|\Z)    # a single-quoted string, possibly unterminated
    | [{}\[\],:]
    """,
    re.DOTALL | re.VERBOSE,
)
# The fast scanner's step: skip what `_scan_tokens` leaves unchanged, then match the next
# token it acts on. The skipped part is possessive, so a failed match never backtracks.
# `\s` matches the characters that str.strip() removes (checked for Python 3.11).
_NEXT_TOKEN = re.compile(
    r"""
    (?:
        [^"'{}\[\],]++                    # anything but quotes, brackets and commas
        | "(?:[^"\\]++|\\.)*+"            # a closed double-quoted string
        | ,(?!\s*[}\]])                   # a comma that is not trailing
    )*+
    (?:
        (?P<open>[{\[])
        | (?P<close>[}\]])
        | (?P<comma>,)                    # a trailing comma
        | (?P<single>'(?:[^'\\]|\\.)*(?:'|\Z))
        | (?P<double>"(?:[^"\\]|\\.)*\Z)  # an unterminated double-quoted string
        | \Z
    )
    """,
    re.DOTALL | re.VERBOSE,
)
_DANGLING_KEY = re.compile(r'(?:,|(?<=[{\[]))\s*"(?:[^"\\]|\\.)*"\s*:\s*\Z', re.DOTALL)
_DANGLING_NAME = re.compile(r'(?:,|(?<=\{))\s*"(?:[^"\\]|\\.)*"\s*\Z', re.DOTALL)
_CLOSERS = {"{": "}", "[": "]"}


@dataclass(slots=True)
class _Scan:
    text: str
    end: int
    depth: int
    kinds: list[RepairKind]


def scan_value(text: str, start: int) -> _Scan:
    """Scan the value that opens at `start`, with the fast scanner when it can."""
    if text.find('"', start) < 0 and text.find("\\", start) < 0:
        found = _scan_single_quoted(text, start)
    else:
        found = _scan_repair_tokens(text, start)
    return found if found is not None else _scan_tokens(text, start)


def _scan_single_quoted(text: str, start: int) -> _Scan | None:
    """Scan a value whose strings all use single quotes, with no backslash after `start`.

    Each such string turns into the same characters with double quotes, so the fast scan of
    the text with every quote swapped gives the full scan's rewrite. Returns None for the
    two cases where it does not: a value nested too deeply, and an unterminated last string
    that ends in whitespace (only a double-quoted one loses that whitespace).
    """
    swapped = text.replace("'", '"')
    found = _scan_repair_tokens(swapped, start)
    if found is None or found.depth > MAX_DEPTH:
        return None
    if "truncated" in found.kinds and text[-1].isspace() and swapped.count('"', start) % 2:
        return None
    if text.find("'", start, found.end) >= 0:
        found.kinds = sorted([*found.kinds, "single_quotes"])
    return found


def _scan_repair_tokens(text: str, start: int) -> _Scan | None:
    """Return what `_scan_tokens` returns, visiting only the tokens that change the result.

    Returns None where a quote starts no token, as in a string that ends in a lone backslash
    at the end of the text. There `_TOKEN.finditer` moves on by one character, and this
    scanner does not imitate that.
    """
    parts: list[str] = []
    stack: list[str] = []
    kinds: set[RepairKind] = set()
    depth = 0
    position = cursor = start
    next_token = _NEXT_TOKEN.match
    while True:
        match = next_token(text, cursor)
        if match is None:
            return None
        group = match.lastgroup
        if group is None:
            break
        token_start = match.start(group)
        cursor = match.end()
        if group == "close":
            if stack:
                stack.pop()
            if not stack:
                closed = "".join(parts) + text[position:cursor]
                return _Scan(closed, cursor, depth, sorted(kinds))
        elif group == "open":
            stack.append(text[token_start])
            depth = max(depth, len(stack))
            if depth > MAX_DEPTH:
                break
        elif group == "comma":
            kinds.add("trailing_comma")
            parts.append(text[position:token_start])
            position = token_start + 1
        elif group == "single":
            token = match.group(group)
            kinds.add("single_quotes")
            parts.append(text[position:token_start])
            parts.append(_requote(token))
            position = cursor
            if not token.endswith("'") or len(token) == 1:
                kinds.add("truncated")
        else:
            kinds.add("truncated")
            parts.append(text[position:cursor].rstrip() + '"')
            position = cursor
    parts.append(text[position:])
    tail = "".join(parts)
    if stack:
        kinds.add("truncated")
        tail = _close(tail, stack)
    return _Scan(tail, len(text), depth, sorted(kinds))


def _scan_tokens(text: str, start: int) -> _Scan:
    """Tokenize the value that opens at `start` and rewrite what the explicit repairs fix.

    The scan stops where the opening bracket closes. `end` is that position in `text`,
    and `depth` is the deepest nesting seen.
    """
    parts: list[str] = []
    stack: list[str] = []
    kinds: set[RepairKind] = set()
    depth = 0
    position = start
    pending_comma: int | None = None
    for match in _TOKEN.finditer(text, start):
        token = match.group()
        first = token[0]
        if first in "}]":
            if pending_comma is not None and not text[pending_comma + 1 : match.start()].strip():
                kinds.add("trailing_comma")
                parts.append(text[position:pending_comma])
                position = pending_comma + 1
            if stack:
                stack.pop()
        pending_comma = match.start() if first == "," else None
        if first in "{[":
            stack.append(first)
            depth = max(depth, len(stack))
            if depth > MAX_DEPTH:
                break
        elif first == "'":
            kinds.add("single_quotes")
            parts.append(text[position : match.start()])
            parts.append(_requote(token))
            position = match.end()
            if not token.endswith("'") or len(token) == 1:
                kinds.add("truncated")
        elif first == '"' and not _closed(token):
            kinds.add("truncated")
            parts.append(text[position : match.end()].rstrip() + '"')
            position = match.end()
        if not stack:
            closed = "".join(parts) + text[position : match.end()]
            return _Scan(closed, match.end(), depth, sorted(kinds))
    parts.append(text[position:])
    tail = "".join(parts)
    if stack:
        kinds.add("truncated")
        tail = _close(tail, stack)
    return _Scan(tail, len(text), depth, sorted(kinds))


def _closed(token: str) -> bool:
    """Tell whether a double-quoted string token ends with an unescaped quote."""
    body = token[1:]
    if not body.endswith('"'):
        return False
    backslashes = len(body) - 1 - len(body[:-1].rstrip("\\"))
    return backslashes % 2 == 0


def _requote(token: str) -> str:
    body = token[1:-1] if len(token) > 1 and token.endswith("'") else token[1:]
    body = body.replace("\\'", "'").replace('"', '\\"')
    return f'"{body}"'


def _close(text: str, stack: list[str]) -> str:
    """Close a truncated value: drop a dangling comma or key, then close every bracket."""
    text = text.rstrip()
    if text.endswith(":"):
        text = _drop_dangling(_DANGLING_KEY, text, text[:-1].rstrip())
    if stack[-1] == "{" and text.endswith('"'):
        # Inside an object, a string after `{` or `,` is a key whose value was cut off.
        text = _drop_dangling(_DANGLING_NAME, text, text)
    text = text.removesuffix(",").rstrip()
    return text + "".join(_CLOSERS[bracket] for bracket in reversed(stack))


def _drop_dangling(pattern: re.Pattern[str], text: str, before: str) -> str:
    """Return `pattern.sub("", text).rstrip()` for a pattern anchored at the end of `text`.

    `before` is the text up to the string's closing quote. A match starts at the comma or
    bracket just before the string's opening quote, so the search starts there, not at 0.
    """
    match = pattern.search(text, _string_lead(before))
    return text if match is None else text[: match.start()].rstrip()


def _string_lead(before: str) -> int:
    """Return the index of the last non-space character before the string that closes
    `before`, or 0 when that string is not found."""
    if not before.endswith('"') or _escaped(before, len(before) - 1):
        return 0
    quote = len(before) - 1
    while True:
        quote = before.rfind('"', 0, quote)
        if quote < 0:
            return 0
        if not _escaped(before, quote):
            return max(len(before[:quote].rstrip()) - 1, 0)


def _escaped(text: str, index: int) -> bool:
    """Tell whether an odd number of backslashes precedes `text[index]`."""
    start = index
    while start > 0 and text[start - 1] == "\\":
        start -= 1
    return (index - start) % 2 == 1
