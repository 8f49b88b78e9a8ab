"""The eval contract (`evalgauge.yaml`): suites, CI tiers with cost envelopes, and gate rules."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from evalgauge.config import SuiteConfig
from evalgauge.contract._rules import BUILTIN_METRICS, ParsedRule, parse_rule
from evalgauge.cost import ModelPrice

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SampleConfig(_Strict):
    """A seeded random sample of the suite's cases, the same cases on every run."""

    size: int = Field(ge=1)
    seed: int = Field(0, ge=0, le=2**32 - 1)


class TierSuiteConfig(_Strict):
    """The narrowing of one suite in a tier: a sample, a tag filter or another dataset."""

    sample: SampleConfig | None = None
    tags: dict[str, list[str]] = Field(default_factory=dict)
    """Keep the cases whose metadata field has one of the listed values."""
    dataset: Path | None = None
    """Another file in the suite's format and field mapping, e.g. a smaller smoke set."""

    @field_validator("tags", mode="before")
    @classmethod
    def _tag_lists(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: v if isinstance(v, list) else [v] for k, v in value.items()}
        return value


class TierConfig(_Strict):
    """One CI tier: which suites run, on which cases, how fast, and what they may cost."""

    suites: list[str] | None = None
    """Suites the tier runs; every suite when unset."""
    sample: SampleConfig | None = None
    """A sample applied to every suite of the tier, unless `slices` sets another."""
    slices: dict[str, TierSuiteConfig] = Field(default_factory=dict)
    """Per-suite narrowing; a suite without an entry runs all its cases (or `sample`)."""
    concurrency: int | None = Field(None, ge=1, le=10_000)
    time_budget_s: float | None = Field(None, gt=0)
    """Wall-clock budget of the whole tier in seconds; the run that reaches it stops, keeps
    its results and reports it, and later suites do not start."""
    cost_envelope_usd: float | None = Field(None, gt=0)
    """The maximum the whole tier may spend; a projection over it stops the run before it starts."""


Severity = Literal["hard", "soft"]


class RuleConfig(_Strict):
    """A gate rule: hard rules block a merge, soft rules warn."""

    rule: str
    name: str | None = None
    """The id that overrides refer to; the rule text when unset."""
    suites: list[str] | None = None
    """Suites the rule applies to; every suite of the tier when unset."""
    tiers: list[str] | None = None
    """Tiers the rule applies in; every tier when unset."""
    severity: Severity = "hard"
    basis: Literal["point", "confidence_bound"] = "point"
    """Judge the point estimate, or the confidence bound most favourable to the rule (the
    upper bound for a floor, the lower for a ceiling): the rule fails only when its whole
    interval breaks it."""

    @field_validator("rule")
    @classmethod
    def _parse(cls, value: str) -> str:
        parse_rule(value)
        return value

    @property
    def parsed(self) -> ParsedRule:
        return parse_rule(self.rule)

    @property
    def rule_id(self) -> str:
        return self.name or " ".join(self.rule.split())


class BaselineConfig(_Strict):
    """The baseline `evalgauge gate` compares with when no --baseline is given."""

    file: Path | None = None
    """A scorecard JSON file saved from the main branch."""
    run: str | None = None
    """A stored run id."""


class Contract(_Strict):
    """Suites, tiers, gate rules and price overrides of one repository."""

    version: Literal[1] = 1
    suites: dict[str, SuiteConfig]
    tiers: dict[str, TierConfig] = Field(default_factory=dict)
    gates: list[RuleConfig] = Field(default_factory=list)
    prices: dict[str, ModelPrice] = Field(default_factory=dict)
    """Per-model prices in USD per million tokens; they win over the bundled price table."""
    baseline: BaselineConfig | None = None
    overrides_file: Path = Path("evalgauge-overrides.yaml")

    @field_validator("suites")
    @classmethod
    def _suite_names(cls, value: dict[str, SuiteConfig]) -> dict[str, SuiteConfig]:
        if not value:
            raise ValueError("define at least one suite")
        for name in value:
            if not _NAME.match(name):
                raise ValueError(
                    f"suite name {name!r} is invalid; use letters, digits, '_', '-' and '.'"
                )
        return value

    @model_validator(mode="after")
    def _check_references(self) -> Contract:
        known = list(self.suites)
        for tier_name, tier in self.tiers.items():
            for suite in [*(tier.suites or []), *tier.slices]:
                if suite not in self.suites:
                    raise ValueError(
                        f"tiers.{tier_name}: suite {suite!r} is not defined; "
                        f"defined suites: {', '.join(known)}"
                    )
        for index, gate in enumerate(self.gates):
            self._check_rule(index, gate)
        return self

    def _check_rule(self, index: int, gate: RuleConfig) -> None:
        where = f"gates.{index}"
        for suite in gate.suites or []:
            if suite not in self.suites:
                raise ValueError(
                    f"{where}: rule {gate.rule!r} names suite {suite!r}, which is not defined; "
                    f"defined suites: {', '.join(self.suites)}"
                )
        for tier in gate.tiers or []:
            if tier not in self.tiers:
                raise ValueError(
                    f"{where}: rule {gate.rule!r} names tier {tier!r}, which is not defined; "
                    f"defined tiers: {', '.join(self.tiers) or '(none)'}"
                )
        metric = gate.parsed.metric
        for suite in gate.suites or list(self.suites):
            allowed = suite_metrics(self.suites[suite])
            if metric not in allowed:
                raise ValueError(
                    f"{where}: rule {gate.rule!r} uses unknown metric {metric!r} for suite "
                    f"{suite!r}; allowed: {', '.join(allowed)}"
                )

    def tier(self, name: str) -> TierConfig:
        if name not in self.tiers:
            defined = ", ".join(self.tiers) or "(none; add a `tiers:` section)"
            raise KeyError(f"tier {name!r} is not defined; defined tiers: {defined}")
        return self.tiers[name]

    def tier_suites(self, name: str | None) -> list[str]:
        if name is None:
            return list(self.suites)
        return self.tier(name).suites or list(self.suites)

    def rules_for(self, tier: str | None, suite: str) -> list[RuleConfig]:
        return [
            gate
            for gate in self.gates
            if (gate.tiers is None or tier in gate.tiers)
            and (gate.suites is None or suite in gate.suites)
        ]


def suite_metrics(suite: SuiteConfig) -> list[str]:
    """Return the metric names a rule on this suite may use: its scorers, then the built-ins."""
    names = []
    for scorer in suite.scorers:
        name = getattr(scorer, "name", None) or scorer.kind
        names.append(name)
    return [*names, *BUILTIN_METRICS]
