"""The score and the scorer protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from evalgauge.cases import Case
from evalgauge.models._base import Usage


# Not frozen, like Case: a frozen dataclass costs about 0.5 µs more per construction, and
# every scorer builds one per case. Treat it as read-only.
@dataclass(slots=True)
class Score:
    """One scorer's verdict on one case.

    `value` is the number aggregated in scorecards (1.0 or 0.0 for binary scorers); `passed`
    is set for binary scorers and None otherwise.
    """

    name: str
    value: float
    passed: bool | None = None
    reason: str | None = None
    details: dict[str, Any] | None = None
    """Structured findings behind the verdict (per field, per tool call), JSON-serializable."""
    usage: Usage | None = None
    """Tokens a model-based scorer spent on this score; None when it made no paid call."""
    model: str | None = None
    """The model that `usage` is priced for."""


class Scorer(Protocol):
    """Turns (case, output) into a score; raises `ScorerError` subclasses on failure."""

    name: str

    def identity(self) -> dict[str, str]:
        """Lineage recorded with every score: for judges, `judge_model` and `prompt_hash`."""
        ...

    async def score(self, case: Case, output: str) -> Score: ...


@runtime_checkable
class ImmediateScorer(Scorer, Protocol):
    """A scorer that only computes (no model call, no I/O), so the engine can call it inline."""

    def score_now(self, case: Case, output: str) -> Score:
        """Return the score that `score` returns, without awaiting."""
        ...
