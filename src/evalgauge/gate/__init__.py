"""Release gates: rules over scorecards and baselines, hard or soft, with audited overrides."""

from evalgauge.gate._compare import compare_scorecards
from evalgauge.gate._evaluate import evaluate_gate
from evalgauge.gate._metrics import MetricValue, metric_value
from evalgauge.gate._overrides import check_override, load_overrides, record_override
from evalgauge.gate._report import CaseVerdict, GateReport, Override, RuleOutcome

__all__ = [
    "CaseVerdict",
    "GateReport",
    "MetricValue",
    "Override",
    "RuleOutcome",
    "check_override",
    "compare_scorecards",
    "evaluate_gate",
    "load_overrides",
    "metric_value",
    "record_override",
]
