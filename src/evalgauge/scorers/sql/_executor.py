"""The executor protocol, query results, limits and the execution errors shared by engines."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

from evalgauge.errors import ScorerError

Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class QueryResult:
    """The rows a query returned, with its column names and wall-clock time in seconds."""

    columns: tuple[str, ...]
    rows: list[Row]
    truncated: bool = False
    """True when the executor stopped at `max_rows` because `truncate` was set."""
    elapsed_s: float = 0.0


@dataclass(frozen=True, slots=True)
class ExecutionLimits:
    """Bounds on one query: wall-clock time, rows fetched, result bytes and engine memory."""

    timeout_s: float = 30.0
    max_rows: int = 1_000_000
    max_result_bytes: int = 256 * 1024 * 1024
    """Estimated memory of the fetched rows, from CPython's object sizes (`estimate_row_bytes`)."""
    memory_bytes: int = 512 * 1024 * 1024
    """Engine memory: SQLite's heap limits and DuckDB's memory_limit. PostgreSQL and MySQL keep
    their server settings."""
    truncate: bool = False
    """Return the first `max_rows` rows flagged as truncated instead of raising TooManyRows."""


class SqlExecutionError(ScorerError):
    """A query that could not run to completion; `kind` names the cause."""

    error_type = "sql_execution_error"
    kind = "engine_error"

    def __init__(self, message: str, *, kind: str | None = None) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind


class QueryTimeout(SqlExecutionError):
    kind = "timeout"


class WriteRejected(SqlExecutionError):
    """A statement that would change data, the schema, the connection or the engine."""

    kind = "write_rejected"


class MultipleStatements(SqlExecutionError):
    kind = "multiple_statements"


class SqlSyntaxError(SqlExecutionError):
    kind = "syntax"


class TooManyRows(SqlExecutionError):
    kind = "too_many_rows"


class MemoryLimitExceeded(SqlExecutionError):
    kind = "memory"


class EngineError(SqlExecutionError):
    """Any other failure the engine reported (unknown column, type error, lost connection)."""

    kind = "engine_error"


class DatabaseMissing(SqlExecutionError):
    kind = "database_missing"


class Executor(Protocol):
    """Runs one read-only query on one database; keeps its connection open between queries."""

    def execute(self, sql: str) -> QueryResult: ...

    def close(self) -> None: ...


def estimate_row_bytes(row: Row) -> int:
    """Estimate a fetched row's memory in CPython: a tuple header, text and blobs by length plus
    their object header, 16 bytes for any other value."""
    size = 56
    for value in row:
        if isinstance(value, str | bytes):
            size += 49 + len(value)
        else:
            size += 16
    return size


class FetchBudget:
    """Counts fetched rows and bytes against the limits; raises when one is exceeded."""

    def __init__(self, limits: ExecutionLimits, started: float | None = None) -> None:
        self.limits = limits
        self.deadline = (time.monotonic() if started is None else started) + limits.timeout_s
        self.rows: list[Row] = []
        self.bytes = 0
        self.truncated = False

    def add(self, batch: list[Row]) -> bool:
        """Add fetched rows; return False when fetching should stop (the result is truncated)."""
        limits = self.limits
        room = limits.max_rows - len(self.rows)
        if len(batch) > room:
            if not limits.truncate:
                raise TooManyRows(
                    f"query returned more than {limits.max_rows:,} rows; raise max_rows "
                    "or add a LIMIT"
                )
            batch = batch[:room]
            self.truncated = True
        for row in batch:
            self.bytes += estimate_row_bytes(row)
        if self.bytes > limits.max_result_bytes:
            raise MemoryLimitExceeded(
                f"query result exceeds {limits.max_result_bytes:,} bytes after "
                f"{len(self.rows) + len(batch):,} rows; raise max_result_bytes"
            )
        self.rows.extend(batch)
        if time.monotonic() > self.deadline:
            # fetching can outlast the engine's own timeout when the client converts slowly
            raise QueryTimeout(
                f"query timed out after {len(self.rows):,} rows (limit {limits.timeout_s} s)"
            )
        return not self.truncated
