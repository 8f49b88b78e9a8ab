import logging
import math
from datetime import UTC, datetime
from decimal import Decimal

import genai_prices
import pytest
from pydantic import ValidationError

from evalgauge.cost import ModelPrice, PriceTable, RequestCost
from evalgauge.cost._buckets import Buckets, TieredRates
from evalgauge.cost._genai import GenaiModel, current_snapshot, plan_model, to_genai_usage
from evalgauge.models import Usage

MTOK = 1_000_000
SOURCE = f"genai-prices {genai_prices.__version__}"

# Published USD per million tokens, as genai-prices 0.2.3 lists them. `test_published_prices`
# fails first when a genai-prices release changes one of them.
GPT_4O_MINI = {"input_mtok": "0.15", "cache_read_mtok": "0.075", "output_mtok": "0.6"}
GPT_4O = {"input_mtok": "2.5", "cache_read_mtok": "1.25", "output_mtok": "10"}
CLAUDE_HAIKU_3_5 = {
    "input_mtok": "0.8",
    "cache_read_mtok": "0.08",
    "cache_write_mtok": "1",
    "output_mtok": "4",
}


@pytest.fixture(scope="module")
def table() -> PriceTable:
    return PriceTable()


def usd(tokens: float, per_mtok: float) -> float:
    return tokens * per_mtok / MTOK


def genai_prices_of(model: str, provider_id: str | None = None) -> dict[str, object]:
    _, info = current_snapshot().find_provider_model(model, None, provider_id, None)
    return {key: value for key, value in vars(info.get_prices(datetime.now(UTC))).items()}


@pytest.mark.parametrize(
    ("model", "provider_id", "expected"),
    [
        ("gpt-4o-mini", None, GPT_4O_MINI),
        ("gpt-4o", None, GPT_4O),
        ("claude-3-5-haiku-20241022", "anthropic", CLAUDE_HAIKU_3_5),
    ],
)
def test_published_prices(model, provider_id, expected):
    prices = genai_prices_of(model, provider_id)
    for key, value in expected.items():
        assert prices[key] == Decimal(value), key


def test_genai_input_tokens_include_cache_reads():
    # 1000 input tokens of which 800 are cache reads: genai-prices prices 200 at the input
    # rate and 800 at the cache-read rate, so its input_tokens includes the cache reads.
    usage = genai_prices.Usage(input_tokens=1000, cache_read_tokens=800, output_tokens=0)
    calculation = genai_prices.calc_price(usage, "gpt-4o-mini")
    assert calculation.total_price == Decimal("0.00009")
    assert float(calculation.total_price) == pytest.approx(usd(200, 0.15) + usd(800, 0.075))


def test_genai_rejects_cache_reads_above_input():
    usage = genai_prices.Usage(input_tokens=100, cache_read_tokens=800)
    with pytest.raises(ValueError, match="cannot exceed input_tokens"):
        genai_prices.calc_price(usage, "gpt-4o-mini")


def test_cached_tokens_mapping_matches_genai(table):
    usage = Usage(input_tokens=1000, output_tokens=0, cached_input_tokens=800)
    cost = table.cost("gpt-4o-mini-2024-07-18", usage, provider="openai-compatible")
    assert cost.priced
    assert cost.total_usd == pytest.approx(0.00009)
    assert cost.input_usd == pytest.approx(usd(200, 0.15) + usd(800, 0.075))
    assert cost.output_usd == 0


def test_gpt_4o_mini_by_hand(table):
    usage = Usage(input_tokens=1000, output_tokens=500)
    cost = table.cost("gpt-4o-mini", usage, provider="openai-compatible")
    assert cost == RequestCost(
        total_usd=pytest.approx(usd(1000, 0.15) + usd(500, 0.6)),
        input_usd=pytest.approx(usd(1000, 0.15)),
        output_usd=pytest.approx(usd(500, 0.6)),
        priced=True,
        source=SOURCE,
        unpriced_reason=None,
    )


@pytest.mark.parametrize(
    ("dated", "undated", "input_per_mtok", "output_per_mtok"),
    [
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini", 0.15, 0.6),
        ("gpt-4o-2024-08-06", "gpt-4o", 2.5, 10),
    ],
)
def test_dated_openai_names_resolve(table, dated, undated, input_per_mtok, output_per_mtok):
    usage = Usage(input_tokens=2000, output_tokens=300)
    cost = table.cost(dated, usage, provider="openai-compatible")
    assert cost.priced, cost.unpriced_reason
    assert cost.total_usd == pytest.approx(usd(2000, input_per_mtok) + usd(300, output_per_mtok))
    assert cost == table.cost(undated, usage, provider="openai-compatible")


def test_claude_cache_buckets_by_hand(table):
    # 2000 input tokens = 1200 uncached + 500 cache reads + 300 cache writes.
    usage = Usage(
        input_tokens=2000, output_tokens=400, cached_input_tokens=500, cache_write_tokens=300
    )
    cost = table.cost("claude-3-5-haiku-20241022", usage, provider="anthropic")
    expected_input = usd(1200, 0.8) + usd(500, 0.08) + usd(300, 1.0)
    assert cost.priced, cost.unpriced_reason
    assert cost.input_usd == pytest.approx(expected_input)
    assert cost.output_usd == pytest.approx(usd(400, 4))
    assert cost.total_usd == pytest.approx(expected_input + usd(400, 4))


def test_claude_inferred_from_name(table):
    usage = Usage(input_tokens=1000, output_tokens=100)
    inferred = table.cost("claude-3-5-haiku-20241022", usage, provider="openai-compatible")
    assert inferred.priced, inferred.unpriced_reason
    assert inferred == table.cost("claude-3-5-haiku-20241022", usage, provider="anthropic")


def test_claude_long_context_tier(table):
    # claude-sonnet-4-5 prices a request with more than 200,000 input tokens at $6 / $22.5
    # per million for all its tokens, and at $3 / $15 up to 200,000.
    prices = genai_prices_of("claude-sonnet-4-5", "anthropic")
    assert prices["input_mtok"].base == Decimal("3")
    assert prices["input_mtok"].tiers[0].start == 200_000
    assert prices["input_mtok"].tiers[0].price == Decimal("6")

    below = table.cost(
        "claude-sonnet-4-5", Usage(input_tokens=200_000, output_tokens=1000), provider="anthropic"
    )
    above = table.cost(
        "claude-sonnet-4-5", Usage(input_tokens=200_001, output_tokens=1000), provider="anthropic"
    )
    assert below.total_usd == pytest.approx(usd(200_000, 3) + usd(1000, 15))
    assert above.total_usd == pytest.approx(usd(200_001, 6) + usd(1000, 22.5))


def test_cached_request_costs_less(table):
    cached = table.cost(
        "gpt-4o-mini", Usage(input_tokens=1000, output_tokens=0, cached_input_tokens=800)
    )
    uncached = table.cost(
        "gpt-4o-mini", Usage(input_tokens=1000, output_tokens=0, cached_input_tokens=0)
    )
    assert cached.total_usd is not None
    assert uncached.total_usd is not None
    assert cached.total_usd < uncached.total_usd
    assert uncached.total_usd == pytest.approx(usd(1000, 0.15))


def test_reasoning_not_double_counted(table):
    # o3-mini has no separate reasoning price, so reasoning tokens cost the output rate once.
    with_reasoning = table.cost(
        "o3-mini", Usage(input_tokens=0, output_tokens=1000, reasoning_tokens=600)
    )
    without = table.cost("o3-mini", Usage(input_tokens=0, output_tokens=1000))
    assert with_reasoning.output_usd == pytest.approx(usd(1000, 4.4))
    assert with_reasoning == without


def test_reasoning_with_own_price(table):
    # Perplexity's sonar-deep-research lists output at $8 and reasoning at $3 per million.
    prices = genai_prices_of("sonar-deep-research", "perplexity")
    assert prices["output_mtok"] == Decimal("8")
    assert prices["output_reasoning_mtok"] == Decimal("3")
    usage = Usage(input_tokens=1000, output_tokens=1000, reasoning_tokens=600)
    cost = table.cost("sonar-deep-research", usage, provider="perplexity")
    assert cost.output_usd == pytest.approx(usd(400, 8) + usd(600, 3))


def test_per_request_fee_in_total_only(table):
    # Perplexity's sonar charges $12 per thousand requests on top of its token prices.
    assert genai_prices_of("sonar", "perplexity")["requests_kcount"] == Decimal("12")
    cost = table.cost("sonar", Usage(input_tokens=1000, output_tokens=1000), provider="perplexity")
    assert cost.input_usd == pytest.approx(usd(1000, 1))
    assert cost.output_usd == pytest.approx(usd(1000, 1))
    assert cost.total_usd == pytest.approx(usd(1000, 1) + usd(1000, 1) + 12 / 1000)


def test_cached_above_input_clamped(table, caplog):
    usage = Usage(input_tokens=100, output_tokens=10, cached_input_tokens=800)
    with caplog.at_level(logging.WARNING, logger="evalgauge.cost._prices"):
        cost = table.cost("gpt-4o-mini", usage)
    assert cost.priced
    assert cost.input_usd == pytest.approx(usd(100, 0.075))
    assert cost.output_usd == pytest.approx(usd(10, 0.6))
    assert "does not add up" in caplog.text


def test_bad_counts_never_negative(table):
    cases = [
        Usage(input_tokens=100, output_tokens=10, cached_input_tokens=80, cache_write_tokens=80),
        Usage(input_tokens=100, output_tokens=10, reasoning_tokens=50),
        Usage(input_tokens=-5, output_tokens=-1, cached_input_tokens=-3, reasoning_tokens=-2),
        Usage(input_tokens=100, output_tokens=10, cached_input_tokens=-20),
    ]
    for usage in cases:
        cost = table.cost("claude-3-5-haiku-20241022", usage, provider="anthropic")
        assert cost.priced, usage
        assert cost.input_usd >= 0, usage
        assert cost.output_usd >= 0, usage
    reasoning_over = table.cost(
        "o3-mini", Usage(input_tokens=0, output_tokens=10, reasoning_tokens=50)
    )
    assert reasoning_over.output_usd == pytest.approx(usd(10, 4.4))


def test_unknown_model_unpriced(table):
    cost = table.cost(
        "my-llm", Usage(input_tokens=1000, output_tokens=10), provider="openai-compatible"
    )
    assert cost.priced is False
    assert cost.total_usd is None
    assert cost.input_usd is None
    assert cost.output_usd is None
    assert cost.source == SOURCE
    assert "no price for model 'my-llm' (provider 'openai-compatible')" in cost.unpriced_reason
    assert "ModelPrice override" in cost.unpriced_reason


def test_unknown_provider_unpriced(table):
    cost = table.cost("gpt-4o", Usage(input_tokens=1, output_tokens=1), provider="no-such-cloud")
    assert cost.priced is False
    assert "provider 'no-such-cloud'" in cost.unpriced_reason


def test_model_from_other_vendor_unpriced(table):
    cost = table.cost("gpt-4o", Usage(input_tokens=1, output_tokens=1), provider="anthropic")
    assert cost.priced is False
    assert "'gpt-4o'" in cost.unpriced_reason


def test_empty_usage_unpriced(table):
    cost = table.cost("gpt-4o-mini", Usage())
    assert cost.priced is False
    assert cost.total_usd is None
    assert cost.unpriced_reason == "usage reports no token counts"
    assert cost.source == SOURCE


@pytest.mark.parametrize(
    ("usage", "reason"),
    [
        (Usage(input_tokens=10), "usage reports no output token count"),
        (Usage(output_tokens=10), "usage reports no input token count"),
        (Usage(cached_input_tokens=10), "usage reports token sub-counts but no input or output"),
    ],
)
def test_partial_usage_unpriced(table, usage, reason):
    cost = table.cost("gpt-4o-mini", usage)
    assert cost.priced is False
    assert cost.unpriced_reason.startswith(reason)


def test_zero_usage_costs_zero(table):
    cost = table.cost("gpt-4o-mini", Usage(input_tokens=0, output_tokens=0))
    assert cost.priced
    assert cost.total_usd == 0


def test_override_all_buckets():
    price = ModelPrice(
        input_per_mtok=1.0,
        output_per_mtok=2.0,
        cached_input_per_mtok=0.5,
        cache_write_per_mtok=1.25,
        reasoning_per_mtok=3.0,
    )
    table = PriceTable({"my-llm": price})
    usage = Usage(
        input_tokens=1000,
        output_tokens=500,
        cached_input_tokens=200,
        cache_write_tokens=100,
        reasoning_tokens=100,
    )
    cost = table.cost("my-llm", usage, provider="openai-compatible")
    expected_input = usd(700, 1.0) + usd(200, 0.5) + usd(100, 1.25)
    expected_output = usd(400, 2.0) + usd(100, 3.0)
    assert cost == RequestCost(
        total_usd=pytest.approx(expected_input + expected_output),
        input_usd=pytest.approx(expected_input),
        output_usd=pytest.approx(expected_output),
        priced=True,
        source="override",
        unpriced_reason=None,
    )


def test_override_defaults_to_input_and_output():
    table = PriceTable({"my-llm": ModelPrice(input_per_mtok=1.0, output_per_mtok=2.0)})
    usage = Usage(
        input_tokens=1000,
        output_tokens=500,
        cached_input_tokens=200,
        cache_write_tokens=100,
        reasoning_tokens=100,
    )
    cost = table.cost("my-llm", usage)
    assert cost.input_usd == pytest.approx(usd(1000, 1.0))
    assert cost.output_usd == pytest.approx(usd(500, 2.0))


def test_override_wins_over_genai_prices():
    table = PriceTable({"gpt-4o-mini": ModelPrice(input_per_mtok=100, output_per_mtok=200)})
    cost = table.cost("gpt-4o-mini", Usage(input_tokens=1000, output_tokens=1000))
    assert cost.source == "override"
    assert cost.total_usd == pytest.approx(usd(1000, 100) + usd(1000, 200))
    dated = table.cost("gpt-4o-mini-2024-07-18", Usage(input_tokens=1000, output_tokens=1000))
    assert dated.source == SOURCE


def test_override_case_insensitive():
    exact = ModelPrice(input_per_mtok=1, output_per_mtok=1)
    table = PriceTable({"My-LLM": exact})
    cost = table.cost("my-llm", Usage(input_tokens=1000, output_tokens=0))
    assert cost.source == "override"
    assert cost.total_usd == pytest.approx(usd(1000, 1))
    assert table.cost("MY-LLM", Usage(input_tokens=1000, output_tokens=0)) == cost


def test_overrides_differing_in_case_rejected():
    price = ModelPrice(input_per_mtok=1, output_per_mtok=1)
    with pytest.raises(ValueError, match="differ only in case"):
        PriceTable({"my-llm": price, "MY-LLM": price})


def test_override_of_wrong_type_rejected():
    with pytest.raises(TypeError, match="expected a ModelPrice, got dict"):
        PriceTable({"my-llm": {"input_per_mtok": 1, "output_per_mtok": 1}})


@pytest.mark.parametrize(
    "field",
    [
        "input_per_mtok",
        "output_per_mtok",
        "cached_input_per_mtok",
        "cache_write_per_mtok",
        "reasoning_per_mtok",
    ],
)
def test_negative_price_rejected(field):
    values = {"input_per_mtok": 1.0, "output_per_mtok": 1.0, field: -0.5}
    with pytest.raises(ValidationError) as raised:
        ModelPrice(**values)
    message = str(raised.value)
    assert field in message
    assert "greater than or equal to 0" in message


def test_nonfinite_or_extra_field_rejected():
    with pytest.raises(ValidationError, match="input_per_mtok"):
        ModelPrice(input_per_mtok=math.nan, output_per_mtok=1)
    with pytest.raises(ValidationError, match="output_per_mtok"):
        ModelPrice(input_per_mtok=1, output_per_mtok=math.inf)
    with pytest.raises(ValidationError, match="input_per_token"):
        ModelPrice(input_per_mtok=1, output_per_mtok=1, input_per_token=1)


def test_describe_source_and_overrides():
    plain = PriceTable().describe()
    assert plain == f"{SOURCE}, bundled price data"
    price = ModelPrice(input_per_mtok=1, output_per_mtok=1)
    with_overrides = PriceTable({"zeta": price, "alpha": price}).describe()
    assert with_overrides == f"{SOURCE}, bundled price data; overrides: alpha, zeta"


@pytest.mark.parametrize("provider_id", ["openai", "anthropic", "google", "perplexity", "aws"])
def test_rates_agree_with_genai_prices(provider_id):
    # Every model of these providers reduces to tiered rates that give genai-prices' own
    # prices, at and just above the tier thresholds most common in genai-prices 0.2.3.
    snapshot = current_snapshot()
    provider = next(p for p in snapshot.providers if p.id == provider_id)
    now = datetime.now(UTC)
    input_totals = [0, 4000, 128_000, 128_001, 200_000, 200_001, 272_000, 272_001, 1_220_000]
    samples = [
        Buckets(total - total // 4 - total // 10, total // 4, total // 10, 5000, 1000)
        for total in input_totals
    ]
    for info in provider.models:
        plan = plan_model(info, provider, now)
        assert isinstance(plan, TieredRates), info.id
        model_price = info.get_prices(now)
        for sample in samples:
            expected = model_price.calc_price(to_genai_usage(sample))
            input_usd, output_usd, total_usd = plan.price(sample)
            assert input_usd == pytest.approx(float(expected["input_price"]), rel=1e-9), info.id
            assert output_usd == pytest.approx(float(expected["output_price"]), rel=1e-9), info.id
            assert total_usd == pytest.approx(float(expected["total_price"]), rel=1e-9), info.id


def test_genai_pricer_matches_rates():
    # The fallback pricer, used when a model's prices do not reduce to rates, calls
    # genai-prices on each request and must give the same figures.
    snapshot = current_snapshot()
    now = datetime.now(UTC)
    sample = Buckets(210_000, 40_000, 5000, 700, 300)
    for model, provider_id in [("claude-sonnet-4-5", "anthropic"), ("gpt-4o-mini", None)]:
        provider, info = snapshot.find_provider_model(model, None, provider_id, None)
        rates = plan_model(info, provider, now)
        pricer = GenaiModel(info=info, provider=provider, timestamp=now)
        assert isinstance(rates, TieredRates)
        assert pricer.price(sample) == pytest.approx(rates.price(sample), rel=1e-9)
