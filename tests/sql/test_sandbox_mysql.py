"""The MySQL/MariaDB executor against the server on 127.0.0.1:3306, as a SELECT-only user."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing

import pymysql
import pytest

from evalgauge.scorers.sql import (
    EngineError,
    ExecutionLimits,
    MultipleStatements,
    MysqlExecutor,
    QueryTimeout,
    SqlExecutionError,
    TooManyRows,
)
from tests._env import skip_or_fail

DATABASE = "evalgauge_sandbox_test"
READER = "evalgauge_reader"


def _admin() -> pymysql.connections.Connection:  # type: ignore[type-arg]
    return pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", autocommit=True)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    try:
        admin = _admin()
    except pymysql.Error as exc:
        skip_or_fail(f"MariaDB/MySQL not reachable at 127.0.0.1:3306: {exc}")
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        cursor.execute(f"CREATE DATABASE {DATABASE}")
        cursor.execute(f"CREATE TABLE {DATABASE}.t (x INT)")
        cursor.executemany(f"INSERT INTO {DATABASE}.t VALUES (%s)", [(i,) for i in range(2000)])
        cursor.execute(f"DROP USER IF EXISTS '{READER}'@'%'")
        cursor.execute(f"CREATE USER '{READER}'@'%'")
        cursor.execute(f"GRANT SELECT ON {DATABASE}.* TO '{READER}'@'%'")
    yield DATABASE
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        cursor.execute(f"DROP USER IF EXISTS '{READER}'@'%'")
    admin.close()


def _checksum() -> tuple[int, int]:
    with _admin() as admin, admin.cursor() as cursor:
        cursor.execute(f"SELECT count(*), sum(x) FROM {DATABASE}.t")
        count, total = cursor.fetchone()
    return int(count), int(total)


def _reader(**kwargs: object) -> MysqlExecutor:
    return MysqlExecutor(user=READER, database=DATABASE, **kwargs)  # type: ignore[arg-type]


def test_writer_account_refused(server: str) -> None:
    with pytest.raises(EngineError, match="granted only SELECT"):
        MysqlExecutor(user="root", database=server)


@pytest.mark.parametrize("guard", [True, False])
@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM t",
        "DROP TABLE t",
        "CREATE TABLE z (x INT)",
        "CREATE TEMPORARY TABLE z (x INT)",
        "SELECT * FROM t INTO OUTFILE '/tmp/evalgauge_out'",
        "LOCK TABLES t WRITE",
    ],
)
def test_write_rejected(server: str, sql: str, guard: bool) -> None:
    before = _checksum()
    with closing(_reader(guard=guard)) as executor:
        with pytest.raises(SqlExecutionError) as caught:
            executor.execute(sql)
        assert caught.value.kind in ("write_rejected", "engine_error")
        assert _checksum() == before


def test_multiple_statements_rejected(server: str) -> None:
    with closing(_reader(guard=False)) as executor:
        with pytest.raises(MultipleStatements):
            executor.execute("SELECT 1; DELETE FROM t")
        assert executor.execute("SELECT count(*) FROM t").rows == [(2000,)]


def test_server_detected(server: str) -> None:
    with closing(_reader()) as executor:
        version = executor.execute("SELECT VERSION()").rows[0][0]
        assert executor.mariadb == ("mariadb" in version.lower())


def test_timeout_kills(server: str) -> None:
    with closing(_reader(limits=ExecutionLimits(timeout_s=0.5))) as executor:
        started = time.monotonic()
        with pytest.raises(QueryTimeout):
            executor.execute("SELECT count(*) FROM t a, t b, t c")
        assert time.monotonic() - started < 1.0
        assert executor.execute("SELECT count(*) FROM t").rows == [(2000,)]


def test_row_cap(server: str) -> None:
    with closing(_reader(limits=ExecutionLimits(max_rows=10_000))) as executor:
        started = time.monotonic()
        with pytest.raises(TooManyRows):
            executor.execute("SELECT * FROM t a, t b")
        assert time.monotonic() - started < 2.0
        assert executor.execute("SELECT max(x) FROM t").rows == [(1999,)]


def test_syntax_error_kind(server: str) -> None:
    with closing(_reader(guard=False)) as executor:
        with pytest.raises(SqlExecutionError) as caught:
            executor.execute("SELEC 1")
        assert caught.value.kind == "syntax"
        assert executor.execute("SELECT ';' AS x").rows == [(";",)]
