import math

import pytest

from evalgauge.cost import (
    CostProjection,
    ModelPrice,
    PriceTable,
    estimate_prompt_tokens,
    project_cost,
)

MTOK = 1_000_000


@pytest.fixture(scope="module")
def table() -> PriceTable:
    return PriceTable({"my-llm": ModelPrice(input_per_mtok=2.0, output_per_mtok=8.0)})


def test_projection_gpt_4o_mini_by_hand(table):
    # gpt-4o-mini: $0.15 input and $0.60 output per million tokens in genai-prices 0.2.3.
    projection = project_cost(
        table,
        "gpt-4o-mini-2024-07-18",
        n_cases=200,
        input_tokens_per_case=1500,
        output_tokens_per_case=250,
        provider="openai-compatible",
        basis="mean usage of run r1",
    )
    per_case = 1500 * 0.15 / MTOK + 250 * 0.6 / MTOK
    assert projection == CostProjection(
        n_cases=200,
        input_tokens_per_case=1500,
        output_tokens_per_case=250,
        per_case_usd=pytest.approx(per_case),
        total_usd=pytest.approx(200 * per_case),
        priced=True,
        basis="mean usage of run r1",
        unpriced_reason=None,
    )


def test_projection_fractional_tokens(table):
    projection = project_cost(
        table,
        "my-llm",
        n_cases=3,
        input_tokens_per_case=1234.5,
        output_tokens_per_case=10.25,
        basis="prompt length / 4 characters per token",
    )
    per_case = 1234.5 * 2.0 / MTOK + 10.25 * 8.0 / MTOK
    assert projection.priced
    assert projection.per_case_usd == pytest.approx(per_case)
    assert projection.total_usd == pytest.approx(3 * per_case)


def test_projection_tier_from_one_case(table):
    # The long-context tier of claude-sonnet-4-5 ($6 / $22.5 per million) starts above 200,000
    # input tokens of one request, so 1,000 cases of 1,000 tokens stay at $3 / $15.
    small = project_cost(
        table,
        "claude-sonnet-4-5",
        n_cases=1000,
        input_tokens_per_case=1000,
        output_tokens_per_case=100,
        provider="anthropic",
        basis="estimate",
    )
    large = project_cost(
        table,
        "claude-sonnet-4-5",
        n_cases=2,
        input_tokens_per_case=250_000,
        output_tokens_per_case=100,
        provider="anthropic",
        basis="estimate",
    )
    assert small.per_case_usd == pytest.approx(1000 * 3 / MTOK + 100 * 15 / MTOK)
    assert large.per_case_usd == pytest.approx(250_000 * 6 / MTOK + 100 * 22.5 / MTOK)


def test_projection_zero_cases(table):
    projection = project_cost(
        table, "my-llm", n_cases=0, input_tokens_per_case=10, output_tokens_per_case=10, basis="x"
    )
    assert projection.priced
    assert projection.total_usd == 0
    assert projection.per_case_usd == pytest.approx(10 * 2.0 / MTOK + 10 * 8.0 / MTOK)


def test_projection_unknown_model_unpriced(table):
    projection = project_cost(
        table,
        "no-such-model",
        n_cases=10,
        input_tokens_per_case=100,
        output_tokens_per_case=10,
        provider="openai-compatible",
        basis="estimate",
    )
    assert projection.priced is False
    assert projection.per_case_usd is None
    assert projection.total_usd is None
    assert "no price for model 'no-such-model'" in projection.unpriced_reason
    assert projection.basis == "estimate"
    assert projection.n_cases == 10


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"n_cases": -1}, "invalid n_cases -1"),
        ({"n_cases": True}, "invalid n_cases True"),
        ({"n_cases": 2.5}, "invalid n_cases 2.5"),
        ({"input_tokens_per_case": -1.0}, "invalid input_tokens_per_case -1.0"),
        ({"output_tokens_per_case": math.nan}, "invalid output_tokens_per_case nan"),
        ({"input_tokens_per_case": math.inf}, "invalid input_tokens_per_case inf"),
        ({"basis": "  "}, "invalid basis"),
    ],
)
def test_projection_invalid_arguments(table, arguments, message):
    values = {
        "n_cases": 1,
        "input_tokens_per_case": 1.0,
        "output_tokens_per_case": 1.0,
        "basis": "estimate",
        **arguments,
    }
    with pytest.raises(ValueError, match=message):
        project_cost(table, "my-llm", **values)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [("", 1), ("abc", 1), ("abcd", 1), ("abcdefgh", 2), ("x" * 4001, 1000)],
)
def test_estimate_prompt_tokens(text, tokens):
    assert estimate_prompt_tokens(text) == tokens
