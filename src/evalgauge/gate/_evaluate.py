"""Judge a tier's rules on its suites' scorecards, with baselines and overrides."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from evalgauge.contract import Contract, RuleConfig
from evalgauge.gate._compare import compare_scorecards
from evalgauge.gate._metrics import MetricValue, metric_value
from evalgauge.gate._report import Basis, GateReport, Override, RuleOutcome, RuleStatus


def evaluate_gate(
    contract: Contract,
    tier: str | None,
    current: dict[str, dict[str, Any]],
    baselines: dict[str, dict[str, Any]],
    overrides: Sequence[Override],
    *,
    today: date,
    commit: str | None = None,
) -> GateReport:
    """Return the outcome of every rule that applies to each suite of `current`."""
    report = GateReport(tier=tier, commit=commit, outcomes=[], scorecards=dict(current))
    for suite, card in current.items():
        base = baselines.get(suite)
        if card.get("stop_reason"):
            report.warnings.append(
                f"suite {suite}: the run stopped early ({card['stop_reason']}); its figures "
                "cover only the cases that ran"
            )
        for rule in contract.rules_for(tier, suite):
            outcome = _judge(rule, suite, card, base, overrides, today, report.warnings)
            report.outcomes.append(outcome)
            if outcome.override is not None and outcome.override not in report.overrides:
                report.overrides.append(outcome.override)
        if base is not None:
            comparisons, regressed = compare_scorecards(card, base)
            report.comparisons[suite] = comparisons
            report.regressions[suite] = regressed
    return report


def _judge(
    rule: RuleConfig,
    suite: str,
    card: dict[str, Any],
    base: dict[str, Any] | None,
    overrides: Sequence[Override],
    today: date,
    warnings: list[str],
) -> RuleOutcome:
    parsed = rule.parsed
    value = metric_value(card, parsed.metric)
    baseline_point = metric_value(base, parsed.metric).point if base is not None else None
    threshold = parsed.threshold(baseline_point)

    def outcome(status: RuleStatus, message: str, **extra: Any) -> RuleOutcome:
        fields: dict[str, Any] = {
            "observed": None,
            "basis": "point",
            "override": None,
        } | extra
        return RuleOutcome(
            rule=rule.rule_id,
            text=rule.rule,
            suite=suite,
            severity=rule.severity,
            status=status,
            metric=parsed.metric,
            op=parsed.op,
            threshold=threshold,
            point=value.point,
            message=message,
            **fields,
        )

    if value.point is None:
        scored_metric = any(m.get("name") == parsed.metric for m in card.get("metrics", []))
        if scored_metric:
            return outcome(_failed(rule), f"{parsed.metric} has no value: no case was scored")
        warnings.append(
            f"suite {suite}: rule {rule.rule_id!r} skipped: {parsed.metric} has no value"
        )
        return outcome("skipped", f"{parsed.metric} has no value in this run")
    if threshold is None:
        warnings.append(
            f"suite {suite}: rule {rule.rule_id!r} skipped: no baseline to compare with"
        )
        return outcome("skipped", "the rule compares with a baseline, and none was given")

    observed, basis = _observed(rule, value)
    described = (
        f"{parsed.metric} = {observed:.6g} ({basis.replace('_', ' ')}) {parsed.op} {threshold:.6g}"
    )
    if parsed.holds(observed, threshold):
        return outcome("pass", described, observed=observed, basis=basis)
    override = _applicable(rule.rule_id, overrides, today, warnings)
    if override is not None:
        message = (
            f"{described} does not hold; overridden by {override.approver} until {override.expires}"
        )
        return outcome("overridden", message, observed=observed, basis=basis, override=override)
    return outcome(_failed(rule), f"{described} does not hold", observed=observed, basis=basis)


def _failed(rule: RuleConfig) -> RuleStatus:
    return "fail" if rule.severity == "hard" else "warn"


def _observed(rule: RuleConfig, value: MetricValue) -> tuple[float, Basis]:
    assert value.point is not None
    if rule.basis == "point":
        return value.point, "point"
    # The bound most favourable to the rule: a floor is judged on the upper bound, a ceiling
    # on the lower bound, so a rule fails only when the whole interval breaks it.
    if rule.parsed.lower_limit and value.high is not None:
        return value.high, "upper_bound"
    if not rule.parsed.lower_limit and value.low is not None:
        return value.low, "lower_bound"
    return value.point, "point"


def _applicable(
    rule_id: str, overrides: Sequence[Override], today: date, warnings: list[str]
) -> Override | None:
    matching = [o for o in overrides if o.rule == rule_id]
    for override in sorted(matching, key=lambda o: o.expires, reverse=True):
        if override.applies_on(today):
            return override
    if matching:
        latest = max(o.expires for o in matching)
        warnings.append(
            f"the override of rule {rule_id!r} expired on {latest}; it no longer applies"
        )
    return None
