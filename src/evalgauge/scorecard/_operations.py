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


def _percentile_block(values: NDArray[np.float64], confidence: float) -> dict[str, Any]:
    known = np.sort(values[~np.isnan(values)])
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


def operations(columns: CaseColumns, confidence: float) -> dict[str, Any]:
    """Summarize latency, TTFT, cost, tokens and errors of the cases in `columns`."""
    n = int(columns.errored.size)
    errors = int(columns.errored.sum())
    costs = columns.cost_usd[~np.isnan(columns.cost_usd)]
    judge_costs = columns.judge_cost_usd[~np.isnan(columns.judge_cost_usd)]
    answered = ~columns.errored
    unpriced = int((answered & columns.has_model & np.isnan(columns.cost_usd)).sum())
    low, high = wilson_interval(errors, n, confidence) if n else (None, None)
    inputs = columns.input_tokens[~np.isnan(columns.input_tokens)]
    outputs = columns.output_tokens[~np.isnan(columns.output_tokens)]
    return {
        "cases": n,
        "errors": errors,
        "error_rate": errors / n if n else None,
        "error_rate_ci": [low, high],
        "cached": int(columns.cached.sum()),
        "latency_ms": _percentile_block(columns.latency_ms, confidence),
        "ttft_ms": _percentile_block(columns.ttft_ms, confidence),
        "cost": {
            "total_usd": float(costs.sum()) if costs.size else None,
            "mean_usd": float(costs.mean()) if costs.size else None,
            "mean_usd_ci": _mean_interval(costs, confidence),
            "priced": int(costs.size),
            "unpriced": unpriced,
            "judge_total_usd": float(judge_costs.sum()) if judge_costs.size else None,
            "judge_mean_usd": float(judge_costs.mean()) if judge_costs.size else None,
        },
        "tokens": {
            "input": int(inputs.sum()),
            "output": int(outputs.sum()),
            "input_per_request": float(inputs.mean()) if inputs.size else None,
            "output_per_request": float(outputs.mean()) if outputs.size else None,
        },
    }
