"""The `sql_execution` scorer: run the output SQL and the case's gold SQL, compare results."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from evalgauge.cases import Case
from evalgauge.errors import ScorerError
from evalgauge.scorers._base import Score
from evalgauge.scorers.sql._evaluate import find_instances
from evalgauge.scorers.sql._executor import ExecutionLimits
from evalgauge.scorers.sql._pool import Outcome, Task, init_worker, run_task, start_context
from evalgauge.scorers.sql._presets import get_preset


class UnscorableSqlCase(ScorerError):
    """A case the SQL scorer cannot judge: no gold query, no database, or a failing gold."""

    error_type = "sql_unscorable"


class SqlExecutionScorer:
    """Scores an output query by execution against the case's gold query.

    The gold SQL and the database id come from case fields (`gold_field`, `db_field`). The
    database files are `db_dir/<db_id>/*.sqlite` (or `.duckdb`), plus `suite_dir/<db_id>/*`
    when a test suite is given, and the output must match on every file. Queries run in a
    pool of worker processes that keep their connections and gold results between cases.
    """

    def __init__(
        self,
        *,
        db_dir: Path,
        name: str = "sql_execution",
        suite_dir: Path | None = None,
        gold_field: str = "gold_sql",
        db_field: str = "db_id",
        preset: str = "default",
        limits: ExecutionLimits | None = None,
        workers: int | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.name = name
        self.roots = [root for root in (db_dir, suite_dir) if root is not None]
        self.gold_field = gold_field
        self.db_field = db_field
        self.preset = get_preset(preset)
        self.limits = limits or ExecutionLimits()
        self.workers = workers or os.cpu_count() or 1
        self.cache_dir = cache_dir
        self._pool: ProcessPoolExecutor | None = None
        self._instances: dict[str, tuple[str, ...]] = {}

    def identity(self) -> dict[str, str]:
        return {"sql_preset": self.preset.name}

    def _executor_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            gold_limits = ExecutionLimits(timeout_s=max(self.limits.timeout_s, 120))
            cache = str(self.cache_dir) if self.cache_dir else None
            # no fork: the event loop's process runs threads, which fork would copy badly
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=start_context(allow_fork=False),
                initializer=init_worker,
                initargs=(self.preset, self.limits, gold_limits, cache),
            )
        return self._pool

    def _task(self, case: Case, output: str) -> Task:
        gold = case.field(self.gold_field)
        if gold is None and isinstance(case.expected, str):
            gold = case.expected
        if not isinstance(gold, str) or not gold.strip():
            raise UnscorableSqlCase(
                f"case {case.case_id}: no gold SQL in field {self.gold_field!r}; map the field "
                "that holds the gold query"
            )
        db_id = case.field(self.db_field)
        if isinstance(db_id, int) and not isinstance(db_id, bool):
            db_id = str(db_id)  # a CSV or JSON id such as 5 names the database "5"
        if not isinstance(db_id, str) or not db_id:
            raise UnscorableSqlCase(
                f"case {case.case_id}: no database id in field {self.db_field!r} (found "
                f"{db_id!r}); map the field that holds the database name"
            )
        instances = self._instances.get(db_id)
        if instances is None:
            found = [p for root in self.roots for p in find_instances(root, db_id)]
            instances = self._instances[db_id] = tuple(str(p) for p in dict.fromkeys(found))
        if not instances:
            where = " or ".join(repr(str(root / db_id)) for root in self.roots)
            raise UnscorableSqlCase(
                f"case {case.case_id}: database missing: no database file in {where}; the "
                f"folder must hold {db_id}.sqlite (or another instance of it)"
            )
        return gold, output, instances

    async def score(self, case: Case, output: str) -> Score:
        task = self._task(case, output)
        loop = asyncio.get_running_loop()
        outcome: Outcome = await loop.run_in_executor(self._executor_pool(), run_task, task)
        verdict = outcome.verdict
        if verdict.kind in ("gold_error", "database_missing"):
            raise UnscorableSqlCase(
                f"case {case.case_id}: {verdict.kind.replace('_', ' ')}: {verdict.detail}"
            )
        details: dict[str, Any] = verdict.to_dict()
        details["hardness"] = outcome.hardness
        details["features"] = list(outcome.features)
        reason = verdict.kind if verdict.passed else f"{verdict.kind}: {verdict.detail}"
        return Score(
            self.name,
            1.0 if verdict.passed else 0.0,
            passed=verdict.passed,
            reason=reason,
            details=details,
        )

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
