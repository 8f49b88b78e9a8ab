"""Per-request cost from provider usage, priced by user overrides or by genai-prices."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from evalgauge.cost._buckets import Buckets, Rates, TieredRates, flat_rates, split_usage
from evalgauge.cost._genai import (
    GENAI_PRICES_VERSION,
    GenaiModel,
    current_snapshot,
    find_model,
    plan_model,
)
from evalgauge.models import Usage

logger = logging.getLogger(__name__)

OVERRIDE_SOURCE = "override"

# evalgauge provider names mapped to genai-prices provider ids. None lets genai-prices infer the
# provider from the model name, because an OpenAI-compatible endpoint may serve any vendor's
# models. Any other provider name is passed to genai-prices as it is.
# NOTE: inference can price a self-hosted open model at a hosted provider's rate: with
# genai-prices 0.2.3, "deepseek-r1-distill-qwen-7b" gets DeepSeek's R1 price. Override those.
_PROVIDER_IDS: dict[str, str | None] = {"anthropic": "anthropic", "openai-compatible": None}

_MTOK = 1_000_000


class ModelPrice(BaseModel):
    """A price override in USD per million tokens, for a private deployment or a model that
    genai-prices does not list."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)
    cached_input_per_mtok: float | None = Field(None, ge=0)  # None prices cache reads as input
    cache_write_per_mtok: float | None = Field(None, ge=0)  # None prices cache writes as input
    reasoning_per_mtok: float | None = Field(None, ge=0)  # None prices reasoning as output

    def rates(self) -> Rates:
        """Convert to USD per token, pricing each None field at the input or output rate."""
        input_rate = self.input_per_mtok / _MTOK
        output_rate = self.output_per_mtok / _MTOK
        return Rates(
            uncached_input=input_rate,
            cache_read=_per_token(self.cached_input_per_mtok, input_rate),
            cache_write=_per_token(self.cache_write_per_mtok, input_rate),
            text_output=output_rate,
            reasoning=_per_token(self.reasoning_per_mtok, output_rate),
        )


def _per_token(per_mtok: float | None, fallback: float) -> float:
    return fallback if per_mtok is None else per_mtok / _MTOK


@dataclass(frozen=True, slots=True)
class RequestCost:
    """The USD cost of one request, or the reason it has none.

    `total_usd` exceeds `input_usd + output_usd` only by a fixed per-request fee, which some
    genai-prices entries charge.
    """

    total_usd: float | None
    input_usd: float | None
    output_usd: float | None
    priced: bool
    source: str  # "genai-prices <version>" or "override"
    unpriced_reason: str | None


def _unpriced(source: str, reason: str) -> RequestCost:
    return RequestCost(
        total_usd=None,
        input_usd=None,
        output_usd=None,
        priced=False,
        source=source,
        unpriced_reason=reason,
    )


@dataclass(frozen=True, slots=True)
class _Plan:
    source: str
    pricer: TieredRates | GenaiModel


class PriceTable:
    """Model prices by model name, from overrides first, then from the price data bundled
    with genai-prices.

    Override keys match model names exactly first, then case-insensitively. The price of each
    (model, provider) pair is looked up once and cached for the life of the table, so a price
    that genai-prices changes on a date is read as of that first lookup.
    """

    def __init__(self, overrides: Mapping[str, ModelPrice] | None = None) -> None:
        self._overrides: dict[str, ModelPrice] = dict(overrides or {})
        self._folded_overrides: dict[str, ModelPrice] = {}
        folded_names: dict[str, str] = {}
        for name, price in self._overrides.items():
            if not name.strip():
                raise ValueError("invalid price override: the model name is empty; name the model")
            if not isinstance(price, ModelPrice):
                raise TypeError(
                    f"invalid price override for {name!r}: expected a ModelPrice, got"
                    f" {type(price).__name__}; build it with ModelPrice.model_validate(...)"
                )
            folded = name.casefold()
            if folded in folded_names:
                raise ValueError(
                    f"price overrides {folded_names[folded]!r} and {name!r} differ only in case,"
                    " so case-insensitive matching is ambiguous; keep one of them"
                )
            folded_names[folded] = name
            self._folded_overrides[folded] = price

        self._snapshot = current_snapshot()
        self._source = f"genai-prices {GENAI_PRICES_VERSION}"
        self._plans: dict[tuple[str, str | None], _Plan | RequestCost] = {}
        self._warned_models: set[str] = set()

    def cost(self, model: str, usage: Usage, *, provider: str | None = None) -> RequestCost:
        """Price one request from the usage its provider reported.

        `provider` is an evalgauge provider name: "anthropic" selects genai-prices' Anthropic
        prices, "openai-compatible" or None lets genai-prices infer the provider from the model
        name, and any other name is looked up as a genai-prices provider id. A model with no
        price, or usage with no token counts, returns an unpriced cost with the reason.
        """
        plan = self._plans.get((model, provider))
        if plan is None:
            plan = self._plan(model, provider)
        if isinstance(plan, RequestCost):
            return plan

        buckets = split_usage(usage)
        if isinstance(buckets, str):
            return _unpriced(plan.source, buckets)
        if buckets.adjusted:
            self._warn_adjusted(model, usage)
        return _price(plan, buckets)

    def describe(self) -> str:
        """Name the price source, its version and the overridden models, for reports."""
        if self._snapshot.from_auto_update:
            data = f"prices downloaded at {self._snapshot.timestamp:%Y-%m-%d %H:%M}"
        else:
            data = "bundled price data"
        description = f"{self._source}, {data}"
        if self._overrides:
            description += f"; overrides: {', '.join(sorted(self._overrides))}"
        return description

    def _cost_buckets(self, model: str, buckets: Buckets, provider: str | None) -> RequestCost:
        """Price token counts that are already disjoint, such as projected mean usage."""
        plan = self._plans.get((model, provider))
        if plan is None:
            plan = self._plan(model, provider)
        if isinstance(plan, RequestCost):
            return plan
        return _price(plan, buckets)

    def _plan(self, model: str, provider: str | None) -> _Plan | RequestCost:
        override = self._overrides.get(model)
        if override is None:
            override = self._folded_overrides.get(model.casefold())
        plan: _Plan | RequestCost
        if override is not None:
            plan = _Plan(source=OVERRIDE_SOURCE, pricer=flat_rates(override.rates()))
        else:
            provider_id = None if provider is None else _PROVIDER_IDS.get(provider, provider)
            found = find_model(self._snapshot, model, provider_id)
            if isinstance(found, str):
                plan = _unpriced(self._source, _no_price_reason(model, provider, found))
            else:
                genai_provider, info = found
                pricer = plan_model(info, genai_provider, datetime.now(UTC))
                plan = _Plan(source=self._source, pricer=pricer)
        self._plans[(model, provider)] = plan
        return plan

    def _warn_adjusted(self, model: str, usage: Usage) -> None:
        level = logging.DEBUG if model in self._warned_models else logging.WARNING
        self._warned_models.add(model)
        logger.log(
            level,
            "usage of model %r does not add up (input %s, cached %s, cache write %s, output %s,"
            " reasoning %s), so the cost uses counts clamped to 0 and to their totals;"
            " later such requests of this model are logged at DEBUG",
            model,
            usage.input_tokens,
            usage.cached_input_tokens,
            usage.cache_write_tokens,
            usage.output_tokens,
            usage.reasoning_tokens,
        )


def _price(plan: _Plan, buckets: Buckets) -> RequestCost:
    priced = plan.pricer.price(buckets)
    if isinstance(priced, str):
        return _unpriced(plan.source, priced)
    input_usd, output_usd, total_usd = priced
    return RequestCost(
        total_usd=total_usd,
        input_usd=input_usd,
        output_usd=output_usd,
        priced=True,
        source=plan.source,
        unpriced_reason=None,
    )


def _no_price_reason(model: str, provider: str | None, lookup_error: str) -> str:
    where = f"model {model!r}" if provider is None else f"model {model!r} (provider {provider!r})"
    return (
        f"no price for {where} in genai-prices {GENAI_PRICES_VERSION} ({lookup_error});"
        " add a ModelPrice override for it"
    )
