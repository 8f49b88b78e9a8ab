"""`default` mode's set lookups against its full per-value rules, on generated calls."""

from __future__ import annotations

import random
from typing import Any

import pytest

from evalgauge.scorers.toolcalls import _strict_rules
from evalgauge.scorers.toolcalls._expected import ExpectedCall
from evalgauge.scorers.toolcalls._model import ToolCall
from evalgauge.scorers.toolcalls._strict_rules import (
    check_call_all,
    check_call_default,
    passes_default,
)

TYPES = ["string", "integer", "float", "number", "boolean", "array", "tuple", "dict", "any"]
TYPES += ["String", "long", "list", "object", "unknown"]
SCALARS: list[Any] = ["x", "X", " x ", "e\u0301", "\u00e9", "", "5", 5, 5.0, 5.5, -0.0, 0]
SCALARS += [True, False, 1, None, float("nan"), float("inf"), 2**70, float(2**70)]
LISTS: list[Any] = [[], ["x"], ["x", "y"], ["y", "x"], [5], [5.0], [True], [1], [None]]
LISTS += [["e\u0301"], [5, "x", True], [[1]], [{"a": 1}], [float("nan")], ("x", "y")]
OTHER: list[Any] = [{"a": [1]}, {"a": 1}, {}]


def _value(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.55:
        return rng.choice(SCALARS)
    if roll < 0.95:
        return rng.choice(LISTS)
    return rng.choice(OTHER)


def _doc(rng: random.Random) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": rng.choice(TYPES)}
    if rng.random() < 0.6:
        doc["items"] = {"type": rng.choice(TYPES)}
    if rng.random() < 0.1:
        doc["default"] = _value(rng)
    return doc


def _expected(rng: random.Random) -> ExpectedCall:
    names = ["a", "b", "c"]
    properties = {name: _doc(rng) for name in names if rng.random() < 0.9}
    required = [name for name in properties if rng.random() < 0.5]
    doc = {"name": "f", "parameters": {"type": "dict", "properties": properties}}
    doc["parameters"]["required"] = required
    answers = {
        name: [_value(rng) for _ in range(rng.randint(1, 3))] + [""] * (rng.random() < 0.2)
        for name in names
        if rng.random() < 0.8
    }
    return ExpectedCall.build("f", answers, doc)


def _call(rng: random.Random, expected: ExpectedCall) -> ToolCall:
    """A call whose values are mostly acceptable answers, so that many calls pass."""
    arguments = {}
    for name, spec in expected.params.items():
        answers = [answer for answer in spec.acceptable if answer != ""]
        if rng.random() > 0.9:
            continue
        if answers and rng.random() < 0.85:
            arguments[name] = rng.choice(answers)
        else:
            arguments[name] = _value(rng)
    if rng.random() < 0.05:
        arguments["d"] = _value(rng)
    return ToolCall(rng.choice(["f"] * 19 + ["g"]), arguments)


def test_quick_verdicts_agree_with_full_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(7)
    expected_calls = [_expected(rng) for _ in range(20_000)]
    pairs = [(expected, _call(rng, expected)) for expected in expected_calls]
    quick = [check_call_all(expected, call) for expected, call in pairs]
    passing = [passes_default(expected, call) for expected, call in pairs]
    monkeypatch.setattr(_strict_rules, "_quick_verdict", lambda spec, value: None)
    full = [check_call_all(expected, call) for expected, call in pairs]
    assert quick == full
    for (expected, call), passed in zip(pairs, passing, strict=True):
        assert passed is (check_call_default(expected, call) is None), (expected, call)
    assert 1_000 < sum(passing) < len(pairs) - 1_000
