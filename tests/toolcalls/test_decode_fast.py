"""The regex reader of simple Python-call strings against the `ast` route that it replaces."""

from __future__ import annotations

import json
import math
import random
from typing import Any

import pytest

from evalgauge.scorers.toolcalls import _decode
from evalgauge.scorers.toolcalls._decode import (
    Mode,
    decode_python_calls,
    decode_with_ast,
    loads_json,
)
from evalgauge.scorers.toolcalls._decode_fast import parse_simple_calls
from evalgauge.scorers.toolcalls._model import ToolCall

MODES: tuple[Mode, ...] = ("bfcl", "default")

NAMES = ["f", "math.gcd", "a.b_c.d1", "print", "match", "_", "True", "None", "class", "é"]
NAMES += ["f.True", "__debug__", "x.", ".x", "f .g", "f. g", "1f"]
KEYS = ["a", "b", "x_1", "match", "a", "class", "None", "True", "__debug__", "é", "1a", ""]
LITERALS = [
    *("0", "5", "-5", "-0", "9" * 100, "-" + "9" * 100, "1.5", "-1.5", "1e5", "1E+05", "1e-7"),
    *("00.5", "1e400", "-0.0", "'x'", '"x"', "''", '""', "'a\"b'", '"it\'s"', "'é'", "'日本'"),
    *("'a b, c=d)'", "'\x85'", "'\u2028'", "'\ufeff'", "'\x7f'", "True", "False", "None"),
]
"""Literals that the fast path reads."""
ODD_LITERALS = [
    *("007", "00", "1_000", "9" * 101, "1.", ".5", "1e", "1.5e", "5j", "0x1F", "0o7", "0b1"),
    *("1.5.2", "--5", "- 5", "+5", "-True", "-'x'", "'a\\nb'", "'\\u00e9'", "'a\nb'", "'\x00'"),
    *("'\ud800'", "'\t'", "'\x0c'", "r'x'", "b'x'", "f'x'", "u'x'", "'''x'''", "'x' 'y'"),
    *("'x''y'", "'unclosed", "true", "Trueish", "None_", "..."),
]
"""Literals that it leaves to `ast`, most of them close to one that it reads."""
OTHERS = ["x", "(1, 2)", "{'a': 1}", "{}", "g(a=1)", "g(1)", "1+2", "-x", "not 1", "a[0]"]
OTHERS += ["lambda: 1", "[[1]]", "[1, [2]]", "{1, 2}", "f'{x}'", "*x", "**x"]
SPACES = ["", "", " ", "  ", "\t", "\n"]
ODD_SPACES = ["\r\n", "\x0c", " # c\n", "\\\n", "\xa0"]


def _space(rng: random.Random) -> str:
    return rng.choice(SPACES) if rng.random() < 0.97 else rng.choice(ODD_SPACES)


def _literal(rng: random.Random) -> str:
    return rng.choice(LITERALS) if rng.random() < 0.95 else rng.choice(ODD_LITERALS)


def _list(rng: random.Random) -> str:
    items = [_literal(rng) for _ in range(rng.randint(0, 4))]
    separator = rng.choice([", ", ",", " , ", ",\n", ", ", " "])
    trailing = rng.choice(["", "", "", ",", ", ,"])
    return "[" + _space(rng) + separator.join(items) + trailing + _space(rng) + "]"


def _value(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.7:
        return _literal(rng)
    if roll < 0.95:
        return _list(rng)
    return rng.choice(OTHERS)


def _argument(rng: random.Random) -> str:
    if rng.random() < 0.02:
        return _literal(rng)  # a positional argument
    equals = rng.choice(["=", "=", "=", "=", " = ", "==", ":"])
    key = rng.choice(KEYS[:4]) if rng.random() < 0.9 else rng.choice(KEYS)
    return key + equals + _value(rng)


def _call(rng: random.Random) -> str:
    name = rng.choice(NAMES) if rng.random() < 0.1 else rng.choice(NAMES[:3])
    arguments = [_argument(rng) for _ in range(rng.randint(0, 4))]
    separator = rng.choice([", ", ",", " ,\n  ", ", ", ",,"])
    trailing = rng.choice(["", "", ","])
    return name + _space(rng) + "(" + _space(rng) + separator.join(arguments) + trailing + ")"


def _source(rng: random.Random) -> str:
    calls = [_call(rng) for _ in range(rng.randint(0, 3))]
    body = rng.choice([", ", ",", " , ", "\n"]).join(calls) + rng.choice(["", "", ","])
    opening, closing = rng.choice([("[", "]")] * 8 + [("(", ")"), ("[", "]]")])
    return opening + _space(rng) + body + _space(rng) + closing + rng.choice(["", "", "", "x"])


def _typed(value: Any) -> Any:
    """The value with every scalar's type, and float signs, made part of equality."""
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_typed(item) for item in value])
    if isinstance(value, dict):
        return ("dict", [(key, _typed(item)) for key, item in value.items()])
    if isinstance(value, float):
        return ("float", repr(value))
    return (type(value).__name__, value)


def _typed_calls(calls: list[ToolCall] | tuple[ToolCall, ...]) -> list[Any]:
    return [(call.name, _typed(call.arguments), call.call_id) for call in calls]


def _assert_same_as_ast(source: str) -> bool:
    """Assert that a fast result equals the `ast` route's, and return whether there was one."""
    fast = parse_simple_calls(source)
    if fast is None:
        return False
    for mode in MODES:
        decoded = decode_with_ast(source, mode, source)
        assert decoded.calls is not None, (source, mode, decoded.reason)
        assert _typed_calls(fast) == _typed_calls(decoded.calls), (source, mode)
    return True


def test_generated_sources_match_ast() -> None:
    rng = random.Random(20240611)
    read = 0
    for _ in range(20_000):
        read += _assert_same_as_ast(_source(rng))
    assert read > 2_000  # the generator reaches the fast path often enough to test it


@pytest.mark.parametrize(
    "source",
    [
        "[f(a=1, b='x', c=[1, -2.5, 'y'], d=True, e=None)]",
        '[math.gcd(a=12, b=-0), g.h(name="it\'s", xs=[], ys=[1,])]',
        "[f(a=1e5, b=-1.5E-3, c=00.5, d=" + "9" * 100 + ")]",
        "[ f( a = 'é' ,\n b = ['日本', True] , ) , ]",
        "[f()]",
        "[]",
        "[f(a=1, a=2)]",
        "[f(__debug__=1)]",
    ],
)
def test_common_shapes_take_fast_path(source: str) -> None:
    assert _assert_same_as_ast(source)


@pytest.mark.parametrize(
    "source",
    [
        "[f(a='a\\nb')]",
        "[f(a=007)]",
        "[f(a=1_000)]",
        "[f(a=- 5)]",
        "[f(a=x)]",
        "[f(a={'k': 1})]",
        "[f(a=(1, 2))]",
        "[f(a=[[1]])]",
        "[f(1, a=2)]",
        "[f(class=1)]",
        "[True.x(a=1)]",
        "[é(a=1)]",
        "[f(a='\ud800')]",
        "[f(a=1)] # comment",
        "[f(a='x' 'y')]",
        "[f(a=" + "9" * 101 + ")]",
    ],
)
def test_other_shapes_left_to_ast(source: str) -> None:
    assert parse_simple_calls(source) is None


@pytest.mark.parametrize(
    "text",
    ["None", "[None]", " [None,] ", "True", "[False, None]", "`None`", "'None'", "[None, ,]"],
)
@pytest.mark.parametrize("mode", MODES)
def test_constant_lists_fail_as_with_ast(
    text: str, mode: Mode, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = decode_python_calls(text, mode=mode)
    monkeypatch.setattr(_decode, "constant_list_head", lambda source: None)
    monkeypatch.setattr(_decode, "parse_simple_calls", lambda source: None)
    assert fast == decode_python_calls(text, mode=mode)
    assert fast.calls is None


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "b": [1.5, "x", null, true]}',
        '{"big": 18446744073709551616, "neg": -9223372036854775809}',
        '{"n": 1234567890123456789012345678901234567890}',
        '{"x": NaN, "y": Infinity, "z": -Infinity}',
        '{"s": "\\ud800"}',
        '{"f": 1E400}',
        '{"a": 1, "a": 2}',
        '{"d": 0.1, "e": 5e-324, "m": -0.0}',
    ],
)
def test_loads_json_equals_json(text: str) -> None:
    assert _typed(loads_json(text)) == _typed(json.loads(text))


def test_loads_json_errors_as_json() -> None:
    for text in ("{", "[1,]", "{'a': 1}", "01"):
        with pytest.raises(json.JSONDecodeError) as expected:
            json.loads(text)
        with pytest.raises(json.JSONDecodeError) as got:
            loads_json(text)
        assert str(got.value) == str(expected.value)
    assert math.isnan(loads_json("NaN"))
