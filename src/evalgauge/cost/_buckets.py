"""Disjoint token buckets and the per-token rates that price them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from evalgauge.models import Usage

NO_TOKEN_COUNTS = "usage reports no token counts"


class Buckets(NamedTuple):
    """Disjoint token counts of one request, so that each token is priced exactly once.

    Counts are floats because a projection prices mean usage per case. This is a named tuple
    because one is built for every priced request, and building one takes less than half the
    time of a frozen dataclass (timeit, CPython 3.11).
    """

    uncached_input: float
    cache_read: float
    cache_write: float
    text_output: float
    reasoning: float
    adjusted: bool = False  # True when counts did not add up and were clamped

    @property
    def input_total(self) -> float:
        return self.uncached_input + self.cache_read + self.cache_write

    @property
    def output_total(self) -> float:
        return self.text_output + self.reasoning


def split_usage(usage: Usage) -> Buckets | str:
    """Split inclusive usage counts into disjoint buckets, or return why that is impossible.

    `input_tokens` includes cache reads and cache writes, and `output_tokens` includes
    reasoning tokens.
    """
    input_tokens = usage.input_tokens
    output_tokens = usage.output_tokens
    if input_tokens is None or output_tokens is None:
        return _missing_count_reason(usage)

    cache_read = usage.cached_input_tokens or 0
    cache_write = usage.cache_write_tokens or 0
    reasoning = usage.reasoning_tokens or 0
    inputs_add_up = (
        cache_read >= 0 and cache_write >= 0 and input_tokens >= cache_read + cache_write
    )
    if inputs_add_up and output_tokens >= reasoning >= 0:
        uncached = input_tokens - cache_read - cache_write
        return Buckets(uncached, cache_read, cache_write, output_tokens - reasoning, reasoning)
    return _clamped_buckets(input_tokens, cache_read, cache_write, output_tokens, reasoning)


def _missing_count_reason(usage: Usage) -> str:
    if usage.input_tokens is not None:
        return "usage reports no output token count"
    if usage.output_tokens is not None:
        return "usage reports no input token count"
    sub_counts = (usage.cached_input_tokens, usage.cache_write_tokens, usage.reasoning_tokens)
    if all(count is None for count in sub_counts):
        return NO_TOKEN_COUNTS
    return "usage reports token sub-counts but no input or output token count"


def _clamped_buckets(
    input_tokens: int, cache_read: int, cache_write: int, output_tokens: int, reasoning: int
) -> Buckets:
    """Build buckets from counts that do not add up, so that no bucket is negative.

    A negative count becomes 0, and a sub-count larger than what is left of its total is cut
    to that rest. Cache reads are served from the input total before cache writes.
    """
    input_total = max(input_tokens, 0)
    kept_read = min(max(cache_read, 0), input_total)
    kept_write = min(max(cache_write, 0), input_total - kept_read)
    output_total = max(output_tokens, 0)
    kept_reasoning = min(max(reasoning, 0), output_total)
    return Buckets(
        uncached_input=input_total - kept_read - kept_write,
        cache_read=kept_read,
        cache_write=kept_write,
        text_output=output_total - kept_reasoning,
        reasoning=kept_reasoning,
        adjusted=True,
    )


@dataclass(frozen=True, slots=True)
class Rates:
    """USD per token for each disjoint bucket, plus a fixed USD charge per request."""

    uncached_input: float
    cache_read: float
    cache_write: float
    text_output: float
    reasoning: float
    per_request: float = 0.0

    def input_usd(self, buckets: Buckets) -> float:
        return (
            buckets.uncached_input * self.uncached_input
            + buckets.cache_read * self.cache_read
            + buckets.cache_write * self.cache_write
        )

    def output_usd(self, buckets: Buckets) -> float:
        return buckets.text_output * self.text_output + buckets.reasoning * self.reasoning


@dataclass(frozen=True, slots=True)
class TieredRates:
    """Rates by tier, where a tier's rates price the whole request once its input exceeds the
    tier's threshold.

    This is the threshold rule of genai-prices `TieredPrices` (0.2.3): the threshold compares
    against all input tokens of the request, cache reads and writes included.
    """

    thresholds: tuple[int, ...]  # ascending; the first is -1, so that tier always applies
    rates: tuple[Rates, ...]

    def select(self, input_total: float) -> Rates:
        for index in range(len(self.thresholds) - 1, 0, -1):
            if input_total > self.thresholds[index]:
                return self.rates[index]
        return self.rates[0]

    def price(self, buckets: Buckets) -> tuple[float, float, float]:
        """Return the input, output and total USD of one request."""
        rates = self.rates[0] if len(self.rates) == 1 else self.select(buckets.input_total)
        input_usd = rates.input_usd(buckets)
        output_usd = rates.output_usd(buckets)
        return input_usd, output_usd, input_usd + output_usd + rates.per_request


def flat_rates(rates: Rates) -> TieredRates:
    return TieredRates(thresholds=(-1,), rates=(rates,))
