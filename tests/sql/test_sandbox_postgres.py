"""The PostgreSQL executor against the server on 127.0.0.1:5432, in a database it creates."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing

import psycopg
import pytest

from evalgauge.scorers.sql import (
    ExecutionLimits,
    MultipleStatements,
    PostgresExecutor,
    QueryTimeout,
    TooManyRows,
    WriteRejected,
)
from tests._env import skip_or_fail

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "evalgauge_sandbox_test"
URL = f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    try:
        admin = psycopg.connect(ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        skip_or_fail(f"PostgreSQL not reachable at 127.0.0.1:5432: {exc}")
    with admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    with psycopg.connect(URL, autocommit=True) as connection:
        connection.execute("CREATE TABLE t AS SELECT generate_series(1, 2000) AS x")
        connection.execute("CREATE SEQUENCE s")
    yield URL
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def _count(url: str) -> int:
    with psycopg.connect(url) as connection:
        row = connection.execute("SELECT count(*), sum(x) FROM t").fetchone()
        assert row is not None
        return int(row[0]) * 10_000_000 + int(row[1] or 0)


@pytest.mark.parametrize("guard", [True, False])
@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM t",
        "DROP TABLE t",
        "CREATE TABLE z (x int)",
        "WITH d AS (DELETE FROM t RETURNING x) SELECT * FROM d",
        "SELECT nextval('s')",
        "SELECT set_config('transaction_read_only', 'off', true)",
    ],
)
def test_write_rejected(server: str, sql: str, guard: bool) -> None:
    before = _count(server)
    with closing(PostgresExecutor(server, guard=guard)) as executor:
        with pytest.raises((WriteRejected, MultipleStatements)) as caught:
            executor.execute(sql)
        assert caught.value.kind in ("write_rejected", "syntax", "multiple_statements")
        assert _count(server) == before


def test_multiple_statements_rejected(server: str) -> None:
    with closing(PostgresExecutor(server, guard=False)) as executor:
        with pytest.raises(MultipleStatements):
            executor.execute("SELECT 1; DELETE FROM t")
        assert executor.execute("SELECT count(*) FROM t").rows == [(2000,)]


def test_timeout_cancels(server: str) -> None:
    with closing(PostgresExecutor(server, ExecutionLimits(timeout_s=0.5))) as executor:
        started = time.monotonic()
        with pytest.raises(QueryTimeout):
            executor.execute("SELECT pg_sleep(10)")
        assert time.monotonic() - started < 1.0
        assert executor.execute("SELECT count(*) FROM t").rows == [(2000,)]


def test_row_cap(server: str) -> None:
    with closing(PostgresExecutor(server, ExecutionLimits(max_rows=10_000))) as executor:
        with pytest.raises(TooManyRows):
            executor.execute("SELECT * FROM t a, t b")
        assert executor.execute("SELECT max(x) FROM t").rows == [(2000,)]
