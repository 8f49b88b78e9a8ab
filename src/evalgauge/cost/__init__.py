"""Per-request cost from provider usage, and cost projections before a run.

Prices come from user overrides first, then from the price data bundled with the
genai-prices package, which works offline. evalgauge never starts its price downloader.
"""

from __future__ import annotations

from evalgauge.cost._prices import ModelPrice, PriceTable, RequestCost
from evalgauge.cost._project import CostProjection, estimate_prompt_tokens, project_cost

__all__ = [
    "CostProjection",
    "ModelPrice",
    "PriceTable",
    "RequestCost",
    "estimate_prompt_tokens",
    "project_cost",
]
