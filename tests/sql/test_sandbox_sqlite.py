"""The SQLite executor: read-only guards, deadline, row and byte limits, on real Spider files."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from evalgauge.scorers.sql import (
    DatabaseMissing,
    ExecutionLimits,
    MemoryLimitExceeded,
    MultipleStatements,
    QueryTimeout,
    SqliteExecutor,
    SqlSyntaxError,
    TooManyRows,
    WriteRejected,
)
from tests.sql._sql_helpers import copy_spider_db, file_digest

ENDLESS = "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r"


@pytest.fixture
def world(tmp_path: Path) -> Path:
    return copy_spider_db("world_1", tmp_path)


@pytest.mark.parametrize("guard", [True, False])
@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM city",
        "UPDATE city SET Population = 0",
        "INSERT INTO city (Name) VALUES ('x')",
        "DROP TABLE city",
        "CREATE TABLE t (x)",
        "ATTACH DATABASE ':memory:' AS other",
        "PRAGMA writable_schema = 1",
        "SELECT load_extension('libm')",
        "SELECT * FROM pragma_table_info('city')",
    ],
)
def test_write_rejected(world: Path, sql: str, guard: bool) -> None:
    before = file_digest(world)
    executor = SqliteExecutor(world, guard=guard)
    with pytest.raises(WriteRejected) as caught:
        executor.execute(sql)
    executor.close()
    assert caught.value.kind == "write_rejected"
    assert "rejected" in str(caught.value)
    assert file_digest(world) == before


@pytest.mark.parametrize("guard", [True, False])
def test_multiple_statements_rejected(world: Path, guard: bool) -> None:
    executor = SqliteExecutor(world, guard=guard)
    with pytest.raises(MultipleStatements):
        executor.execute("SELECT 1; DELETE FROM city")
    assert executor.execute("SELECT count(*) FROM city").rows == [(4079,)]


def test_read_only_connection(world: Path) -> None:
    executor = SqliteExecutor(world, guard=False)
    # the authorizer is the first wall; the connection itself is mode=ro and query_only
    executor._connection.set_authorizer(None)
    with pytest.raises(sqlite3.OperationalError, match=r"readonly|read-only"):
        executor._connection.execute("DELETE FROM city")


@pytest.mark.parametrize("guard", [True, False])
def test_timeout_interrupts(world: Path, guard: bool) -> None:
    executor = SqliteExecutor(world, ExecutionLimits(timeout_s=0.5), guard=guard)
    started = time.monotonic()
    with pytest.raises(QueryTimeout) as caught:
        executor.execute(ENDLESS)
    assert time.monotonic() - started < 1.0
    assert caught.value.kind == "timeout"
    # the connection stays usable after an interrupt
    assert executor.execute("SELECT count(*) FROM country").rows == [(239,)]


def test_row_cap(world: Path) -> None:
    executor = SqliteExecutor(world, ExecutionLimits(max_rows=1000))
    with pytest.raises(TooManyRows, match="more than 1,000 rows"):
        executor.execute("SELECT * FROM city")


def test_row_cap_truncates(world: Path) -> None:
    executor = SqliteExecutor(world, ExecutionLimits(max_rows=1000, truncate=True))
    result = executor.execute("SELECT ID FROM city ORDER BY ID")
    assert result.truncated
    assert len(result.rows) == 1000
    assert result.rows[-1] == (1000,)


def test_byte_cap(world: Path) -> None:
    executor = SqliteExecutor(world, ExecutionLimits(max_result_bytes=100_000))
    with pytest.raises(MemoryLimitExceeded) as caught:
        executor.execute("SELECT * FROM city")
    assert caught.value.kind == "memory"


def test_huge_value_rejected(world: Path) -> None:
    executor = SqliteExecutor(world, ExecutionLimits(memory_bytes=10_000_000))
    with pytest.raises(MemoryLimitExceeded):
        executor.execute("SELECT zeroblob(50000000)")


def test_syntax_error_kind(world: Path) -> None:
    executor = SqliteExecutor(world, guard=False)
    with pytest.raises(SqlSyntaxError) as caught:
        executor.execute("SELECT FROM WHERE")
    assert caught.value.kind == "syntax"


def test_result_columns_and_time(world: Path) -> None:
    executor = SqliteExecutor(world)
    result = executor.execute("SELECT Code, Name FROM country ORDER BY Code LIMIT 2")
    assert result.columns == ("Code", "Name")
    assert result.rows == [("ABW", "Aruba"), ("AFG", "Afghanistan")]
    assert not result.truncated
    assert result.elapsed_s >= 0


def test_invalid_utf8_decoding(tmp_path: Path) -> None:
    path = tmp_path / "bytes.sqlite"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE t (x TEXT)")
    connection.execute("INSERT INTO t VALUES (CAST(X'61FF62' AS TEXT))")
    connection.commit()
    connection.close()
    assert SqliteExecutor(path, text_errors="ignore").execute("SELECT x FROM t").rows == [("ab",)]
    assert SqliteExecutor(path).execute("SELECT x FROM t").rows == [("a\ufffdb",)]


def test_database_missing(tmp_path: Path) -> None:
    with pytest.raises(DatabaseMissing, match="not found"):
        SqliteExecutor(tmp_path / "absent.sqlite")
    assert not (tmp_path / "absent.sqlite").exists()
