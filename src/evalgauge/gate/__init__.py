"""Release gates: rules over scorecards and baselines, hard or soft, with audited overrides."""

from evalgauge.gate._report import CaseVerdict, GateReport, Override, RuleOutcome

__all__ = ["CaseVerdict", "GateReport", "Override", "RuleOutcome"]
