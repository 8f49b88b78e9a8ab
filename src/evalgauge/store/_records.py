"""Plain records the store reads and writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run and its lineage."""

    run_id: str
    name: str
    status: str
    created_at: datetime
    dataset_version: str
    n_cases: int
    config_hash: str
    target: str
    evalgauge_version: str
    config: dict[str, Any]
    dataset_path: str | None = None
    prompt_hash: str | None = None
    model: str | None = None
    git_commit: str | None = None
    stop_reason: str | None = None
    finished_at: datetime | None = None
    tier: str | None = None
    cases_version: str | None = None
    """The dataset version without recorded outputs; None for runs stored before it existed."""


@dataclass(frozen=True, slots=True)
class ScorerRecord:
    """A scorer of a run with the identity recorded for each of its scores."""

    name: str
    judge_model: str | None = None
    prompt_hash: str | None = None
    identity: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class ScoreResult:
    """A scorer's outcome on one case: a value, or an error type and message."""

    scorer: str
    value: float | None = None
    passed: bool | None = None
    reason: str | None = None
    error_type: str | None = None
    error_message: str | None = None
    details: dict[str, Any] | None = None


@dataclass(slots=True)
class CaseResult:
    """Everything the engine learned about one case in one run."""

    case_id: str
    inputs: dict[str, Any]
    label: bool | None = None
    output: str | None = None
    latency_ms: float | None = None
    cached: bool = False
    input_tokens: int | None = None
    output_tokens: int | None = None
    model: str | None = None
    error_type: str | None = None
    error_message: str | None = None
    scores: list[ScoreResult] = field(default_factory=list)
    cached_input_tokens: int | None = None
    reasoning_tokens: int | None = None
    cost_usd: float | None = None
    ttft_ms: float | None = None
    tags: dict[str, Any] | None = None
    judge_cost_usd: float | None = None
    """What the scorers' own model calls cost for this case, e.g. an LLM judge's."""
