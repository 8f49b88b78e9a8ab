"""PostgreSQL executor: every query in a READ ONLY transaction that is always rolled back."""

from __future__ import annotations

import threading
import time

import psycopg
from psycopg import errors as pg_errors

from evalgauge.scorers.sql._executor import (
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
_QUERY_WORDS = {"SELECT", "WITH", "VALUES", "TABLE"}
# Server errors that mean "this would have changed something".
_WRITE_ERRORS = (
    pg_errors.ReadOnlySqlTransaction,
    pg_errors.InsufficientPrivilege,
    pg_errors.ActiveSqlTransaction,
)


class PostgresExecutor:
    """Runs queries on one PostgreSQL database through a kept-open psycopg connection.

    Each query runs inside `BEGIN READ ONLY` with `SET LOCAL statement_timeout`, is fetched
    through a server-side cursor in batches, and is rolled back. A client timer also calls
    `cancel()` at the deadline, in case the server-side timeout does not fire. Connect as a
    role that can only read the schema: a superuser can still call functions such as
    `pg_read_file` that read the server's files.
    """

    dialect = "postgres"

    def __init__(
        self, conninfo: str, limits: ExecutionLimits | None = None, *, guard: bool = True
    ) -> None:
        self.conninfo = conninfo
        self.limits = limits or ExecutionLimits()
        self.guard = guard
        try:
            self._connection = psycopg.connect(conninfo, autocommit=True)
        except psycopg.Error as exc:
            raise EngineError(f"cannot connect to PostgreSQL: {exc}") from None
        self._timed_out = False
        self._running = False
        self._lock = threading.Lock()

    def _cancel(self) -> None:
        # under the lock, so a late timer never cancels the next statement
        with self._lock:
            if self._running:
                self._timed_out = True
                self._connection.cancel_safe()

    def execute(self, sql: str) -> QueryResult:
        """Run one query and return its rows; raise a SqlExecutionError subclass on failure."""
        if self.guard:
            check_read_only(sql, self.dialect)
        limits = self.limits
        self._timed_out = False
        connection = self._connection
        timeout_ms = max(int(limits.timeout_s * 1000), 1)
        timer = threading.Timer(limits.timeout_s + 0.1, self._cancel)
        started = time.monotonic()
        connection.execute("BEGIN TRANSACTION READ ONLY")
        try:
            connection.execute(f"SET LOCAL statement_timeout = {timeout_ms}")
            connection.execute(f"SET LOCAL idle_in_transaction_session_timeout = {timeout_ms * 2}")
            with self._lock:
                self._running = True
            timer.start()
            # A named cursor is a server-side cursor: rows arrive in batches, and its
            # DECLARE accepts a single SELECT or VALUES only.
            with connection.cursor(name="evalgauge_query") as cursor:
                cursor.execute(sql)
                budget = FetchBudget(limits, started)
                while batch := cursor.fetchmany(_FETCH_BATCH):
                    if not budget.add(batch):
                        break
                columns = tuple(d.name for d in cursor.description or ())
        except psycopg.Error as exc:
            raise self._translate(exc, sql, time.monotonic() - started) from None
        finally:
            timer.cancel()
            with self._lock:
                self._running = False
            self._rollback()
        return QueryResult(columns, budget.rows, budget.truncated, time.monotonic() - started)

    def _rollback(self) -> None:
        try:
            self._connection.execute("ROLLBACK")
        except psycopg.Error:
            # a broken connection: open a fresh one for the next query
            self._connection.close()
            try:
                self._connection = psycopg.connect(self.conninfo, autocommit=True)
            except psycopg.Error as exc:
                raise EngineError(f"lost the PostgreSQL connection: {exc}") from None

    def _translate(self, exc: psycopg.Error, sql: str, elapsed: float) -> SqlExecutionError:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if isinstance(exc, pg_errors.QueryCanceled) or self._timed_out:
            return QueryTimeout(
                f"query timed out after {elapsed:.2f} s (limit {self.limits.timeout_s} s)"
            )
        if isinstance(exc, _WRITE_ERRORS) or "data-modifying" in message:
            return WriteRejected(f"rejected by the read-only transaction: {message}")
        if isinstance(exc, pg_errors.OutOfMemory | pg_errors.DiskFull):
            return MemoryLimitExceeded(message)
        if isinstance(exc, pg_errors.SyntaxError):
            if "multiple commands" in message or "cannot insert multiple" in message:
                return MultipleStatements("several statements found; submit one query")
            first_word = sql.lstrip(" \t\n(").split(None, 1)[:1]
            if first_word and first_word[0].upper() not in _QUERY_WORDS:
                # the cursor's DECLARE accepts only a query, so a write is a syntax error
                return WriteRejected(f"{first_word[0].upper()} rejected: only queries run")
            return SqlSyntaxError(message)
        return EngineError(message)

    def close(self) -> None:
        self._connection.close()
