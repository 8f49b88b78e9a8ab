"""Gate rules: `METRIC OP THRESHOLD`, where the threshold is a number or relative to the baseline.

Examples: `accuracy >= 0.9`, `p95_latency_ms <= 1200`, `accuracy >= baseline - 0.02`,
`cost_per_request_usd <= baseline * 1.1`.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

# Metrics every suite has, besides one per scorer (named after the scorer).
BUILTIN_METRICS = (
    "p50_latency_ms",
    "p95_latency_ms",
    "p99_latency_ms",
    "p50_ttft_ms",
    "p95_ttft_ms",
    "p99_ttft_ms",
    "cost_per_request_usd",
    "total_cost_usd",
    "error_rate",
    "input_tokens_per_request",
    "output_tokens_per_request",
)

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_RULE = re.compile(
    rf"^\s*(?P<metric>[A-Za-z_][\w.\-]*)\s*(?P<op>>=|<=|>|<)\s*"
    rf"(?:(?P<number>{_NUMBER})|baseline\s*(?:(?P<sign>[-+*])\s*(?P<delta>{_NUMBER}))?)\s*$"
)


@dataclass(frozen=True, slots=True)
class ParsedRule:
    """A rule's parts; `relative` names how the threshold is built from the baseline."""

    metric: str
    op: str
    value: float  # the threshold, or the offset or factor applied to the baseline
    relative: Literal["none", "plus", "minus", "times"]

    @property
    def uses_baseline(self) -> bool:
        return self.relative != "none"

    def threshold(self, baseline: float | None) -> float | None:
        """Return the threshold; None for a baseline rule without a baseline value."""
        if self.relative == "none":
            return self.value
        if baseline is None:
            return None
        if self.relative == "plus":
            return baseline + self.value
        if self.relative == "minus":
            return baseline - self.value
        return baseline * self.value

    def holds(self, observed: float, threshold: float) -> bool:
        return OPERATORS[self.op](observed, threshold)

    @property
    def lower_limit(self) -> bool:
        """True when the rule sets a floor (>=, >), which its upper confidence bound judges."""
        return self.op in (">=", ">")


def parse_rule(text: str) -> ParsedRule:
    """Parse a rule, raising ValueError with the accepted forms when it does not fit."""
    match = _RULE.match(text)
    if match is None:
        raise ValueError(
            f"cannot parse rule {text!r}; write METRIC OP NUMBER or METRIC OP baseline [+-*] "
            "NUMBER with OP one of >=, <=, >, <, e.g. 'accuracy >= baseline - 0.02'"
        )
    metric, op = match["metric"], match["op"]
    if match["number"] is not None:
        return ParsedRule(metric, op, float(match["number"]), "none")
    sign = match["sign"]
    if sign is None:
        return ParsedRule(metric, op, 0.0, "plus")
    relative: Literal["plus", "minus", "times"] = {"+": "plus", "-": "minus", "*": "times"}[sign]  # type: ignore[assignment]
    return ParsedRule(metric, op, float(match["delta"]), relative)
