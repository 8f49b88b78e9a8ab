"""DuckDB executor: a read-only connection with no file access, a memory limit and a deadline."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb

from evalgauge.scorers.sql._executor import (
    DatabaseMissing,
    EngineError,
    ExecutionLimits,
    FetchBudget,
    MemoryLimitExceeded,
    MultipleStatements,
    QueryResult,
    QueryTimeout,
    SqlExecutionError,
    SqlSyntaxError,
    WriteRejected,
)
from evalgauge.scorers.sql._guard import check_read_only

_FETCH_BATCH = 1_000


class DuckdbExecutor:
    """Runs queries on one DuckDB file opened with `read_only=True`.

    External access (files, ATTACH of other files, extensions) is off and the configuration is
    locked, so a query cannot lift the limits. A timer calls `interrupt()` at the deadline.
    """

    dialect = "duckdb"

    def __init__(
        self,
        path: str | Path,
        limits: ExecutionLimits | None = None,
        *,
        threads: int = 1,
        guard: bool = True,
    ) -> None:
        self.path = Path(path)
        self.limits = limits or ExecutionLimits()
        self.guard = guard
        if not self.path.is_file():
            raise DatabaseMissing(f"DuckDB database {str(self.path)!r} not found")
        config: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": f"{max(self.limits.memory_bytes // (1024 * 1024), 16)}MB",
            "threads": threads,
            "enable_external_access": False,
            "autoload_known_extensions": False,
            "autoinstall_known_extensions": False,
            "lock_configuration": True,
        }
        try:
            self._connection = duckdb.connect(str(self.path), read_only=True, config=config)
        except duckdb.Error as exc:
            raise EngineError(f"cannot open DuckDB database {str(self.path)!r}: {exc}") from None
        self._timed_out = False
        self._running = False
        self._lock = threading.Lock()

    def _interrupt(self) -> None:
        # under the lock, so a late timer never interrupts the next query
        with self._lock:
            if self._running:
                self._timed_out = True
                self._connection.interrupt()

    def execute(self, sql: str) -> QueryResult:
        """Run one query and return its rows; raise a SqlExecutionError subclass on failure."""
        if self.guard:
            check_read_only(sql, self.dialect)
        self._check_statement(sql)
        limits = self.limits
        self._timed_out = False
        timer = threading.Timer(limits.timeout_s, self._interrupt)
        started = time.monotonic()
        with self._lock:
            self._running = True
        timer.start()
        try:
            cursor = self._connection.execute(sql)
            budget = FetchBudget(limits, started)
            while batch := cursor.fetchmany(_FETCH_BATCH):
                if not budget.add(batch):
                    break
            columns = tuple(d[0] for d in cursor.description or ())
        except duckdb.Error as exc:
            raise self._translate(exc, time.monotonic() - started) from None
        finally:
            timer.cancel()
            with self._lock:
                self._running = False
        return QueryResult(columns, budget.rows, budget.truncated, time.monotonic() - started)

    def _check_statement(self, sql: str) -> None:
        """Reject, with DuckDB's own parser, anything but one SELECT statement."""
        try:
            statements = self._connection.extract_statements(sql)
        except duckdb.Error as exc:
            raise SqlSyntaxError(str(exc)) from None
        if len(statements) != 1:
            raise MultipleStatements(f"{len(statements)} statements found; submit one query")
        kind = statements[0].type
        if kind != duckdb.StatementType.SELECT:
            raise WriteRejected(f"{kind.name} statement rejected: only queries run")

    def _translate(self, exc: duckdb.Error, elapsed: float) -> SqlExecutionError:
        message = str(exc)
        if self._timed_out or isinstance(exc, duckdb.InterruptException):
            return QueryTimeout(
                f"query timed out after {elapsed:.2f} s (limit {self.limits.timeout_s} s)"
            )
        if isinstance(exc, duckdb.OutOfMemoryException):
            return MemoryLimitExceeded(f"query exceeded the memory limit ({message})")
        if isinstance(exc, duckdb.ParserException):
            return SqlSyntaxError(message)
        lowered = message.lower()
        if "read-only" in lowered or "read only" in lowered:
            return WriteRejected(f"rejected: the database is opened read-only ({message})")
        if isinstance(exc, duckdb.PermissionException):
            return WriteRejected(f"rejected: file and extension access is disabled ({message})")
        return EngineError(message)

    def close(self) -> None:
        self._connection.close()
