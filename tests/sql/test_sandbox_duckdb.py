"""The DuckDB executor on a database file built by the test."""

from __future__ import annotations

import time
from contextlib import closing
from pathlib import Path

import duckdb
import pytest

from evalgauge.scorers.sql import (
    DuckdbExecutor,
    ExecutionLimits,
    MultipleStatements,
    QueryTimeout,
    SqlSyntaxError,
    TooManyRows,
    WriteRejected,
)
from tests.sql._sql_helpers import file_digest


@pytest.fixture
def numbers(tmp_path: Path) -> Path:
    path = tmp_path / "numbers.duckdb"
    connection = duckdb.connect(str(path))
    connection.execute("CREATE TABLE t AS SELECT range AS x, range % 7 AS y FROM range(2000)")
    connection.close()
    return path


@pytest.mark.parametrize("guard", [True, False])
@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM t",
        "UPDATE t SET x = 0",
        "INSERT INTO t VALUES (1, 1)",
        "DROP TABLE t",
        "CREATE TEMP TABLE z AS SELECT 1",
        "ATTACH ':memory:' AS other",
        "SET memory_limit = '10GB'",
        "COPY t TO 'out.csv'",
        "SELECT * FROM read_csv('/etc/hostname')",
        "INSTALL httpfs",
        "CHECKPOINT",
    ],
)
def test_write_rejected(numbers: Path, sql: str, guard: bool) -> None:
    before = file_digest(numbers)
    with closing(DuckdbExecutor(numbers, guard=guard)) as executor:
        with pytest.raises(WriteRejected) as caught:
            executor.execute(sql)
        assert caught.value.kind == "write_rejected"
        assert file_digest(numbers) == before


@pytest.mark.parametrize("guard", [True, False])
def test_multiple_statements_rejected(numbers: Path, guard: bool) -> None:
    with pytest.raises(MultipleStatements):
        DuckdbExecutor(numbers, guard=guard).execute("SELECT 1; SELECT 2")


def test_timeout_interrupts(numbers: Path) -> None:
    with closing(DuckdbExecutor(numbers, ExecutionLimits(timeout_s=0.5))) as executor:
        started = time.monotonic()
        with pytest.raises(QueryTimeout):
            executor.execute("SELECT count(*) FROM t a, t b, t c, t d")
        assert time.monotonic() - started < 1.0
        assert executor.execute("SELECT count(*) FROM t").rows == [(2000,)]


def test_row_cap(numbers: Path) -> None:
    executor = DuckdbExecutor(numbers, ExecutionLimits(max_rows=10_000))
    with closing(executor), pytest.raises(TooManyRows):
        executor.execute("SELECT * FROM t a, t b")


def test_result_and_syntax(numbers: Path) -> None:
    with closing(DuckdbExecutor(numbers)) as executor:
        result = executor.execute("SELECT y, count(*) AS n FROM t GROUP BY y ORDER BY y LIMIT 2")
        assert result.columns == ("y", "n")
        assert result.rows == [(0, 286), (1, 286)]
        with pytest.raises(SqlSyntaxError):
            executor.execute("SELECT FROM WHERE (")
