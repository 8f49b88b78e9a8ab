"""The hostile corpus on every engine: nothing changes, and every query ends within its timeout.

Each engine contains the tables of Spider's world_1: a copy of the SQLite file, a DuckDB file the
test builds, and PostgreSQL and MariaDB databases loaded with the project's loader. Queries
that must be refused run twice, with and without the sqlglot check, so the engine's own guards
are tested alone too.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pymysql
import pytest

from evalgauge.scorers.sql import (
    DuckdbExecutor,
    ExecutionLimits,
    Executor,
    MysqlExecutor,
    PostgresExecutor,
    SqlExecutionError,
    SqliteExecutor,
)
from tests._env import skip_or_fail
from tests.sql._sql_helpers import copy_spider_db, file_digest, sqlite_table_counts

CORPUS = json.loads((Path(__file__).parent / "data" / "hostile_corpus.json").read_text())["cases"]
ENGINES = ("sqlite", "duckdb", "postgres", "mysql")
LIMITS = ExecutionLimits(timeout_s=1.0, max_rows=200_000)
SLACK_S = 0.5
REJECT_KINDS = {"write_rejected", "multiple_statements", "syntax", "engine_error"}
STOP_KINDS = {"timeout", "too_many_rows", "memory"}
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MYSQL_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/"
DATABASE = "evalgauge_hostile_test"
READER = "evalgauge_hostile_reader"


@dataclass
class Target:
    """One engine's database: how to open an executor and how to fingerprint its contents."""

    open: Callable[[bool], Executor]
    fingerprint: Callable[[], Any]
    tmp: Path


def _sqlite_target(tmp: Path) -> Target:
    path = copy_spider_db("world_1", tmp)
    return Target(
        lambda guard: SqliteExecutor(path, LIMITS, guard=guard),
        lambda: (file_digest(path), sqlite_table_counts(path)),
        tmp,
    )


def _duckdb_target(tmp: Path) -> Target:
    source = copy_spider_db("world_1", tmp / "source")
    path = tmp / "world_1.duckdb"
    reader = sqlite3.connect(source)
    writer = duckdb.connect(str(path))
    for (table,) in reader.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        cursor = reader.execute(f'SELECT * FROM "{table}"')
        dump = tmp / "source" / f"{table}.csv"
        with dump.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([[d[0] for d in cursor.description], *cursor])
        writer.execute(
            f"CREATE TABLE \"{table}\" AS SELECT * FROM read_csv('{dump}', all_varchar = true)"
        )
    writer.close()
    reader.close()

    def fingerprint() -> Any:
        connection = duckdb.connect(str(path), read_only=True)
        try:
            tables = [r[0] for r in connection.execute("SHOW TABLES").fetchall()]
            counts = {
                t: connection.execute(f'SELECT count(*) FROM "{t}"').fetchall() for t in tables
            }
        finally:
            connection.close()
        return file_digest(path), counts

    return Target(lambda guard: DuckdbExecutor(path, LIMITS, guard=guard), fingerprint, tmp)


def _postgres_target(tmp: Path) -> Target:
    from evalgauge.scorers.sql._load import load_sqlite

    try:
        psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        skip_or_fail(f"PostgreSQL not reachable at 127.0.0.1:5432: {exc}")
    load_sqlite(copy_spider_db("world_1", tmp / "source"), PG_ADMIN, DATABASE, engine="postgres")
    url = f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"

    def fingerprint() -> Any:
        with psycopg.connect(url) as connection:
            tables = [
                r[0]
                for r in connection.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = 'public' ORDER BY table_name"
                )
            ]
            sums = {}
            for table in tables:
                sums[table] = connection.execute(
                    f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
                    f' FROM "{table}" t'
                ).fetchone()
        return sums

    return Target(lambda guard: PostgresExecutor(url, LIMITS, guard=guard), fingerprint, tmp)


def _mysql_admin() -> Any:
    return pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", autocommit=True)


def _mysql_target(tmp: Path) -> Target:
    from evalgauge.scorers.sql._load import load_sqlite

    try:
        _mysql_admin().close()
    except pymysql.Error as exc:
        skip_or_fail(f"MariaDB/MySQL not reachable at 127.0.0.1:3306: {exc}")
    load_sqlite(copy_spider_db("world_1", tmp / "source"), MYSQL_ADMIN, DATABASE, engine="mysql")
    with _mysql_admin() as admin, admin.cursor() as cursor:
        cursor.execute(f"DROP USER IF EXISTS '{READER}'@'%'")
        cursor.execute(f"CREATE USER '{READER}'@'%'")
        cursor.execute(f"GRANT SELECT ON {DATABASE}.* TO '{READER}'@'%'")

    def fingerprint() -> Any:
        with _mysql_admin() as admin, admin.cursor() as cursor:
            cursor.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                "ORDER BY table_name",
                (DATABASE,),
            )
            tables = [r[0] for r in cursor.fetchall()]
            sums = {}
            for table in tables:
                cursor.execute(f"CHECKSUM TABLE {DATABASE}.`{table}`")
                sums[table] = cursor.fetchone()[1]
        return sums

    def open_executor(guard: bool) -> Executor:
        return MysqlExecutor(user=READER, database=DATABASE, limits=LIMITS, guard=guard)

    return Target(open_executor, fingerprint, tmp)


_BUILDERS = {
    "sqlite": _sqlite_target,
    "duckdb": _duckdb_target,
    "postgres": _postgres_target,
    "mysql": _mysql_target,
}


@pytest.fixture(scope="module")
def targets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Target]]:
    built: dict[str, Target] = {}
    yield built
    if "postgres" in built:
        with psycopg.connect(PG_ADMIN.replace("+psycopg", ""), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    if "mysql" in built:
        with _mysql_admin() as admin, admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
            cursor.execute(f"DROP USER IF EXISTS '{READER}'@'%'")


@pytest.fixture
def target_for(
    targets: dict[str, Target], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Target]:
    def get(engine: str) -> Target:
        if engine not in targets:
            targets[engine] = _BUILDERS[engine](tmp_path_factory.mktemp(f"hostile_{engine}"))
        return targets[engine]

    return get


def _cases() -> Iterator[Any]:
    for engine in ENGINES:
        for case in CORPUS:
            if engine not in case.get("engines", ENGINES):
                continue
            guards = (True, False) if case["expect"] == "reject" else (False,)
            for guard in guards:
                label = f"{engine}-{case['id']}-{'guarded' if guard else 'engine_only'}"
                yield pytest.param(engine, case, guard, id=label)


@pytest.mark.parametrize(("engine", "case", "guard"), list(_cases()))
def test_hostile_query(
    target_for: Callable[[str], Target], engine: str, case: dict[str, Any], guard: bool
) -> None:
    target = target_for(engine)
    sql = case["sql"].format(big="city", col="Name", tmp=target.tmp)
    before = target.fingerprint()
    files_before = sorted(p.name for p in target.tmp.iterdir())
    executor = target.open(guard)
    started = time.monotonic()
    error: SqlExecutionError | None = None
    try:
        executor.execute(sql)
    except SqlExecutionError as exc:
        error = exc
    elapsed = time.monotonic() - started
    try:
        # the connection must still work after the hostile query
        assert executor.execute("SELECT count(*) FROM city").rows[0][0] == 4079
    finally:
        executor.close()
    assert elapsed <= LIMITS.timeout_s + SLACK_S, f"{case['id']} ran {elapsed:.2f} s"
    if case["expect"] == "reject":
        assert error is not None, f"{case['id']} was not rejected on {engine}"
        assert error.kind in REJECT_KINDS, f"{case['id']}: unexpected kind {error.kind}"
        assert str(error), "the error must carry a message"
    elif error is not None:
        assert error.kind in STOP_KINDS, f"{case['id']}: {error.kind}: {error}"
    assert target.fingerprint() == before
    assert sorted(p.name for p in target.tmp.iterdir()) == files_before
