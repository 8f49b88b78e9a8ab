"""Fold constant arithmetic in decoded arguments, in place of the `eval` BFCL runs on them.

BFCL's prompting decoder calls `eval` on every binary operation in an argument, so
`x=2**2 - 4*1*3` reaches the checker as `-8`. Folding reproduces those values for numbers and
strings with a whitelist of operators and size limits. Anything else (names, calls,
attributes) fails with a reason, where `eval` would run it.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any

MAX_INT_BITS = 4096
"""Largest integer (in bits) a fold may produce; `10**100000` fails instead of running."""
MAX_STRING_CHARS = 100_000
"""Maximum length of a string a fold may produce, e.g. from `'ab' * 10**6`."""

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


class FoldError(Exception):
    """An expression that is not constant arithmetic, or whose result exceeds a limit."""


def fold_constant(node: ast.expr) -> Any:
    """Return the value of constant arithmetic on numbers and strings.

    Raises FoldError for any other node, for an operator outside + - * / // % **, for
    division by zero and for results past `MAX_INT_BITS` or `MAX_STRING_CHARS`.
    """
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (int, float, str)):
            return node.value
        raise FoldError(f"{node.value!r} is not a number or a string")
    if isinstance(node, ast.UnaryOp):
        unary = _UNARY.get(type(node.op))
        if unary is None:
            raise FoldError(f"operator {type(node.op).__name__} is not folded")
        return _checked(_apply(unary, fold_constant(node.operand)))
    if isinstance(node, ast.BinOp):
        binary = _BINARY.get(type(node.op))
        if binary is None:
            raise FoldError(f"operator {type(node.op).__name__} is not folded")
        left, right = fold_constant(node.left), fold_constant(node.right)
        _guard_size(node.op, left, right)
        return _checked(_apply(binary, left, right))
    raise FoldError(f"{type(node).__name__} is not constant arithmetic; evalgauge never evals it")


def negate_like_bfcl(node: ast.UnaryOp) -> Any:
    """Return `-operand` for any unary operator, as BFCL's decoder does (`+5` becomes -5).

    Only a numeric constant operand has a value there; anything else raises FoldError.
    """
    operand = node.operand
    if not isinstance(operand, ast.Constant) or not isinstance(operand.value, (int, float)):
        raise FoldError("a unary operator applies to a numeric constant only")
    return -operand.value


def _apply(function: Callable[..., Any], *args: Any) -> Any:
    try:
        return function(*args)
    except (ArithmeticError, TypeError, ValueError) as exc:
        raise FoldError(str(exc)) from None


def _guard_size(op: ast.operator, left: Any, right: Any) -> None:
    integers = isinstance(left, int) and isinstance(right, int)
    growing = integers and right > 0 and abs(left) > 1
    if isinstance(op, ast.Pow) and growing and right * left.bit_length() > MAX_INT_BITS:
        raise FoldError(f"{left} ** {right} exceeds {MAX_INT_BITS} bits")
    if isinstance(op, ast.Mult):
        text, count = (left, right) if isinstance(left, str) else (right, left)
        repeated = isinstance(text, str) and isinstance(count, int)
        if repeated and len(text) * count > MAX_STRING_CHARS:
            raise FoldError(f"the repeated string exceeds {MAX_STRING_CHARS:,} characters")


def _checked(value: Any) -> Any:
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise FoldError(f"the result exceeds {MAX_INT_BITS} bits")
    if isinstance(value, str) and len(value) > MAX_STRING_CHARS:
        raise FoldError(f"the result exceeds {MAX_STRING_CHARS:,} characters")
    if isinstance(value, complex):
        raise FoldError("the result is a complex number")
    return value
