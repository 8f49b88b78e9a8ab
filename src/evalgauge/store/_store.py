"""The results store: runs, case results and scores in SQLite or PostgreSQL."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.pool import ConnectionPoolEntry

from evalgauge.errors import UsageError
from evalgauge.store._batch import BatchInsert, batch_inserts
from evalgauge.store._migrate import upgrade_to_head
from evalgauge.store._records import CaseResult, RunRecord, ScorerRecord
from evalgauge.store._schema import case_results, run_scorers, runs, scores

logger = logging.getLogger(__name__)

DATABASE_URL_ENV = "EVALGAUGE_DATABASE_URL"
DEFAULT_ROOT = Path(".evalgauge")


def resolve_database_url(url: str | None = None, root: Path | None = None) -> str:
    """Pick the store URL: the argument, then `EVALGAUGE_DATABASE_URL`, then SQLite in root."""
    url = url or os.environ.get(DATABASE_URL_ENV) or None
    if url is None:
        directory = root or DEFAULT_ROOT
        directory.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{directory / 'evalgauge.db'}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _set_sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (a scorecard, a second process) work while a run writes.
    mode = cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        logger.warning(
            "SQLite WAL mode unavailable (journal_mode=%s); writes will block reads", mode
        )
    # NORMAL is durable across process crashes in WAL mode; only power loss can drop the tail.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class Store:
    """Read and write runs; every write of results is one transaction per batch."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._dialect = engine.dialect.name

    @classmethod
    def open(cls, url: str | None = None, *, root: Path | None = None) -> Store:
        """Connect to the store and apply pending migrations."""
        resolved = resolve_database_url(url, root)
        try:
            engine = create_engine(resolved)
        except (ArgumentError, ModuleNotFoundError) as exc:
            raise UsageError(
                f"invalid database URL {_redact(resolved)!r}: {exc}. Use sqlite:///PATH or "
                "postgresql://USER@HOST:PORT/DB"
            ) from exc
        if engine.dialect.name == "sqlite":
            database = engine.url.database
            if not database or database == ":memory:" or "mode=memory" in str(engine.url):
                raise UsageError(
                    f"database URL {resolved!r} names no file, so SQLite would keep the results "
                    "in memory and lose them when the command exits; give a file, e.g. "
                    "sqlite:///.evalgauge/results.db"
                )
            event.listen(engine, "connect", _set_sqlite_pragmas)
        elif engine.dialect.name != "postgresql":
            raise UsageError(
                f"unsupported database {engine.dialect.name!r}; the store runs on SQLite or "
                "PostgreSQL"
            )
        try:
            upgrade_to_head(engine)
        except OperationalError as exc:
            if engine.dialect.name == "sqlite":
                hint = "Check that its directory exists and is writable"
            else:
                origin = DATABASE_URL_ENV if url is None else "the URL"
                hint = f"Check {origin} and that the server is running"
            reason = str(exc.orig).strip()
            end = " " if reason.endswith((".", "?", "!")) else ". "
            raise UsageError(
                f"cannot open the results store at {_redact(resolved)!r}: {reason}{end}{hint}"
            ) from exc
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    # -- runs ---------------------------------------------------------------------------

    def create_run(self, run: RunRecord, scorers: Sequence[ScorerRecord]) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(runs).values(_run_row(run)))
            self._insert_scorers(conn, run.run_id, scorers)

    def ensure_scorers(self, run_id: str, scorers: Sequence[ScorerRecord]) -> None:
        """Register scorers that a resumed run adds; existing names are kept as they are."""
        with self.engine.begin() as conn:
            self._insert_scorers(conn, run_id, scorers)

    def _insert_scorers(
        self, conn: Connection, run_id: str, scorers: Sequence[ScorerRecord]
    ) -> None:
        if not scorers:
            return
        rows = [
            {
                "run_id": run_id,
                "name": s.name,
                "judge_model": s.judge_model,
                "prompt_hash": s.prompt_hash,
                "identity_json": orjson.dumps(s.identity).decode(),
            }
            for s in scorers
        ]
        # Imported here: the PostgreSQL dialect costs 50 ms of start-up on SQLite.
        if conn.dialect.name == "sqlite":
            from sqlalchemy.dialects import sqlite as dialect
        else:
            from sqlalchemy.dialects import postgresql as dialect  # type: ignore[no-redef]
        conn.execute(dialect.insert(run_scorers).on_conflict_do_nothing(), rows)

    def set_run_status(
        self,
        run_id: str,
        status: str,
        *,
        stop_reason: str | None = None,
        finished: bool = False,
    ) -> None:
        values: dict[str, Any] = {"status": status, "stop_reason": stop_reason}
        values["finished_at"] = datetime.now(UTC) if finished else None
        with self.engine.begin() as conn:
            conn.execute(update(runs).where(runs.c.run_id == run_id).values(**values))

    def get_run(self, run_id: str) -> RunRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(runs).where(runs.c.run_id == run_id)).mappings().first()
        return None if row is None else _run_record(dict(row))

    def latest_run_id(self) -> str | None:
        query = select(runs.c.run_id).order_by(runs.c.created_at.desc()).limit(1)
        with self.engine.connect() as conn:
            return conn.execute(query).scalar()

    def list_runs(self, limit: int = 20) -> list[RunRecord]:
        query = select(runs).order_by(runs.c.created_at.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [_run_record(dict(row)) for row in conn.execute(query).mappings()]

    def scorers(self, run_id: str) -> dict[str, int]:
        """Map each scorer name of the run to its id."""
        query = select(run_scorers.c.name, run_scorers.c.scorer_id).where(
            run_scorers.c.run_id == run_id
        )
        with self.engine.connect() as conn:
            return {name: scorer_id for name, scorer_id in conn.execute(query)}

    def usage_means(self, name: str, model: str) -> tuple[str, float, float] | None:
        """Return (run id, mean input tokens, mean output tokens) of the latest run of the
        suite `name` on `model` that reported usage, or None."""
        latest = (
            select(runs.c.run_id)
            .where(runs.c.name == name, runs.c.model == model)
            .order_by(runs.c.created_at.desc())
            .limit(20)
        )
        means = select(
            func.avg(case_results.c.input_tokens), func.avg(case_results.c.output_tokens)
        )
        with self.engine.connect() as conn:
            for run_id in conn.execute(latest).scalars():
                row = conn.execute(
                    means.where(
                        case_results.c.run_id == run_id, case_results.c.input_tokens.is_not(None)
                    )
                ).one()
                if row[0] is not None:
                    return run_id, float(row[0]), float(row[1] or 0.0)
        return None

    # -- case results ---------------------------------------------------------------------

    def finished_case_ids(self, run_id: str) -> set[str]:
        query = select(case_results.c.case_id).where(case_results.c.run_id == run_id)
        with self.engine.connect() as conn:
            return set(conn.execute(query).scalars())

    def count_case_results(self, run_id: str) -> int:
        query = select(func.count()).where(case_results.c.run_id == run_id)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def write_results(
        self, run_id: str, results: Sequence[CaseResult], scorer_ids: dict[str, int]
    ) -> None:
        """Store a batch of case results and their scores in one transaction.

        A case already stored for this run is skipped with its scores, so a batch replayed
        after a crash never stores a score twice.
        """
        self.write_serialized(run_id, self.serialize_results(results, scorer_ids))

    def serialize_results(
        self, results: Sequence[CaseResult], scorer_ids: dict[str, int]
    ) -> list[BatchInsert]:
        """Turn a batch into the INSERTs that `write_serialized` runs."""
        if not results:
            return []
        return batch_inserts(self._dialect, results, scorer_ids)

    def write_serialized(self, run_id: str, inserts: Sequence[BatchInsert]) -> None:
        """Run a serialized batch's INSERTs in one transaction; see `write_results`.

        The run loop serializes on its own thread and runs this on a writer thread, which
        then holds the GIL only between statements.
        """
        if not inserts:
            return
        # The hot path of every run: one statement per table and batch, through the DBAPI.
        with self.engine.begin() as conn:
            for insert_rows in inserts:
                conn.exec_driver_sql(insert_rows.sql, (run_id, insert_rows.rows_json))

    def iter_case_results(self, run_id: str, *, batch: int = 5000) -> Iterator[dict[str, Any]]:
        """Yield the stored case results of a run, each with a `scores` dict by scorer name."""
        names = {v: k for k, v in self.scorers(run_id).items()}
        query = (
            select(case_results).where(case_results.c.run_id == run_id).order_by(case_results.c.id)
        )
        score_query = select(scores).where(scores.c.run_id == run_id)
        with self.engine.connect() as conn:
            by_case: dict[str, dict[str, Any]] = {}
            for row in conn.execute(score_query).mappings():
                entry = {
                    "value": row["value"],
                    "passed": row["passed"],
                    "reason": row["reason"],
                    "error_type": row["error_type"],
                    "error_message": row["error_message"],
                    "details": None
                    if row["details_json"] is None
                    else orjson.loads(row["details_json"]),
                }
                by_case.setdefault(row["case_id"], {})[names[row["scorer_id"]]] = entry
            result = conn.execution_options(yield_per=batch).execute(query).mappings()
            for row in result:
                record = dict(row)
                record["inputs"] = orjson.loads(record.pop("inputs_json"))
                tags = record.pop("tags_json")
                record["tags"] = None if tags is None else orjson.loads(tags)
                record["scores"] = by_case.get(record["case_id"], {})
                yield record


def _run_row(run: RunRecord) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "name": run.name,
        "status": run.status,
        "stop_reason": run.stop_reason,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
        "dataset_path": run.dataset_path,
        "dataset_version": run.dataset_version,
        "n_cases": run.n_cases,
        "config_hash": run.config_hash,
        "prompt_hash": run.prompt_hash,
        "target": run.target,
        "model": run.model,
        "git_commit": run.git_commit,
        "evalgauge_version": run.evalgauge_version,
        "config_json": orjson.dumps(run.config, default=str).decode(),
        "tier": run.tier,
        "cases_version": run.cases_version,
    }


def _run_record(row: dict[str, Any]) -> RunRecord:
    row["config"] = orjson.loads(row.pop("config_json"))
    for key in ("created_at", "finished_at"):
        value = row[key]
        if value is not None and value.tzinfo is None:
            row[key] = value.replace(tzinfo=UTC)
    return RunRecord(**row)


def _redact(url: str) -> str:
    """Hide a password in a database URL before it reaches a message."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url
