"""Decode what a model returned into tool calls, without ever evaluating its text.

Four shapes are read. OpenAI `tool_calls` carry arguments as a JSON string, and Anthropic
`tool_use` content blocks as an object. BFCL function-calling results are a list of
`{name: "<JSON arguments>"}`. Python-call strings such as `[f(a=1, b='x')]` are parsed with
`ast` the way BFCL's prompting decoder reads them, and their common shapes are read with the
same result by the faster `_decode_fast`. A failure is returned as a `Decoded` with a reason,
never raised.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from evalgauge.scorers.toolcalls._decode_fast import constant_list_head, parse_simple_calls
from evalgauge.scorers.toolcalls._fold import FoldError, fold_constant, negate_like_bfcl
from evalgauge.scorers.toolcalls._model import ToolCall

Mode = Literal["bfcl", "default"]

MAX_OUTPUT_CHARS = 1_000_000
"""Maximum output length, in characters; longer text fails with a reason, unparsed."""
MAX_DEPTH = 64
"""Deepest nesting of argument values (lists, dicts, calls) that the decoder follows."""

DECODER_FAILED = "ast_decoder:decoder_failed"
WRONG_OUTPUT_FORMAT = "ast_decoder:decoder_wrong_output_format"
_JSON_START = re.compile(r"\{|\[\s*[{\]]")
"""The opening of a JSON object or array of objects, unlike `[f(` (Python calls)."""
_LONG_DIGITS = re.compile(r"[0-9]{19}")
_FENCE = re.compile(r"^\s*```[\w-]*\s*\n(.*?)\n?\s*```\s*$", re.DOTALL)


# Not frozen, like Case: a frozen dataclass sets each field through object.__setattr__,
# and every decoded output builds one per output. Treat it as read-only.
@dataclass(slots=True)
class Decoded:
    """The calls decoded from one output, or why decoding failed.

    `attempted_call` distinguishes a malformed call from prose. It is false when the output
    reads as plain text (no call syntax), which counts as an abstention in `default` mode.
    """

    calls: tuple[ToolCall, ...] | None
    reason: str = ""
    reference_error: str | None = None
    attempted_call: bool = True

    @property
    def ok(self) -> bool:
        return self.calls is not None


class _DecodeError(Exception):
    pass


def _failure(reason: str, *, error: str = DECODER_FAILED, attempted: bool = True) -> Decoded:
    return Decoded(None, reason=reason, reference_error=error, attempted_call=attempted)


def looks_like_call(text: str) -> bool:
    """Return whether text opens like a call: an optional `[`, a dotted name, then `(`."""
    body = _strip_fence(text)
    return re.match(r"\s*[\[(]?\s*[A-Za-z_][\w.]*\s*\(", body) is not None


def _strip_fence(text: str) -> str:
    if "```" not in text:
        return text
    match = _FENCE.match(text)
    return match.group(1) if match else text


def decode_python_calls(text: str, *, mode: Mode = "bfcl") -> Decoded:
    """Decode a Python-call string such as `[f(a=1), g(b='x')]`, as BFCL's prompting decoder.

    Only keyword arguments are kept, as in BFCL. In `default` mode a Markdown code fence around
    the calls is removed first, and a unary `+`, `not` or `~` is no longer read as a minus.
    """
    if not isinstance(text, str):
        return _failure(f"expected a string of Python calls, got {type(text).__name__}")
    if len(text) > MAX_OUTPUT_CHARS:
        return _failure(f"output of {len(text):,} characters exceeds {MAX_OUTPUT_CHARS:,}")
    original = text
    if mode == "default":
        text = _strip_fence(text)
    body = text.strip("`\n ")
    if not body.startswith("["):
        body = "[" + body
    if not body.endswith("]"):
        body = body + "]"
    source = body.strip().strip("'")
    calls = parse_simple_calls(source)
    if calls is not None:
        return Decoded(tuple(calls))
    constant = constant_list_head(source)
    if constant is not None:
        # The `ast` route's failure on `[None]`, which prompting models output when no function
        # fits.
        reason = f"expected a call, got `{constant}`"
        return _failure(reason, attempted=looks_like_call(original))
    return decode_with_ast(source, mode, original)


def decode_with_ast(source: str, mode: Mode, original: str) -> Decoded:
    """Decode a list of Python calls with `ast`. `original` is the output before cleaning."""
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        reason = f"not valid Python call syntax: {exc}"
        return _failure(reason, attempted=looks_like_call(original))
    try:
        calls = tuple(_Resolver(mode).top_level(tree.body))
    except _DecodeError as exc:
        return _failure(str(exc), attempted=looks_like_call(original))
    return Decoded(calls)


class _Resolver:
    """Turns `ast` nodes into values with the conversions of BFCL's `resolve_ast_by_type`."""

    def __init__(self, mode: Mode) -> None:
        self.mode = mode

    def top_level(self, body: ast.expr) -> list[ToolCall]:
        if isinstance(body, ast.Call):
            return [self.call(body, 0)]
        if not isinstance(body, (ast.List, ast.Tuple, ast.Set)):
            raise _DecodeError(f"expected a list of calls, got {type(body).__name__}")
        calls = []
        for element in body.elts:
            if not isinstance(element, ast.Call):
                raise _DecodeError(f"expected a call, got `{_source(element)}`")
            calls.append(self.call(element, 0))
        return calls

    def call(self, node: ast.Call, depth: int) -> ToolCall:
        return ToolCall(_dotted_name(node.func), self.keywords(node, depth))

    def keywords(self, node: ast.Call, depth: int) -> dict[str, Any]:
        # Positional arguments are dropped, as BFCL does; `**x` is stored under "**".
        arguments: dict[str, Any] = {}
        for keyword in node.keywords:
            arguments[keyword.arg or "**"] = self.value(keyword.value, depth + 1)
        return arguments

    def value(self, node: ast.expr, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise _DecodeError(f"argument nesting deeper than {MAX_DEPTH} levels")
        if isinstance(node, ast.Constant):
            return "..." if node.value is Ellipsis else node.value
        if isinstance(node, ast.UnaryOp):
            return self.unary(node)
        if isinstance(node, ast.List):
            return [self.value(item, depth + 1) for item in node.elts]
        if isinstance(node, ast.Dict):
            return self.mapping(node, depth)
        if isinstance(node, ast.BinOp):
            return self.fold(node)
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Call):
            if not node.keywords:
                return ast.unparse(node)
            return {_dotted_name(node.func): self.keywords(node, depth)}
        if isinstance(node, ast.Tuple):
            return tuple(self.value(item, depth + 1) for item in node.elts)
        if isinstance(node, ast.Lambda):
            # BFCL's decoder subscripts the lambda's body, which always raises.
            raise _DecodeError(f"lambda `{_source(node)}` is not a value")
        if isinstance(node, ast.Subscript):
            return ast.unparse(node.value) + "[" + ast.unparse(node.slice) + "]"
        raise _DecodeError(f"unsupported expression `{_source(node)}` ({type(node).__name__})")

    def unary(self, node: ast.UnaryOp) -> Any:
        try:
            if self.mode == "bfcl":
                return negate_like_bfcl(node)
            return fold_constant(node)
        except FoldError as exc:
            raise _DecodeError(f"`{_source(node)}`: {exc}") from None

    def fold(self, node: ast.BinOp) -> Any:
        try:
            return fold_constant(node)
        except FoldError as exc:
            raise _DecodeError(f"`{_source(node)}`: {exc}") from None

    def mapping(self, node: ast.Dict, depth: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            if key_node is None:
                raise _DecodeError(f"dict unpacking `**{_source(value_node)}` is not a value")
            key = self.value(key_node, depth + 1)
            try:
                result[key] = self.value(value_node, depth + 1)
            except TypeError:
                raise _DecodeError(f"dict key `{_source(key_node)}` is unhashable") from None
        return result


def _dotted_name(func: ast.expr) -> str:
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    return ".".join(reversed(parts))


def _source(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 80 else text[:77] + "..."


def loads_json(text: str) -> Any:
    """Return `json.loads(text)`, read by the faster orjson where the two give the same value.

    orjson 3.13 reads integers below -2**63 or above 2**64 - 1 as floats, so text with a run
    of 19 digits goes to `json`. So does text that orjson rejects and `json` may accept: NaN,
    Infinity, numbers beyond the float range, escaped lone surrogates and deep nesting.
    `json` then returns or raises.
    """
    if _LONG_DIGITS.search(text) is None:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


def decode_json_arguments(name: str, arguments: Any) -> ToolCall:
    """Build one call from a JSON argument string (or an already decoded object).

    Raises ValueError with the reason when the string is not JSON or not a JSON object.
    """
    if isinstance(arguments, str):
        if len(arguments) > MAX_OUTPUT_CHARS:
            raise ValueError(f"arguments of {len(arguments):,} characters exceed the limit")
        try:
            arguments = loads_json(arguments)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise ValueError(f"arguments of {name!r} are not valid JSON: {exc}") from None
    if not isinstance(arguments, dict):
        raise TypeError(f"arguments of {name!r} are {type(arguments).__name__}, not an object")
    return ToolCall(name, arguments)


def decode_bfcl_fc(result: Any) -> Decoded:
    """Decode a BFCL function-calling result: a list of `{name: "<JSON arguments>"}`.

    A string (the model answered in text) fails to decode, as in BFCL, with
    `attempted_call` false.
    """
    if isinstance(result, str):
        return _failure("the model answered in text, not with tool calls", attempted=False)
    if not isinstance(result, list):
        return _failure(f"expected a list of calls, got {type(result).__name__}")
    calls = []
    for item in result:
        if not isinstance(item, dict) or not item:
            return _failure(f"expected a {{name: arguments}} object, got {item!r:.80}")
        name = next(iter(item))
        if not isinstance(item[name], str):
            return _failure(f"arguments of {name!r} are not a JSON string: {item[name]!r:.80}")
        try:
            calls.append(decode_json_arguments(name, item[name]))
        except TypeError as exc:
            return _failure(str(exc), error=WRONG_OUTPUT_FORMAT)
        except ValueError as exc:
            return _failure(str(exc))
    return Decoded(tuple(calls))


def decode_openai_tool_calls(tool_calls: Any) -> Decoded:
    """Decode OpenAI chat `tool_calls`: `[{"id", "function": {"name", "arguments"}}]`."""
    if isinstance(tool_calls, dict):
        tool_calls = tool_calls.get("tool_calls") or []
    if not isinstance(tool_calls, list):
        return _failure(f"expected a list of tool calls, got {type(tool_calls).__name__}")
    calls = []
    for item in tool_calls:
        function = item.get("function") if isinstance(item, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            return _failure(f"tool call without function.name: {item!r:.80}")
        try:
            call = decode_json_arguments(function["name"], function.get("arguments") or "{}")
        except TypeError as exc:
            return _failure(str(exc), error=WRONG_OUTPUT_FORMAT)
        except ValueError as exc:
            return _failure(str(exc))
        calls.append(ToolCall(call.name, call.arguments, item.get("id")))
    return Decoded(tuple(calls))


def decode_anthropic_content(content: Any) -> Decoded:
    """Decode Anthropic message content: the `tool_use` blocks, with `input` as arguments."""
    if isinstance(content, dict):
        content = content.get("content") or []
    if not isinstance(content, list):
        return _failure(f"expected a list of content blocks, got {type(content).__name__}")
    calls = []
    for block in content:
        if not isinstance(block, dict) or block.get("type") != "tool_use":
            continue
        if not isinstance(block.get("name"), str) or not isinstance(block.get("input"), dict):
            return _failure(f"tool_use block without a name or an input object: {block!r:.80}")
        calls.append(ToolCall(block["name"], block["input"], block.get("id")))
    return Decoded(tuple(calls))


def decode_output(output: Any, *, mode: Mode = "default") -> Decoded:
    """Decode any supported shape, telling them apart by structure.

    A string is read as JSON when it parses as a JSON array or object of one of the native
    shapes, and as Python calls otherwise.
    """
    if isinstance(output, str):
        stripped = output.strip()
        if _JSON_START.match(stripped):
            try:
                parsed = loads_json(stripped)
            except (json.JSONDecodeError, RecursionError):
                parsed = None
            if isinstance(parsed, (list, dict)) and _is_native(parsed):
                return decode_output(parsed, mode=mode)
        decoded = decode_python_calls(output, mode=mode)
        if not decoded.ok and not decoded.attempted_call:
            return _failure(
                f"the output is text, not tool calls ({decoded.reason})", attempted=False
            )
        return decoded
    if isinstance(output, dict):
        if "tool_calls" in output:
            return decode_openai_tool_calls(output)
        if "content" in output:
            return decode_anthropic_content(output)
        return decode_bfcl_fc([output])
    if isinstance(output, list):
        return _decode_list(output)
    return _failure(f"unsupported output type {type(output).__name__}")


def _is_native(parsed: list[Any] | dict[str, Any]) -> bool:
    items = parsed if isinstance(parsed, list) else [parsed]
    return all(isinstance(item, dict) for item in items)


def _decode_list(items: list[Any]) -> Decoded:
    if not items:
        return Decoded(())
    first = items[0]
    if isinstance(first, dict) and "function" in first:
        return decode_openai_tool_calls(items)
    if isinstance(first, dict) and "type" in first:
        return decode_anthropic_content(items)
    if isinstance(first, dict) and "name" in first and "arguments" in first:
        calls = []
        for item in items:
            try:
                calls.append(decode_json_arguments(item["name"], item["arguments"]))
            except (TypeError, ValueError, KeyError) as exc:
                return _failure(str(exc))
        return Decoded(tuple(calls))
    return decode_bfcl_fc(items)
