"""Judge one prediction against its gold query on every database instance of a question."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from evalgauge.scorers.sql._cache import GoldResultCache
from evalgauge.scorers.sql._compare import compare_results, gold_orders_output
from evalgauge.scorers.sql._executor import (
    DatabaseMissing,
    ExecutionLimits,
    Executor,
    QueryResult,
    QueryTimeout,
    SqlExecutionError,
)
from evalgauge.scorers.sql._presets import Preset

VerdictKind = Literal[
    "match", "mismatch", "gold_error", "prediction_error", "timeout", "database_missing"
]
INSTANCE_SUFFIXES = (".sqlite", ".duckdb")


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome for one question: its kind, the cause, and where it was decided."""

    kind: VerdictKind
    detail: str | None = None
    """The row diff of a mismatch, or the error message."""
    reason: str | None = None
    """The comparison's reason (row_count, values, order...) or the error's kind."""
    both_empty: bool = False
    """Gold and prediction both returned no rows on some instance."""
    instance: str | None = None
    """File name of the instance that decided a failure."""
    instances: int = 0

    @property
    def passed(self) -> bool:
        return self.kind == "match"

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.kind,
            "reason": self.reason,
            "detail": self.detail,
            "both_empty": self.both_empty,
            "instance": self.instance,
            "instances": self.instances,
        }


def find_instances(db_dir: Path, db_id: str) -> list[Path]:
    """List the database files of `db_id`: `<db_id>.sqlite` first, then the rest by name."""
    folder = db_dir / db_id
    if not folder.is_dir():
        return []
    files = sorted(p for p in folder.iterdir() if p.suffix in INSTANCE_SUFFIXES and p.is_file())
    files.sort(key=lambda p: p.stem != db_id)
    return files


def open_executor(
    path: Path, limits: ExecutionLimits, preset: Preset, *, guard: bool = True
) -> Executor:
    """Open the executor for a database file by its suffix (.duckdb, else SQLite)."""
    if path.suffix == ".duckdb":
        from evalgauge.scorers.sql._duckdb import DuckdbExecutor

        return DuckdbExecutor(path, limits, guard=guard)
    from evalgauge.scorers.sql._sqlite import SqliteExecutor

    return SqliteExecutor(path, limits, text_errors=preset.text_errors, guard=guard)


class ExecutionSession:
    """Open executors and gold results of one process, reused across questions."""

    def __init__(
        self,
        preset: Preset,
        limits: ExecutionLimits | None = None,
        *,
        gold_limits: ExecutionLimits | None = None,
        cache: GoldResultCache | None = None,
    ) -> None:
        self.preset = preset
        self.limits = limits or ExecutionLimits()
        self.gold_limits = gold_limits or ExecutionLimits(timeout_s=max(self.limits.timeout_s, 120))
        self.cache = cache
        self._executors: dict[Path, Executor] = {}
        self._gold_executors: dict[Path, Executor] = {}
        self._gold: dict[tuple[Path, str], QueryResult | SqlExecutionError] = {}

    def _executor(self, path: Path, gold: bool) -> Executor:
        pool = self._gold_executors if gold else self._executors
        executor = pool.get(path)
        if executor is None:
            limits = self.gold_limits if gold else self.limits
            # Gold queries are trusted: they skip the sqlglot check (about 0.3 ms a query) but
            # not the engine's read-only guards.
            executor = pool[path] = open_executor(path, limits, self.preset, guard=not gold)
        return executor

    def gold_result(self, path: Path, sql: str) -> QueryResult:
        """Run the gold query once per (instance, SQL); later calls return the stored result."""
        key = (path, sql)
        found = self._gold.get(key)
        if found is None:
            found = self.cache.get(path, sql) if self.cache else None
            if found is None:
                try:
                    found = self._executor(path, gold=True).execute(sql)
                except SqlExecutionError as exc:
                    found = exc
                else:
                    if self.cache:
                        self.cache.put(path, sql, found)
            self._gold[key] = found
        if isinstance(found, SqlExecutionError):
            raise found
        return found

    def evaluate(self, gold_sql: str, pred_sql: str, instances: list[Path]) -> Verdict:
        """Run both queries on every instance; the prediction passes only if all agree."""
        if not instances:
            return Verdict("database_missing", "no database file found", "database_missing")
        preset = self.preset
        try:
            gold = preset.prepare_gold(gold_sql)
        except ValueError as exc:
            return Verdict("gold_error", str(exc), "syntax")
        try:
            pred = preset.prepare_prediction(pred_sql)
        except ValueError as exc:
            return Verdict("prediction_error", str(exc), "syntax")
        ordered = gold_orders_output(gold, preset.compare.order_rule)
        count = len(instances)
        both_empty = False
        for path in instances:
            try:
                gold_result = self.gold_result(path, gold)
            except DatabaseMissing as exc:
                return Verdict("database_missing", str(exc), exc.kind, False, path.name, count)
            except SqlExecutionError as exc:
                return Verdict("gold_error", str(exc), exc.kind, False, path.name, count)
            try:
                pred_result = self._executor(path, gold=False).execute(pred)
            except QueryTimeout as exc:
                return Verdict("timeout", str(exc), exc.kind, both_empty, path.name, count)
            except SqlExecutionError as exc:
                kind = exc.kind
                return Verdict("prediction_error", str(exc), kind, both_empty, path.name, count)
            comparison = compare_results(
                gold_result.rows, pred_result.rows, preset.compare, ordered=ordered
            )
            both_empty = both_empty or comparison.both_empty
            if not comparison.match:
                diff, reason = comparison.diff, comparison.reason
                return Verdict("mismatch", diff, reason, both_empty, path.name, count)
        return Verdict("match", None, "equal", both_empty, instances=count)

    def close(self) -> None:
        for executor in [*self._executors.values(), *self._gold_executors.values()]:
            executor.close()
        self._executors.clear()
        self._gold_executors.clear()
