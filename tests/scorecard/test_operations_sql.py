"""The scorecard's operational figures from SQL aggregates equal those from per-case columns."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from evalgauge.scorecard import build_scorecard
from evalgauge.store import CaseResult, RunRecord, ScoreResult, ScorerRecord, Store


def _mixed(i: int) -> CaseResult:
    """A case result whose optional columns are set on some cases and not on others."""
    errored = i % 7 == 0
    return CaseResult(
        case_id=f"c{i}",
        inputs={"i": i},
        output=None if errored else f"out {i}",
        error_type="target_error" if errored else None,
        error_message="boom" if errored else None,
        latency_ms=None if i % 3 == 0 else float(i % 50) + 0.5,
        ttft_ms=float(i % 11) if i % 4 == 0 else None,
        cached=i % 5 == 0,
        model="m" if i % 2 == 0 else None,
        cost_usd=0.001 * (i % 9) if i % 6 == 0 else None,
        judge_cost_usd=0.0005 if i % 10 == 0 else None,
        input_tokens=i % 13 if i % 2 == 0 else None,
        output_tokens=i % 17 if i % 3 == 1 else None,
        scores=[] if errored else [ScoreResult("exact", float(i % 2), i % 2 == 1)],
    )


def test_operations_from_sql_equal_per_case(store_url: str) -> None:
    store = Store.open(store_url)
    run_id = f"ops-{datetime.now(UTC).timestamp()}"
    record = RunRecord(
        run_id=run_id,
        name="ops",
        status="completed",
        created_at=datetime.now(UTC),
        dataset_version="sha256:x",
        n_cases=300,
        config_hash="sha256:y",
        target="recorded",
        evalgauge_version="0",
        config={},
    )
    store.create_run(record, [ScorerRecord("exact")])
    ids = store.scorers(run_id)
    results = [_mixed(i) for i in range(300)]
    for start in range(0, 300, 64):
        store.write_results(run_id, results[start : start + 64], ids)

    light = build_scorecard(store, run_id, per_case=False)
    full = build_scorecard(store, run_id, per_case=True)
    store.close()
    assert light.table is None
    assert full.table is not None
    assert light.operations == full.operations
    assert light.latency_ms == full.latency_ms

    ops = light.operations
    errors = sum(1 for i in range(300) if i % 7 == 0)
    assert (ops["cases"], ops["errors"], ops["cached"]) == (300, errors, 60)
    assert ops["latency_ms"]["n"] == 200
    unpriced = sum(1 for i in range(300) if i % 7 and i % 2 == 0 and i % 6)
    assert ops["cost"]["unpriced"] == unpriced
    assert ops["cost"]["total_usd"] == pytest.approx(sum(0.001 * (i % 9) for i in range(0, 300, 6)))
    assert (light.input_tokens, light.output_tokens) == (full.input_tokens, full.output_tokens)
    assert light.error_types == full.error_types == {"target_error": errors}
