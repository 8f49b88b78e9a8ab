"""The scorecard of a run: quality metrics with intervals, latency, cost and errors, by slice."""

from evalgauge.scorecard._cases import CaseTable
from evalgauge.scorecard._core import MetricSummary, Scorecard, build_scorecard

__all__ = ["CaseTable", "MetricSummary", "Scorecard", "build_scorecard"]
