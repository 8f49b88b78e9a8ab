"""What a gate decided: one outcome per rule, the overrides it honored, and the exit code."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

Severity = Literal["hard", "soft"]
# pass: the rule holds. fail: a hard rule does not hold. warn: a soft rule does not hold.
# overridden: a hard or soft rule does not hold, but an unexpired override covers it.
# skipped: the metric has no value (no case scored), so the rule cannot be judged.
RuleStatus = Literal["pass", "fail", "warn", "overridden", "skipped"]
# Which figure was compared: the point estimate, or the bound of its confidence interval
# most favourable to the rule, so that only a breach beyond sampling noise counts.
Basis = Literal["point", "lower_bound", "upper_bound"]


@dataclass(frozen=True, slots=True)
class Override:
    """A recorded decision to let a failing rule pass until `expires` (inclusive)."""

    rule: str
    reason: str
    approver: str
    created_at: datetime
    expires: date
    commit: str | None = None

    def applies_on(self, day: date) -> bool:
        return day <= self.expires


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """One rule of the contract, judged on one suite's scorecard."""

    rule: str  # the rule's id: its name in the contract, or its text
    text: str  # the rule as written, e.g. "exact_match >= baseline - 0.02"
    suite: str
    severity: Severity
    status: RuleStatus
    metric: str
    op: str
    threshold: float | None  # after resolving `baseline`
    observed: float | None  # the figure compared with the threshold
    point: float | None  # the point estimate of the metric
    basis: Basis
    message: str  # one line a reviewer can act on
    override: Override | None = None

    @property
    def blocking(self) -> bool:
        return self.status == "fail"


@dataclass(frozen=True, slots=True)
class CaseVerdict:
    """One case of one suite as a CI test case: passed, failed or errored."""

    suite: str
    case_id: str
    scorer: str
    passed: bool | None  # None when the case errored
    latency_ms: float | None = None
    message: str | None = None  # the failure reason or the error message


@dataclass(slots=True)
class GateReport:
    """The gate's decision over every suite of a tier."""

    tier: str | None
    commit: str | None
    outcomes: list[RuleOutcome]
    overrides: list[Override] = field(default_factory=list)  # the overrides honored
    warnings: list[str] = field(default_factory=list)
    scorecards: dict[str, dict[str, Any]] = field(default_factory=dict)  # suite -> JSON
    regressions: dict[str, list[str]] = field(default_factory=dict)  # suite -> pass-to-fail ids
    comparisons: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """suite -> per metric: baseline, candidate, delta with its interval, test and p-value."""

    @property
    def exit_code(self) -> int:
        return 1 if any(outcome.blocking for outcome in self.outcomes) else 0

    @property
    def passed(self) -> bool:
        return self.exit_code == 0
