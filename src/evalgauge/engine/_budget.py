"""A run's budgets: the cost envelope in USD and the wall-clock time budget.

The engine checks the budgets before it starts each case. A case starts only while the money
spent plus the expected cost of the cases in flight and of this one (at the mean cost so far) stays
within the envelope, so a run stops close to its envelope instead of a wave of requests past
it. Before the first priced case the mean is unknown, so the first wave always starts. A case
spends what its target call cost plus what its scorers' model calls cost (an LLM judge's).
Replayed and cached calls count at the cost recorded with them, so a replay tier is held to
the envelope that the same run would spend live.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

BUDGET_STOP = "budget"
TIME_STOP = "time budget"


@dataclass
class Budget:
    """Spending and elapsed time of one invocation of a run, against its limits."""

    envelope_usd: float | None = None
    time_budget_s: float | None = None
    spent_usd: float = 0.0
    priced: int = 0
    in_flight: int = 0
    _deadline: float | None = field(default=None, init=False)

    def start(self) -> None:
        if self.time_budget_s is not None:
            self._deadline = time.monotonic() + self.time_budget_s

    def record(self, cost_usd: float | None) -> None:
        if cost_usd is not None:
            self.spent_usd += cost_usd
            self.priced += 1

    def exhausted(self) -> str | None:
        """Return why no further case may start, or None while both budgets allow it."""
        if self._deadline is not None and time.monotonic() >= self._deadline:
            return TIME_STOP
        if self.envelope_usd is None:
            return None
        mean = self.spent_usd / self.priced if self.priced else 0.0
        if self.spent_usd + (self.in_flight + 1) * mean > self.envelope_usd:
            return BUDGET_STOP
        return None
