"""SQLite executor: a read-only connection with an authorizer, a deadline and fetch limits."""

from __future__ import annotations

import sqlite3
import time
import urllib.parse
from pathlib import Path
from typing import Literal

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

TextErrors = Literal["strict", "replace", "ignore"]

# Actions a read-only query needs; every other authorizer action is denied.
_ALLOWED_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE}
_DENIED_FUNCTIONS = {"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"}
_AUTHORIZER_ACTIONS = (
    "CREATE_INDEX",
    "CREATE_TABLE",
    "CREATE_TEMP_INDEX",
    "CREATE_TEMP_TABLE",
    "CREATE_TEMP_TRIGGER",
    "CREATE_TEMP_VIEW",
    "CREATE_TRIGGER",
    "CREATE_VIEW",
    "DELETE",
    "DROP_INDEX",
    "DROP_TABLE",
    "DROP_TEMP_INDEX",
    "DROP_TEMP_TABLE",
    "DROP_TEMP_TRIGGER",
    "DROP_TEMP_VIEW",
    "DROP_TRIGGER",
    "DROP_VIEW",
    "INSERT",
    "PRAGMA",
    "READ",
    "SELECT",
    "TRANSACTION",
    "UPDATE",
    "ATTACH",
    "DETACH",
    "ALTER_TABLE",
    "REINDEX",
    "ANALYZE",
    "CREATE_VTABLE",
    "DROP_VTABLE",
    "FUNCTION",
    "SAVEPOINT",
    "RECURSIVE",
)
_ACTION_NAMES = {getattr(sqlite3, f"SQLITE_{name}"): name for name in _AUTHORIZER_ACTIONS}
_PROGRESS_OPCODES = 1_000
_FETCH_BATCH = 1_000


class SqliteExecutor:
    """Runs queries on one SQLite file opened read-only (`mode=ro`, `query_only`).

    An authorizer denies writes, schema changes, ATTACH/DETACH, every PRAGMA (also the
    table-valued `pragma_*` functions) and the `load_extension` function. A progress handler
    interrupts a query at its deadline, and rows are fetched in batches against the row and
    byte limits.
    """

    dialect = "sqlite"

    def __init__(
        self,
        path: str | Path,
        limits: ExecutionLimits | None = None,
        *,
        text_errors: TextErrors = "replace",
        guard: bool = True,
    ) -> None:
        self.path = Path(path)
        self.limits = limits or ExecutionLimits()
        self.guard = guard
        self._deadline = float("inf")
        self._denied: str | None = None
        if not self.path.is_file():
            raise DatabaseMissing(f"SQLite database {str(self.path)!r} not found")
        self._connection = self._open(text_errors)

    def _open(self, text_errors: TextErrors) -> sqlite3.Connection:
        uri = f"file:{urllib.parse.quote(str(self.path.resolve()))}?mode=ro"
        connection = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
        if hasattr(connection, "enable_load_extension"):
            connection.enable_load_extension(False)
        connection.execute("PRAGMA query_only = ON")
        heap = self.limits.memory_bytes
        # advisory and process-wide: SQLite frees cache memory when the heap passes it
        connection.execute(f"PRAGMA soft_heap_limit = {int(heap)}")
        connection.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, min(heap, 1_000_000_000))
        if text_errors != "strict":
            connection.text_factory = lambda raw: raw.decode("utf-8", errors=text_errors)
        connection.set_authorizer(self._authorize)
        connection.set_progress_handler(self._check_deadline, _PROGRESS_OPCODES)
        return connection

    def _authorize(
        self, action: int, arg1: str | None, arg2: str | None, _db: str | None, _src: str | None
    ) -> int:
        if action in _ALLOWED_ACTIONS:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_FUNCTION:
            if arg2 is not None and arg2.lower() in _DENIED_FUNCTIONS:
                self._denied = f"function {arg2}()"
                return sqlite3.SQLITE_DENY
            return sqlite3.SQLITE_OK
        target = f" {arg1}" if arg1 else ""
        self._denied = f"{_ACTION_NAMES.get(action, str(action))}{target}"
        return sqlite3.SQLITE_DENY

    def _check_deadline(self) -> int:
        return 1 if time.monotonic() > self._deadline else 0

    def execute(self, sql: str) -> QueryResult:
        """Run one query and return its rows; raise a SqlExecutionError subclass on failure."""
        if self.guard:
            check_read_only(sql, self.dialect)
        limits = self.limits
        self._denied = None
        started = time.monotonic()
        self._deadline = started + limits.timeout_s
        cursor = self._connection.cursor()
        try:
            cursor.execute(sql)
            budget = FetchBudget(limits, started)
            while batch := cursor.fetchmany(_FETCH_BATCH):
                if not budget.add(batch):
                    break
            columns = tuple(d[0] for d in cursor.description or ())
        except sqlite3.Error as exc:
            raise self._translate(exc, time.monotonic() - started) from None
        except MemoryError:
            raise MemoryLimitExceeded("query result did not fit in memory") from None
        finally:
            self._deadline = float("inf")
            cursor.close()
        elapsed = time.monotonic() - started
        return QueryResult(columns, budget.rows, budget.truncated, elapsed)

    def _translate(self, exc: sqlite3.Error, elapsed: float) -> SqlExecutionError:
        message = str(exc)
        lowered = message.lower()
        if lowered == "interrupted":
            return QueryTimeout(
                f"query timed out after {elapsed:.2f} s (limit {self.limits.timeout_s} s)"
            )
        if "not authorized" in lowered or "prohibited" in lowered or "readonly" in lowered:
            reason = self._denied or message
            return WriteRejected(f"{reason} rejected: the database is opened read-only")
        if "one statement at a time" in lowered:
            return MultipleStatements("several statements found; submit one query")
        if "out of memory" in lowered or "too big" in lowered:
            return MemoryLimitExceeded(f"query ran out of memory ({message})")
        if "syntax error" in lowered or "incomplete input" in lowered or "unrecognized" in lowered:
            return SqlSyntaxError(message)
        return EngineError(message)

    def close(self) -> None:
        self._connection.close()


def set_process_heap_limit(limit_bytes: int) -> None:
    """Set SQLite's hard heap limit, which applies to every connection of this process.

    Call it only in worker processes that run queries and nothing else.
    """
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute(f"PRAGMA hard_heap_limit = {int(limit_bytes)}")
    finally:
        connection.close()
