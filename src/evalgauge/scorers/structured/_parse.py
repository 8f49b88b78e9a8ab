"""Parse a model's reply as JSON: strictly first, then with repairs counted by kind.

The strict path is one `orjson.loads` call. Only a reply that fails it goes through the
repair steps, in this order. The first strips a Markdown code fence, and the second cuts the
one JSON value out of the prose around it. The third scans the tokens to drop trailing
commas, turn single-quoted strings into JSON strings and close a truncated tail. When those
explicit steps do not yield valid JSON, `json_repair` gets the text and the repair is
counted as `other`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Final, Literal

import orjson

from evalgauge.scorers.structured._scan import MAX_DEPTH, scan_value

RepairKind = Literal["code_fence", "prose", "trailing_comma", "single_quotes", "truncated", "other"]
REPAIR_KINDS: Final[tuple[RepairKind, ...]] = (
    "code_fence",
    "prose",
    "trailing_comma",
    "single_quotes",
    "truncated",
    "other",
)

FailureKind = Literal["empty", "no_json", "too_deep", "too_large", "unrepairable"]

MAX_REPAIR_CHARS: Final = 1_000_000
"""Longest reply the repair steps scan; longer replies must parse strictly."""

_MAX_CANDIDATES = 4
"""Opening brackets tried as the start of the JSON value inside prose."""

_FENCE_INFO = re.compile(r"[ \t]*[A-Za-z0-9_+-]*[ \t]*(?:\r?\n|(?=[{\[]))")
_OPENING = re.compile(r"[{\[]")


@dataclass(frozen=True, slots=True)
class ParseResult:
    """The JSON value read from one reply, or why none could be read.

    `repairs` is empty for a reply that parsed strictly. `failure` and `reason` are set
    only when `ok` is False.
    """

    ok: bool
    value: Any = None
    repairs: tuple[RepairKind, ...] = ()
    failure: FailureKind | None = None
    reason: str | None = None

    @property
    def strict(self) -> bool:
        return self.ok and not self.repairs

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"ok": self.ok, "strict": self.strict, "repairs": list(self.repairs)}
        if not self.ok:
            data["failure"] = self.failure
            data["reason"] = self.reason
        return data


def _fail(failure: FailureKind, reason: str) -> ParseResult:
    return ParseResult(False, failure=failure, reason=reason)


def parse_json(text: str, *, repair: bool = True) -> ParseResult:
    """Parse `text` as one JSON value, repairing it when `repair` is set."""
    # NOTE: orjson 3.13 reads integers over 64 bits as floats, so such a value loses
    # precision and compares as a float.
    try:
        return ParseResult(True, orjson.loads(text))
    except orjson.JSONDecodeError as error:
        strict_error = str(error)
    if not text.strip():
        return _fail("empty", "the output is empty")
    if "surrogate" in strict_error or "number" in strict_error:
        value = _stdlib_loads(text)
        if value is not _INVALID:
            return ParseResult(True, value)
    if "recursion" in strict_error:
        return _fail("too_deep", f"the JSON is nested deeper than {MAX_DEPTH} levels")
    if not repair:
        return _fail("unrepairable", f"invalid JSON: {strict_error}")
    if len(text) > MAX_REPAIR_CHARS:
        return _fail(
            "too_large",
            f"invalid JSON of {len(text):,} characters; replies over "
            f"{MAX_REPAIR_CHARS:,} characters are not repaired",
        )
    return _repair(text)


class _Invalid:
    pass


_INVALID: Final = _Invalid()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _stdlib_loads(text: str) -> Any:
    """Parse what orjson rejects but the JSON grammar allows: lone surrogate escapes and
    numbers beyond the range of a double."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return _INVALID


def _fenced_block(text: str) -> tuple[str, bool] | None:
    """Return the first Markdown code block's content, and whether prose lies outside it.

    An unclosed block runs to the end of the text, as a truncated reply leaves it.
    """
    opening = text.find("```")
    if opening < 0:
        return None
    start = opening + 3
    info = _FENCE_INFO.match(text, start)
    if info is not None:
        start = info.end()
    closing = text.find("```", start)
    end = len(text) if closing < 0 else closing
    after = len(text) if closing < 0 else closing + 3
    outside = bool(text[:opening].strip() or text[after:].strip())
    return text[start:end], outside


def _repair(text: str) -> ParseResult:
    repairs: list[RepairKind] = []
    fenced = _fenced_block(text)
    if fenced is not None:
        repairs.append("code_fence")
        inside, outside = fenced
        if outside:
            repairs.append("prose")
        text = inside
    opening = _OPENING.search(text)
    if opening is None:
        return _fail("no_json", "the output contains no JSON object or array")
    first = start = opening.start()
    quick = _cut_value(text, first)
    if quick is not None:
        value, end = quick
        if text[:first].strip() or text[end:].strip():
            repairs.append("prose")
        return ParseResult(True, value, tuple(_ordered(repairs)))
    # Try the values that open after the previous one closed, never one nested inside it.
    for _ in range(_MAX_CANDIDATES):
        result, end = _repair_candidate(text, start, repairs)
        if result is not None:
            return result
        following = _OPENING.search(text, end)
        if following is None:
            break
        start = following.start()
    return _json_repair(text, first, repairs)


def _cut_value(text: str, start: int) -> tuple[Any, int] | None:
    """Parse the valid JSON value that opens at `start` and is followed only by prose.

    orjson reports where the content after a complete document begins, so two calls find
    the value without scanning it in Python. Returns the value and its end, or None.
    """
    try:
        value = orjson.loads(text[start:])
        end = len(text)
    except orjson.JSONDecodeError as error:
        if error.msg != "unexpected content after document":
            return None
        end = start + error.pos
        try:
            value = orjson.loads(text[start:end])
        except orjson.JSONDecodeError:
            return None
    return (value, end) if _has_data(value) else None


def _repair_candidate(
    text: str, start: int, repairs: list[RepairKind]
) -> tuple[ParseResult | None, int]:
    """Apply the explicit repairs to the value that opens at `start`.

    Returns the result, or None when the repairs do not give valid JSON, and the position
    where the value ends.
    """
    scan = scan_value(text, start)
    if scan.depth > MAX_DEPTH:
        too_deep = _fail("too_deep", f"the JSON is nested deeper than {MAX_DEPTH} levels")
        return too_deep, scan.end
    kinds = list(repairs)
    if (text[:start].strip() or text[scan.end :].strip()) and "prose" not in kinds:
        kinds.append("prose")
    kinds.extend(scan.kinds)
    try:
        value = orjson.loads(scan.text)
    except orjson.JSONDecodeError:
        return None, scan.end
    if not _has_data(value):
        return None, scan.end
    return ParseResult(True, value, tuple(_ordered(kinds))), scan.end


def _json_repair(text: str, start: int, repairs: list[RepairKind]) -> ParseResult:
    import json_repair

    candidate = text[start:]
    scan = scan_value(text, start)
    kinds = list(repairs)
    if text[:start].strip() and "prose" not in kinds:
        kinds.append("prose")
    kinds.extend(scan.kinds)
    kinds.append("other")
    try:
        value = json_repair.repair_json(candidate, return_objects=True)
    except RecursionError:
        return _fail("too_deep", "the JSON is nested too deeply to repair")
    # json_repair returns "" when it finds nothing, and empty containers for many broken
    # inputs; neither is the reply's content.
    if value == "" or not _has_data(value):
        return _fail("unrepairable", "no JSON value could be recovered from the output")
    if not isinstance(value, dict | list):
        return _fail("unrepairable", "the repaired output is not a JSON object or array")
    return ParseResult(True, value, tuple(_ordered(kinds)))


def _has_data(value: Any) -> bool:
    """Tell whether a repaired value contains a scalar or an object key, not only brackets."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node:
                return True
        elif isinstance(node, list):
            stack.extend(node)
        else:
            return True
    return False


def _ordered(kinds: list[RepairKind]) -> list[RepairKind]:
    return [kind for kind in REPAIR_KINDS if kind in kinds]
