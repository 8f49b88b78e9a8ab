"""The results store on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from sqlalchemy import text

from evalgauge.errors import UsageError
from evalgauge.store import (
    HEAD_REVISION,
    CaseResult,
    RunRecord,
    ScoreResult,
    ScorerRecord,
    Store,
    current_revision,
    run_migrations,
)
from evalgauge.store._schema import metadata


def _run(run_id: str) -> RunRecord:
    return RunRecord(
        run_id=run_id,
        name="suite",
        status="running",
        created_at=datetime.now(UTC),
        dataset_version="sha256:abc",
        n_cases=3,
        config_hash="sha256:def",
        target="recorded",
        evalgauge_version="0.1.0",
        config={"k": [1, 2]},
        git_commit="0" * 40,
        prompt_hash="1234",
        model="m",
    )


def _results(n: int, scorer: str = "exact") -> list[CaseResult]:
    return [
        CaseResult(
            case_id=f"c{i}",
            inputs={"input": f"case {i}", "nested": {"n": i}},
            label=i % 2 == 0,
            output=f"CASE {i}",
            latency_ms=float(i),
            scores=[ScoreResult(scorer, 1.0, True, "ok")],
        )
        for i in range(n)
    ]


def test_open_applies_migrations(store_url: str) -> None:
    store = Store.open(store_url)
    assert current_revision(store.engine) == HEAD_REVISION
    store.close()


def test_migrations_match_schema(store_url: str, tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    if store_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'migrated.db'}"
    else:
        url = store_url.rsplit("/", 1)[0] + "/postgres"
        admin = create_engine(
            url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text('DROP DATABASE IF EXISTS "evalgauge_migrated"'))
            conn.execute(text('CREATE DATABASE "evalgauge_migrated"'))
        admin.dispose()
        url = store_url.rsplit("/", 1)[0] + "/evalgauge_migrated"
    engine = Store.open(url).engine  # creates the tables directly on an empty database
    engine.dispose()
    migrated = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with migrated.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(text(f"DROP TABLE {table.name}"))
        conn.execute(text("DROP TABLE alembic_version"))
    run_migrations(migrated)  # the same schema, built by the migrations alone
    with migrated.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    migrated.dispose()
    assert diff == []
    assert revision == HEAD_REVISION


def test_run_round_trip(store_url: str) -> None:
    store = Store.open(store_url)
    run_id = f"r-{datetime.now(UTC).timestamp()}"
    store.create_run(_run(run_id), [ScorerRecord("exact", "judge-m", "ph", {"a": "b"})])
    record = store.get_run(run_id)
    store.close()
    assert record is not None
    assert record.config == {"k": [1, 2]}
    assert record.git_commit == "0" * 40
    assert record.created_at.tzinfo is not None


def test_results_written_once(store_url: str) -> None:
    store = Store.open(store_url)
    run_id = f"r-{datetime.now(UTC).timestamp()}"
    store.create_run(_run(run_id), [ScorerRecord("exact")])
    ids = store.scorers(run_id)
    store.write_results(run_id, _results(50), ids)
    store.write_results(run_id, _results(60), ids)  # the first 50 again, then 10 new
    rows = list(store.iter_case_results(run_id))
    with store.engine.connect() as conn:
        n_scores = conn.execute(
            text("SELECT count(*) FROM scores WHERE run_id = :r"), {"r": run_id}
        ).scalar()
    store.close()
    assert len(rows) == 60
    assert n_scores == 60
    assert rows[3]["inputs"] == {"input": "case 3", "nested": {"n": 3}}
    assert rows[3]["scores"]["exact"]["passed"] is True
    assert rows[3]["label"] is False


def test_batch_round_trips_awkward_values(store_url: str) -> None:
    # A batch travels as one JSON parameter; every value must come back as it went in.
    store = Store.open(store_url)
    run_id = f"r-{datetime.now(UTC).timestamp()}"
    store.create_run(_run(run_id), [ScorerRecord("exact")])
    awkward = CaseResult(
        case_id="ünï 'quoted' \"id\"",
        inputs={"text": "line\nbreak\ttab \\ back", "n": 2**53, "f": 0.1},
        output='{"not": "parsed"} ' + "x" * 100_000,
        latency_ms=1e-9,
        cached=True,
        input_tokens=0,
        output_tokens=10**9,
        model="m/1",
        error_type=None,
        scores=[
            ScoreResult(
                "exact", 0.5, None, "emoji 🎉 and [1, 2]", details={"fields": {"a.b": [1, None]}}
            )
        ],
    )
    errored = CaseResult(
        case_id="e",
        inputs={},
        error_type="TargetError",
        error_message="null\u0001 and \\N",
        scores=[ScoreResult("exact", float("nan"), False, error_type="exact:Bad")],
    )
    store.write_results(run_id, [awkward, errored], store.scorers(run_id))
    rows = {row["case_id"]: row for row in store.iter_case_results(run_id)}
    with store.engine.connect() as conn:
        raw_inputs = conn.execute(
            text("SELECT inputs_json FROM case_results WHERE run_id = :r AND case_id = :c"),
            {"r": run_id, "c": awkward.case_id},
        ).scalar()
    store.close()
    # Inputs travel as a nested object and are stored as its compact JSON text.
    assert raw_inputs == orjson.dumps(awkward.inputs).decode()
    got = rows[awkward.case_id]
    assert got["inputs"] == awkward.inputs
    assert got["output"] == awkward.output
    assert got["latency_ms"] == pytest.approx(1e-9)
    assert got["cached"] is True
    assert (got["input_tokens"], got["output_tokens"]) == (0, 10**9)
    assert got["scores"]["exact"] == {
        "value": 0.5,
        "passed": None,
        "reason": "emoji 🎉 and [1, 2]",
        "error_type": None,
        "details": {"fields": {"a.b": [1, None]}},
        "error_message": None,
    }
    bad = rows["e"]
    assert bad["inputs"] == {}
    assert bad["output"] is None
    assert bad["cached"] is False
    assert bad["error_message"] == errored.error_message
    # NaN has no JSON form and is stored as NULL.
    assert bad["scores"]["exact"]["value"] is None
    assert bad["scores"]["exact"]["passed"] is False


def test_batch_leaves_out_columns_null_in_every_row(store_url: str) -> None:
    # A batch's INSERT names only the columns some row fills; the rest must read back as NULL.
    store = Store.open(store_url)
    run_id = f"r-{datetime.now(UTC).timestamp()}"
    store.create_run(_run(run_id), [ScorerRecord("exact")])
    ids = store.scorers(run_id)
    bare = [CaseResult(case_id=f"b{i}", inputs={"i": i}) for i in range(3)]
    full = CaseResult(
        case_id="full",
        inputs={},
        label=True,
        output="out",
        ttft_ms=12.5,
        input_tokens=3,
        cached_input_tokens=1,
        reasoning_tokens=2,
        cost_usd=0.25,
        tags={"lang": "de"},
        judge_cost_usd=0.5,
        scores=[ScoreResult("exact", 1.0, True, details={"k": 1})],
    )

    store.write_results(run_id, bare, ids)
    store.write_results(run_id, [*_results(2), full], ids)
    rows = {row["case_id"]: row for row in store.iter_case_results(run_id)}
    store.close()

    assert rows["b1"]["inputs"] == {"i": 1}
    assert rows["b1"]["scores"] == {}
    optional = ("label", "output", "latency_ms", "model", "cost_usd", "tags", "ttft_ms")
    assert all(rows["b1"][name] is None for name in optional)
    assert rows["c1"]["ttft_ms"] is None
    assert rows["c1"]["latency_ms"] == 1.0
    got = rows["full"]
    assert (got["ttft_ms"], got["input_tokens"], got["output_tokens"]) == (12.5, 3, None)
    assert (got["cached_input_tokens"], got["reasoning_tokens"]) == (1, 2)
    assert (got["cost_usd"], got["judge_cost_usd"], got["tags"]) == (0.25, 0.5, {"lang": "de"})
    assert got["scores"]["exact"]["details"] == {"k": 1}
    assert rows["c0"]["scores"]["exact"]["details"] is None


def test_nul_in_output_is_stored(store_url: str) -> None:
    # Neither database keeps NUL in text from JSON, so it becomes U+FFFD; nothing is cut.
    store = Store.open(store_url)
    run_id = f"r-{datetime.now(UTC).timestamp()}"
    store.create_run(_run(run_id), [ScorerRecord("exact")])
    results = _results(3)
    results[1].output = "a\x00b \\u0000 kept"
    store.write_results(run_id, results, store.scorers(run_id))
    rows = {row["case_id"]: row for row in store.iter_case_results(run_id)}
    store.close()

    assert rows["c1"]["output"] == "a\ufffdb \\u0000 kept"
    assert rows["c2"]["output"] == "CASE 2"


def test_failed_batch_leaves_nothing(store_url: str) -> None:
    from sqlalchemy.exc import IntegrityError

    store = Store.open(store_url)
    run_id = f"r-{datetime.now(UTC).timestamp()}"
    store.create_run(_run(run_id), [ScorerRecord("exact")])
    ids = store.scorers(run_id)
    batch = _results(5)
    batch[4].case_id = None  # type: ignore[assignment]
    with pytest.raises(IntegrityError):
        store.write_results(run_id, batch, ids)
    count = store.count_case_results(run_id)
    store.close()
    assert count == 0


def test_finished_case_ids(store_url: str) -> None:
    store = Store.open(store_url)
    run_id = f"r-{datetime.now(UTC).timestamp()}"
    store.create_run(_run(run_id), [ScorerRecord("exact")])
    store.write_results(run_id, _results(7), store.scorers(run_id))
    finished = store.finished_case_ids(run_id)
    store.close()
    assert finished == {f"c{i}" for i in range(7)}


def test_invalid_url_message() -> None:
    with pytest.raises(UsageError, match="invalid database URL"):
        Store.open("nosuchdb://x")


def test_unreachable_postgres_message() -> None:
    with pytest.raises(UsageError, match="cannot open the results store"):
        Store.open("postgresql://postgres:secret@127.0.0.1:1/none?connect_timeout=2")


def test_password_redacted_in_message() -> None:
    with pytest.raises(UsageError) as info:
        Store.open("postgresql://postgres:secret@127.0.0.1:1/none?connect_timeout=2")
    assert "secret" not in str(info.value)
