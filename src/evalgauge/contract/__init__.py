"""The eval contract: suites, CI tiers with time budgets and cost envelopes, and gate rules."""

from evalgauge.contract._load import DEFAULT_CONTRACT, load_contract, parse_contract
from evalgauge.contract._model import (
    BaselineConfig,
    Contract,
    RuleConfig,
    SampleConfig,
    TierConfig,
    TierSuiteConfig,
    suite_metrics,
)
from evalgauge.contract._rules import BUILTIN_METRICS, ParsedRule, parse_rule

__all__ = [
    "BUILTIN_METRICS",
    "DEFAULT_CONTRACT",
    "BaselineConfig",
    "Contract",
    "ParsedRule",
    "RuleConfig",
    "SampleConfig",
    "TierConfig",
    "TierSuiteConfig",
    "load_contract",
    "parse_contract",
    "parse_rule",
    "suite_metrics",
]
