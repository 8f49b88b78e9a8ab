"""Per-slice figures: every metric and every operational figure, for each value of a tag."""

from __future__ import annotations

from typing import Any

import numpy as np

from evalgauge.scorecard._cases import CaseTable
from evalgauge.scorecard._operations import operations
from evalgauge.stats import wilson_interval


def slice_summaries(
    table: CaseTable, binary: dict[str, bool], confidence: float
) -> dict[str, dict[str, Any]]:
    """Return {tag field: {tag value: {cases, metrics, operations}}} over the stored tags."""
    names = sorted({name for tags in table.tags if tags for name in tags})
    summaries: dict[str, dict[str, Any]] = {}
    for name in names:
        values = np.array([str((tags or {}).get(name)) for tags in table.tags], dtype=object)
        groups: dict[str, Any] = {}
        for value in sorted(set(values.tolist())):
            index = np.flatnonzero(values == value)
            groups[value] = {
                "cases": int(index.size),
                "metrics": {
                    scorer: _metric(column[index], binary.get(scorer, False), confidence)
                    for scorer, column in table.scores.items()
                },
                "operations": operations(table.columns.take(index).known(), confidence),
            }
        summaries[name] = groups
    return summaries


def _metric(values: np.ndarray[Any, Any], binary: bool, confidence: float) -> dict[str, Any]:
    scored = values[~np.isnan(values)]
    if scored.size == 0:
        return {"mean": None, "scored": 0, "ci_low": None, "ci_high": None}
    low: float | None = None
    high: float | None = None
    if binary:
        low, high = wilson_interval(round(float(scored.sum())), int(scored.size), confidence)
    return {
        "mean": float(scored.mean()),
        "scored": int(scored.size),
        "ci_low": low,
        "ci_high": high,
    }
