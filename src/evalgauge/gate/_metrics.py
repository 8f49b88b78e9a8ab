"""Read a metric, with its confidence interval when it has one, from a scorecard's JSON form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class MetricValue:
    point: float | None
    low: float | None = None
    high: float | None = None


def _pair(values: Any) -> tuple[float | None, float | None]:
    if isinstance(values, list) and len(values) == 2:
        return values[0], values[1]
    return None, None


def _quantile(block: Any, key: str) -> MetricValue:
    if not isinstance(block, dict):
        return MetricValue(None)
    low, high = _pair(block.get(f"{key}_ci"))
    return MetricValue(block.get(key), low, high)


def metric_value(scorecard: dict[str, Any], metric: str) -> MetricValue:
    """Return the metric's point estimate and interval; None where the run has no value."""
    for entry in scorecard.get("metrics", []):
        if entry.get("name") == metric:
            return MetricValue(entry.get("mean"), entry.get("ci_low"), entry.get("ci_high"))
    ops = scorecard.get("operations") or {}
    if metric.endswith("_latency_ms"):
        return _quantile(ops.get("latency_ms"), metric.removesuffix("_latency_ms"))
    if metric.endswith("_ttft_ms"):
        return _quantile(ops.get("ttft_ms"), metric.removesuffix("_ttft_ms"))
    cost = ops.get("cost") or {}
    if metric == "cost_per_request_usd":
        low, high = _pair(cost.get("mean_usd_ci"))
        return MetricValue(cost.get("mean_usd"), low, high)
    if metric == "total_cost_usd":
        return MetricValue(cost.get("total_usd"))
    if metric == "error_rate":
        low, high = _pair(ops.get("error_rate_ci"))
        return MetricValue(ops.get("error_rate"), low, high)
    tokens = ops.get("tokens") or {}
    if metric == "input_tokens_per_request":
        return MetricValue(tokens.get("input_per_request"))
    if metric == "output_tokens_per_request":
        return MetricValue(tokens.get("output_per_request"))
    return MetricValue(None)
