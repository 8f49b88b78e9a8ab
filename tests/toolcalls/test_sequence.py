"""Sequence check: partial orders, pairing, and the missing, extra and wrong-order verdicts."""

from __future__ import annotations

import pytest

from evalgauge.errors import ScorerError
from evalgauge.scorers.toolcalls._matchers import ast_matcher
from evalgauge.scorers.toolcalls._model import ErrorCategory, ToolCall
from evalgauge.scorers.toolcalls._sequence import (
    ExpectedStep,
    SequenceExpectation,
    check_sequence,
    normalize_json,
    parse_expectation,
    same_call,
)
from evalgauge.scorers.toolcalls._specs import load_tool_specs
from tests.toolcalls._orders import OPENAPI

A = ToolCall("create_order", {"customer": "a@example.com"})
B = ToolCall("add_item", {"order_id": 1, "sku": "BK-101", "quantity": 2})
C = ToolCall("add_item", {"order_id": 1, "sku": "PN-202", "quantity": 1})
D = ToolCall("cancel_order", {"order_id": 1})
GROUPS = SequenceExpectation.from_groups([[A], [B, C], [D]])


def _categories(
    calls: list[ToolCall], expectation: SequenceExpectation = GROUPS, **kw: object
) -> list[str]:
    result = check_sequence(calls, expectation, **kw)  # type: ignore[arg-type]
    return sorted(str(o.category) for o in result.outcomes if not o.passed)


def test_exact_order_passes() -> None:
    result = check_sequence([A, B, C, D], GROUPS)
    assert result.passed
    assert result.pairs == {0: "0.0", 1: "1.0", 2: "1.1", 3: "2.0"}


def test_group_members_reorder() -> None:
    assert check_sequence([A, C, B, D], GROUPS).passed


def test_wrong_order_names_both_calls() -> None:
    result = check_sequence([B, A, C, D], GROUPS)
    (outcome,) = result.outcomes
    assert outcome.category is ErrorCategory.WRONG_ORDER
    assert outcome.extra == {"step": "1.0", "after": "0.0", "index": 0}
    assert "add_item" in outcome.detail
    assert "create_order" in outcome.detail


def test_last_group_too_early() -> None:
    assert _categories([A, D, B, C]) == ["wrong_order", "wrong_order"]


def test_missing_call() -> None:
    result = check_sequence([A, B, D], GROUPS)
    (outcome,) = result.outcomes
    assert outcome.category is ErrorCategory.MISSING_CALL
    assert outcome.extra["step"] == "1.1"
    assert "PN-202" in outcome.detail


def test_extra_call() -> None:
    lookup = ToolCall("get_order", {"order_id": 1})
    result = check_sequence([A, lookup, B, C, D], GROUPS)
    (outcome,) = result.outcomes
    assert outcome.category is ErrorCategory.EXTRA_CALL
    assert outcome.extra["index"] == 1


def test_extra_call_allowed() -> None:
    lookup = ToolCall("get_order", {"order_id": 1})
    assert check_sequence([A, lookup, B, C, D], GROUPS, allow_extra=True).passed


def test_wrong_arguments_are_missing_and_extra() -> None:
    wrong = ToolCall("add_item", {"order_id": 1, "sku": "BK-101", "quantity": 3})
    assert _categories([A, wrong, C, D]) == ["extra_call", "missing_call"]


def test_no_calls() -> None:
    assert _categories([]) == ["missing_call"] * 4


def test_duplicate_calls_paired_in_order() -> None:
    expectation = SequenceExpectation.from_groups([[B], [A], [B]])
    result = check_sequence([B, A, B], expectation)
    assert result.passed
    assert result.pairs == {0: "0.0", 1: "1.0", 2: "2.0"}


def test_duplicate_needs_both() -> None:
    expectation = SequenceExpectation.from_groups([[B, B]])
    assert _categories([B], expectation) == ["missing_call"]
    assert _categories([B, B, B], expectation) == ["extra_call"]


def test_matching_is_maximum_not_greedy() -> None:
    # The first call fits both steps, the second only the first step: a greedy pairing of
    # step 0 with call 0 would leave step 1 unmatched.
    loose = ToolCall("f", {"x": 1})
    strict = ToolCall("f", {"x": 2})
    expectation = SequenceExpectation.from_groups([[loose, strict]])

    def matcher(model: ToolCall, expected: ToolCall) -> bool:
        return model.name == expected.name and (
            model.arguments["x"] == expected.arguments["x"] or model.arguments["x"] == 0
        )

    result = check_sequence(
        [ToolCall("f", {"x": 0}), ToolCall("f", {"x": 1})], expectation, matcher=matcher
    )
    assert result.passed


def test_custom_matcher_plugged_in() -> None:
    def names_only(model: ToolCall, expected: ToolCall) -> bool:
        return model.name == expected.name

    other = ToolCall("add_item", {"order_id": 9, "sku": "XX-000", "quantity": 50})
    assert check_sequence([A, other, other, D], GROUPS, matcher=names_only).passed
    assert not check_sequence([A, other, other, D], GROUPS).passed


def test_explicit_edges() -> None:
    steps = [
        ExpectedStep("open", A),
        ExpectedStep("x", B, frozenset({"open"})),
        ExpectedStep("y", C, frozenset({"open"})),
        ExpectedStep("close", D, frozenset({"x"})),
    ]
    expectation = SequenceExpectation.from_steps(steps)
    # `close` need only follow `x`, so it may come before `y`.
    assert check_sequence([A, B, D, C], expectation).passed
    assert not check_sequence([A, C, D, B], expectation).passed


def test_cycle_rejected() -> None:
    steps = [ExpectedStep("a", A, frozenset({"b"})), ExpectedStep("b", B, frozenset({"a"}))]
    with pytest.raises(ScorerError, match="cycle"):
        SequenceExpectation.from_steps(steps)


def test_unknown_step_rejected() -> None:
    with pytest.raises(ScorerError, match="unknown step"):
        SequenceExpectation.from_steps([ExpectedStep("a", A, frozenset({"zz"}))])


def test_duplicate_ids_rejected() -> None:
    with pytest.raises(ScorerError, match="share an id"):
        SequenceExpectation.from_steps([ExpectedStep("a", A), ExpectedStep("a", B)])


def test_parse_groups() -> None:
    expectation = parse_expectation(
        [[{"name": "a", "arguments": {}}], [{"name": "b", "arguments": '{"x": 1}'}]]
    )
    assert [s.step_id for s in expectation.steps] == ["0.0", "1.0"]
    assert expectation.steps[1].after == frozenset({"0.0"})
    assert expectation.steps[1].call.arguments == {"x": 1}


def test_parse_flat_list_is_strict() -> None:
    expectation = parse_expectation([{"name": "a"}, {"name": "b"}])
    calls = [ToolCall("b", {}), ToolCall("a", {})]
    assert not check_sequence(calls, expectation).passed


def test_parse_edges() -> None:
    expectation = parse_expectation(
        [
            {"id": "s", "name": "a"},
            {"id": "t", "name": "b", "after": ["s"]},
            {"id": "u", "name": "c", "after": ["s"]},
        ]
    )
    calls = [ToolCall("a", {}), ToolCall("c", {}), ToolCall("b", {})]
    assert check_sequence(calls, expectation).passed


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"name": "a"}, "must be a list"),
        ([{"arguments": {}}], "with `name` and `arguments`"),
        ([{"name": "a", "arguments": "{bad"}], "not valid JSON"),
        ([{"name": "a", "arguments": [1]}], "must be an object"),
        ([{"id": "a", "name": "a", "after": "b"}], "must be a list of step ids"),
    ],
)
def test_parse_errors(value: object, message: str) -> None:
    with pytest.raises(ScorerError, match=message):
        parse_expectation(value)


def test_normalize_json() -> None:
    assert normalize_json({"b": 1.0, "a": (1, 2)}) == normalize_json({"a": [1, 2], "b": 1})
    assert normalize_json({"x": True}) != normalize_json({"x": 1})
    assert normalize_json({"x": 1.5}) != normalize_json({"x": 1})


def test_default_matcher() -> None:
    assert same_call(ToolCall("f", {"a": 1, "b": [1.0]}), ToolCall("f", {"b": [1], "a": 1}))
    assert not same_call(ToolCall("f", {"a": 1}), ToolCall("g", {"a": 1}))
    assert not same_call(ToolCall("f", {"a": 1}), ToolCall("f", {"a": 1, "b": None}))


def test_ast_matcher_default_mode() -> None:
    matcher = ast_matcher(load_tool_specs(OPENAPI))
    lower_sku = ToolCall("add_item", {"order_id": 1, "sku": "bk-101", "quantity": 2})
    float_quantity = ToolCall("add_item", {"order_id": 1, "sku": "BK-101", "quantity": 2.0})
    assert not check_sequence([A, lower_sku, C, D], GROUPS, matcher=matcher).passed
    assert check_sequence([A, float_quantity, C, D], GROUPS, matcher=matcher).passed


def test_ast_matcher_bfcl_mode() -> None:
    matcher = ast_matcher(load_tool_specs(OPENAPI), mode="bfcl")
    lower_sku = ToolCall("add_item", {"order_id": 1, "sku": "bk-101", "quantity": 2})
    # BFCL's string normalisation drops case and hyphens, so the SKU matches.
    assert check_sequence([A, lower_sku, C, D], GROUPS, matcher=matcher).passed


def test_ast_matcher_acceptable_values() -> None:
    doc = {"type": "dict", "properties": {"city": {"type": "string"}, "unit": {"type": "string"}}}
    specs = load_tool_specs([{"name": "weather", "parameters": {**doc, "required": ["city"]}}])
    matcher = ast_matcher(specs, mode="bfcl", answers=True)
    expected = ToolCall("weather", {"city": ["New York, NY", "NYC"], "unit": ["", "celsius"]})
    assert matcher(ToolCall("weather", {"city": "NYC"}), expected)
    assert matcher(ToolCall("weather", {"city": "new york ny", "unit": "celsius"}), expected)
    assert not matcher(ToolCall("weather", {"city": "Boston"}), expected)
    assert not matcher(ToolCall("forecast", {"city": "NYC"}), expected)
