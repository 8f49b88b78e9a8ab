"""Latency, time to first token, cost, tokens and error rate: the service side of a scorecard.

Computed with numpy from per-case columns, for a whole suite and for each slice. Cached and
replayed cases keep the latency recorded with them, so they count like live ones, and the
number of cached cases is reported next to the percentiles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
from numpy.typing import NDArray

from evalgauge.stats import wilson_interval

QUANTILES = (50, 95, 99)


@dataclass(frozen=True, slots=True)
class CaseColumns:
    """Per-case columns of one run (or one slice of it), aligned by position."""

    latency_ms: NDArray[np.float64]  # NaN where unknown
    ttft_ms: NDArray[np.float64]
    cost_usd: NDArray[np.float64]
    input_tokens: NDArray[np.float64]
    output_tokens: NDArray[np.float64]
    errored: NDArray[np.bool_]
    cached: NDArray[np.bool_]
    has_model: NDArray[np.bool_]  # the output came from a named model, so it has a price
    judge_cost_usd: NDArray[np.float64]  # what the scorers' model calls cost, NaN where none

    def take(self, index: NDArray[np.intp]) -> CaseColumns:
        return CaseColumns(*(getattr(self, name)[index] for name in self.__slots__))

    def known(self) -> OperationInputs:
        """Reduce the columns to the counts and known values that `operations` needs."""
        answered = ~self.errored
        return OperationInputs(
            cases=int(self.errored.size),
            errors=int(self.errored.sum()),
            cached=int(self.cached.sum()),
            unpriced=int((answered & self.has_model & np.isnan(self.cost_usd)).sum()),
            latency_ms=_known(self.latency_ms),
            ttft_ms=_known(self.ttft_ms),
            cost_usd=_known(self.cost_usd),
            judge_cost_usd=_known(self.judge_cost_usd),
            input_tokens=_known(self.input_tokens),
            output_tokens=_known(self.output_tokens),
        )


@dataclass(frozen=True, slots=True)
class OperationInputs:
    """Counts over a run's cases and the known values of each per-case figure, unaligned.

    `unpriced` counts cases without a target error whose named model has no cost.
    """

    cases: int
    errors: int
    cached: int
    unpriced: int
    latency_ms: NDArray[np.float64]
    ttft_ms: NDArray[np.float64]
    cost_usd: NDArray[np.float64]
    judge_cost_usd: NDArray[np.float64]
    input_tokens: NDArray[np.float64]
    output_tokens: NDArray[np.float64]


def _known(values: NDArray[np.float64]) -> NDArray[np.float64]:
    known: NDArray[np.float64] = values[~np.isnan(values)]
    return known


def quantile_interval(
    sorted_values: NDArray[np.float64], q: float, confidence: float
) -> tuple[float | None, float | None]:
    """Distribution-free interval for a quantile from order statistics.

    The ranks come from the normal approximation to the binomial count of values below the
    quantile, so the interval is approximate for small samples.
    """
    n = sorted_values.size
    if n < 2:
        return None, None
    p = q / 100
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    spread = z * math.sqrt(n * p * (1 - p))
    low = max(0, math.floor(n * p - spread) - 1)
    high = min(n - 1, math.ceil(n * p + spread))
    return float(sorted_values[low]), float(sorted_values[high])


def _percentile_block(known_values: NDArray[np.float64], confidence: float) -> dict[str, Any]:
    known = np.sort(known_values)
    block: dict[str, Any] = {"n": int(known.size)}
    if known.size == 0:
        block.update({f"p{q}": None for q in QUANTILES})
        return block
    for q, value in zip(QUANTILES, np.percentile(known, QUANTILES), strict=True):
        low, high = quantile_interval(known, q, confidence)
        block[f"p{q}"] = float(value)
        block[f"p{q}_ci"] = [low, high]
    return block


def _mean_interval(values: NDArray[np.float64], confidence: float) -> list[float | None]:
    n = values.size
    if n < 2:
        return [None, None]
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    half = z * float(np.std(values, ddof=1)) / math.sqrt(n)
    mean = float(np.mean(values))
    return [mean - half, mean + half]


def operations(inputs: OperationInputs, confidence: float) -> dict[str, Any]:
    """Summarize latency, TTFT, cost, tokens and errors of a run or a slice of it."""
    n, errors = inputs.cases, inputs.errors
    costs, judge_costs = inputs.cost_usd, inputs.judge_cost_usd
    low, high = wilson_interval(errors, n, confidence) if n else (None, None)
    inputs_tokens, output_tokens = inputs.input_tokens, inputs.output_tokens
    return {
        "cases": n,
        "errors": errors,
        "error_rate": errors / n if n else None,
        "error_rate_ci": [low, high],
        "cached": inputs.cached,
        "latency_ms": _percentile_block(inputs.latency_ms, confidence),
        "ttft_ms": _percentile_block(inputs.ttft_ms, confidence),
        "cost": {
            "total_usd": float(costs.sum()) if costs.size else None,
            "mean_usd": float(costs.mean()) if costs.size else None,
            "mean_usd_ci": _mean_interval(costs, confidence),
            "priced": int(costs.size),
            "unpriced": inputs.unpriced,
            "judge_total_usd": float(judge_costs.sum()) if judge_costs.size else None,
            "judge_mean_usd": float(judge_costs.mean()) if judge_costs.size else None,
        },
        "tokens": {
            "input": int(inputs_tokens.sum()),
            "output": int(output_tokens.sum()),
            "input_per_request": float(inputs_tokens.mean()) if inputs_tokens.size else None,
            "output_per_request": float(output_tokens.mean()) if output_tokens.size else None,
        },
    }
