"""The scorecard: a run's aggregate, from SQL aggregates and per-case columns of the store."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Float, cast, func, select

from evalgauge.errors import UsageError
from evalgauge.scorecard._cases import CaseTable, load_case_table, operation_inputs, run_counts
from evalgauge.scorecard._details import detail_breakdowns
from evalgauge.scorecard._operations import operations
from evalgauge.scorecard._slices import slice_summaries
from evalgauge.stats import percentiles, wilson_interval
from evalgauge.store import RunRecord, Store
from evalgauge.store._schema import case_results, run_scorers, scores


@dataclass(frozen=True)
class MetricSummary:
    """One scorer's aggregate: the mean (the pass rate for binary scorers) with its CI.

    `errored` counts every stored case this scorer did not score: scorer errors plus cases
    whose target failed.
    """

    name: str
    kind: str
    scored: int
    errored: int
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    ci_method: str
    judge_model: str | None = None
    prompt_hash: str | None = None


@dataclass(frozen=True)
class Scorecard:
    run: RunRecord
    cases: int
    """Cases with a stored result (a partial run has fewer than `run.n_cases`)."""
    target_errors: int
    metrics: list[MetricSummary]
    latency_ms: dict[str, float | None]
    cached: int
    input_tokens: int
    output_tokens: int
    error_types: dict[str, int] = field(default_factory=dict)
    error_examples: list[dict[str, str]] = field(default_factory=list)
    """Up to three (type, case id, message) examples of each error type."""
    confidence: float = 0.95
    operations: dict[str, Any] = field(default_factory=dict)
    """Latency, TTFT, cost, tokens and error rate; see `scorecard._operations`."""
    slices: dict[str, dict[str, Any]] = field(default_factory=dict)
    breakdowns: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per scorer with structured details: calls and pass rate per tool, failure categories."""
    table: CaseTable | None = None
    """Per-case columns, for comparisons with a baseline."""

    def to_dict(self, *, include_cases: bool = False) -> dict[str, Any]:
        """Return the JSON form; `include_cases` adds every case's scores, for baselines."""
        run = self.run
        data = self._summary(run)
        table = self.table
        if include_cases and table is not None and table.ids.size == table.columns.errored.size:
            data["case_scores"] = {
                "ids": table.ids.tolist(),
                "latency_ms": _nullable(table.columns.latency_ms),
                "scores": {name: _nullable(values) for name, values in table.scores.items()},
            }
        return data

    def _summary(self, run: RunRecord) -> dict[str, Any]:
        ops = self.operations
        return {
            "run": {
                "run_id": run.run_id,
                "name": run.name,
                "status": run.status,
                "stop_reason": run.stop_reason,
                "created_at": run.created_at.isoformat(),
                "finished_at": run.finished_at.isoformat() if run.finished_at else None,
                "dataset_path": run.dataset_path,
                "dataset_version": run.dataset_version,
                "cases_version": run.cases_version,
                "n_cases": run.n_cases,
                "config_hash": run.config_hash,
                "prompt_hash": run.prompt_hash,
                "target": run.target,
                "model": run.model,
                "git_commit": run.git_commit,
                "evalgauge_version": run.evalgauge_version,
                "tier": run.tier,
            },
            "stop_reason": run.stop_reason,
            "cases": self.cases,
            "target_errors": self.target_errors,
            "confidence": self.confidence,
            "metrics": [asdict(m) for m in self.metrics],
            "latency_ms": self.latency_ms,
            "cached": self.cached,
            "tokens": {"input": self.input_tokens, "output": self.output_tokens},
            "error_types": self.error_types,
            "error_examples": self.error_examples,
            "error_rate": ops.get("error_rate"),
            "ttft_ms": ops.get("ttft_ms"),
            "cost": ops.get("cost"),
            "operations": ops,
            "slices": self.slices,
            "breakdowns": self.breakdowns,
        }


def _nullable(values: NDArray[np.float64]) -> list[float | None]:
    """Convert to a list with None for NaN, which JSON cannot write."""
    converted: list[float | None] = list(values.tolist())
    for index in np.flatnonzero(np.isnan(values)).tolist():
        converted[index] = None
    return converted


def build_scorecard(
    store: Store, run_id: str, *, confidence: float = 0.95, per_case: bool = True
) -> Scorecard:
    """Aggregate a stored run; works on partial and resumed runs alike.

    `per_case=False` keeps no per-case scores, which `to_dict(include_cases=True)` and
    baseline comparisons need; slices are still computed when the run has tags.
    """
    run = store.get_run(run_id)
    if run is None:
        raise UsageError(
            f"run {run_id!r} not found in the store; list runs with `evalgauge runs list`"
        )
    with store.engine.connect() as conn:
        counts = run_counts(conn, run_id)
        error_types = _error_types(conn, run_id, counts.errors > 0)
        error_examples = _error_examples(conn, run_id, counts.errors > 0)
        metrics = _metric_rows(conn, run_id, counts.cases, confidence)
        # Slices need the tags aligned with the scores, and baselines need every case.
        table = load_case_table(conn, run_id) if per_case or counts.tagged else None
        if table is not None:
            inputs = table.columns.known()
        else:
            inputs = operation_inputs(conn, run_id, counts)
        breakdowns = detail_breakdowns(conn, run_id)
    binary = {m.name: m.kind == "binary" for m in metrics}
    return Scorecard(
        run=run,
        cases=counts.cases,
        target_errors=counts.errors,
        metrics=metrics,
        latency_ms=percentiles(inputs.latency_ms, (50, 95, 99)),
        cached=counts.cached,
        input_tokens=counts.input_tokens,
        output_tokens=counts.output_tokens,
        error_types=error_types,
        error_examples=error_examples,
        confidence=confidence,
        operations=operations(inputs, confidence),
        slices={} if table is None else slice_summaries(table, binary, confidence),
        breakdowns=breakdowns,
        table=table,
    )


def _error_types(conn: Any, run_id: str, target_errors: bool) -> dict[str, int]:
    counts: dict[str, int] = {}
    target_query = (
        select(case_results.c.error_type, func.count())
        .where(case_results.c.run_id == run_id, case_results.c.error_type.is_not(None))
        .group_by(case_results.c.error_type)
    )
    score_query = (
        select(scores.c.error_type, func.count())
        .where(scores.c.run_id == run_id, scores.c.error_type.is_not(None))
        .group_by(scores.c.error_type)
    )
    for query in (target_query, score_query) if target_errors else (score_query,):
        for error_type, count in conn.execute(query):
            counts[error_type] = counts.get(error_type, 0) + int(count)
    return dict(sorted(counts.items(), key=lambda item: -item[1]))


EXAMPLES_PER_TYPE = 3


def _error_examples(conn: Any, run_id: str, target_errors: bool) -> list[dict[str, str]]:
    queries = [
        select(case_results.c.error_type, case_results.c.case_id, case_results.c.error_message)
        .where(case_results.c.run_id == run_id, case_results.c.error_type.is_not(None))
        .order_by(case_results.c.id)
        .limit(200),
        select(scores.c.error_type, scores.c.case_id, scores.c.error_message)
        .where(scores.c.run_id == run_id, scores.c.error_type.is_not(None))
        .limit(200),
    ]
    examples: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    for query in queries if target_errors else queries[1:]:
        for error_type, case_id, message in conn.execute(query):
            if seen.get(error_type, 0) >= EXAMPLES_PER_TYPE:
                continue
            seen[error_type] = seen.get(error_type, 0) + 1
            examples.append({"type": error_type, "case_id": case_id, "message": message or ""})
    return examples


def _metric_rows(conn: Any, run_id: str, n_cases: int, confidence: float) -> list[MetricSummary]:
    value = cast(scores.c.value, Float)
    query = (
        select(
            run_scorers.c.name,
            run_scorers.c.judge_model,
            run_scorers.c.prompt_hash,
            func.count(scores.c.value),
            func.sum(value),
            func.sum(value * value),
            func.count(scores.c.passed),
        )
        .select_from(run_scorers.outerjoin(scores, scores.c.scorer_id == run_scorers.c.scorer_id))
        .where(run_scorers.c.run_id == run_id)
        .group_by(
            run_scorers.c.scorer_id,
            run_scorers.c.name,
            run_scorers.c.judge_model,
            run_scorers.c.prompt_hash,
        )
        .order_by(run_scorers.c.scorer_id)
    )
    metrics = []
    for name, judge_model, prompt_hash, scored, total, squares, n_binary in conn.execute(query):
        scored = int(scored)
        binary = scored > 0 and int(n_binary) == scored
        mean, low, high, method = _interval(scored, total, squares, binary, confidence)
        metrics.append(
            MetricSummary(
                name=name,
                kind="binary" if binary else "numeric",
                scored=scored,
                errored=n_cases - scored,
                mean=mean,
                ci_low=low,
                ci_high=high,
                ci_method=method,
                judge_model=judge_model,
                prompt_hash=prompt_hash,
            )
        )
    return metrics


def _interval(
    scored: int, total: Any, squares: Any, binary: bool, confidence: float
) -> tuple[float | None, float | None, float | None, str]:
    if scored == 0:
        return None, None, None, "none"
    mean = float(total) / scored
    if binary:
        low, high = wilson_interval(round(float(total)), scored, confidence)
        return mean, low, high, "wilson"
    from scipy.stats import t

    variance = max(0.0, (float(squares) - scored * mean * mean) / max(1, scored - 1))
    if scored < 2:
        return mean, None, None, "none"
    half = float(t.ppf(0.5 + confidence / 2, scored - 1)) * math.sqrt(variance / scored)
    return mean, mean - half, mean + half, "student-t"
