"""Per-model rates read from the price data bundled with genai-prices.

genai-prices counts `input_tokens` inclusive of `cache_read_tokens` and `cache_write_tokens`,
and `output_tokens` inclusive of `output_reasoning_tokens`: it prices each sub-count at its own
rate and the rest of the total at the base rate. A sub-count larger than its total raises
`ValueError`.

Each genai-prices call validates the model's prices and computes in Decimal, which takes
roughly 0.1 ms with 0.2.3. So each model's prices are reduced once to per-token rates, by
pricing one million tokens of each bucket alone, and the rates are checked against
genai-prices before use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import genai_prices
from genai_prices import data_snapshot
from genai_prices import types as genai_types

from evalgauge.cost._buckets import Buckets, Rates, TieredRates

GENAI_PRICES_VERSION: str = genai_prices.__version__

_MTOK = 1_000_000


@dataclass(frozen=True, slots=True)
class GenaiModel:
    """A model whose prices do not reduce to tiered per-token rates, so genai-prices prices
    each request."""

    info: genai_types.ModelInfo
    provider: genai_types.Provider
    timestamp: datetime  # the date that selects among the model's dated prices

    def price(self, buckets: Buckets) -> tuple[float, float, float] | str:
        """Return the input, output and total USD of one request, or why it has no price."""
        try:
            calculation = self.info.calc_price(
                to_genai_usage(buckets), self.provider, genai_request_timestamp=self.timestamp
            )
        except ValueError as error:
            return f"genai-prices {GENAI_PRICES_VERSION} failed to price {self.info.id!r}: {error}"
        return (
            float(calculation.input_price),
            float(calculation.output_price),
            float(calculation.total_price),
        )


def current_snapshot() -> data_snapshot.DataSnapshot:
    """Return the price data genai-prices uses: its bundled snapshot unless the process
    started its `UpdatePrices` downloader, which evalgauge never does."""
    return data_snapshot.get_snapshot()


def find_model(
    snapshot: data_snapshot.DataSnapshot, model: str, provider_id: str | None
) -> tuple[genai_types.Provider, genai_types.ModelInfo] | str:
    """Look up a model by name, and by provider when `provider_id` is given.

    With no provider, genai-prices infers it from the model name. Matching ignores case and
    accepts dated names such as "gpt-4o-2024-08-06". Returns genai-prices' `LookupError`
    message when nothing matches.
    """
    try:
        return snapshot.find_provider_model(model, None, provider_id, None)
    except LookupError as error:
        return str(error)


def plan_model(
    info: genai_types.ModelInfo, provider: genai_types.Provider, timestamp: datetime
) -> TieredRates | GenaiModel:
    """Reduce a model's prices to tiered rates, or keep genai-prices as the pricer when the
    reduction fails or disagrees with it."""
    model_price = info.get_prices(timestamp)
    try:
        tiered = _tiered_rates(model_price)
        agrees = tiered is not None and _agrees_with(tiered, model_price)
    except ValueError:
        agrees = False
    if agrees and tiered is not None:
        return tiered
    return GenaiModel(info=info, provider=provider, timestamp=timestamp)


def to_genai_usage(buckets: Buckets) -> genai_prices.Usage:
    # NOTE: all cache writes get the `cache_write_mtok` rate (Anthropic's 5-minute cache),
    # because Usage has no TTL split. Writes to the 1-hour cache cost more than that.
    return genai_prices.Usage(
        input_tokens=buckets.input_total,
        cache_read_tokens=buckets.cache_read,
        cache_write_tokens=buckets.cache_write,
        output_tokens=buckets.output_total,
        output_reasoning_tokens=buckets.reasoning,
    )


def _tiered_rates(model_price: genai_types.ModelPrice) -> TieredRates | None:
    prices = {
        key: value
        for key, value in vars(model_price).items()
        if not key.startswith("_") and value is not None
    }
    if not all(isinstance(value, Decimal | genai_types.TieredPrices) for value in prices.values()):
        return None

    starts = {
        tier.start
        for value in prices.values()
        if isinstance(value, genai_types.TieredPrices)
        for tier in value.tiers
    }
    thresholds = (-1, *sorted(starts))
    rates = tuple(
        _probe_rates(
            genai_types.ModelPrice(
                **{key: _price_above(value, threshold) for key, value in prices.items()}
            )
        )
        for threshold in thresholds
    )
    return TieredRates(thresholds=thresholds, rates=rates)


def _price_above(value: Decimal | genai_types.TieredPrices, threshold: int) -> Decimal:
    """Return the flat price that applies to requests with more than `threshold` input tokens."""
    if isinstance(value, Decimal):
        return value
    price = value.base
    for tier in value.tiers:
        if tier.start <= threshold:
            price = tier.price
    return price


def _probe_rates(flat_price: genai_types.ModelPrice) -> Rates:
    """Price one million tokens of each bucket alone to read the per-token rates."""

    def input_rate(buckets: Buckets) -> float:
        return float(flat_price.calc_price(to_genai_usage(buckets))["input_price"] / _MTOK)

    def output_rate(buckets: Buckets) -> float:
        return float(flat_price.calc_price(to_genai_usage(buckets))["output_price"] / _MTOK)

    no_tokens = flat_price.calc_price(to_genai_usage(Buckets(0, 0, 0, 0, 0)))
    return Rates(
        uncached_input=input_rate(Buckets(_MTOK, 0, 0, 0, 0)),
        cache_read=input_rate(Buckets(0, _MTOK, 0, 0, 0)),
        cache_write=input_rate(Buckets(0, 0, _MTOK, 0, 0)),
        text_output=output_rate(Buckets(0, 0, 0, _MTOK, 0)),
        reasoning=output_rate(Buckets(0, 0, 0, 0, _MTOK)),
        per_request=float(no_tokens["total_price"]),
    )


def _agrees_with(tiered: TieredRates, model_price: genai_types.ModelPrice) -> bool:
    """Check the rates against genai-prices on one mixed request inside each tier."""
    for index, threshold in enumerate(tiered.thresholds):
        if threshold >= 0:
            input_total = threshold + 1
        elif len(tiered.thresholds) > 1:
            input_total = min(4000, tiered.thresholds[1])
        else:
            input_total = 4000
        sample = Buckets(
            uncached_input=input_total - input_total // 4 - input_total // 8,
            cache_read=input_total // 4,
            cache_write=input_total // 8,
            text_output=700,
            reasoning=300,
        )
        expected = model_price.calc_price(to_genai_usage(sample))
        input_usd, output_usd, total_usd = tiered.price(sample)
        pairs = (
            (input_usd, expected["input_price"]),
            (output_usd, expected["output_price"]),
            (total_usd, expected["total_price"]),
        )
        if tiered.select(sample.input_total) is not tiered.rates[index]:
            return False
        if not all(math.isclose(ours, float(theirs), rel_tol=1e-9) for ours, theirs in pairs):
            return False
    return True
