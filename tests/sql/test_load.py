"""Loading loosely typed SQLite files into PostgreSQL and MariaDB, and transpiling for them."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from evalgauge.scorers.sql._load import Engine, LoadReport, load_sqlite, transpile_for
from evalgauge.scorers.sql.distill._schema import read_schema
from evalgauge.scorers.sql.distill.suite import sha256_file
from tests._env import skip_or_fail

SERVER_URLS = {
    "postgres": "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    "mysql": "mysql+pymysql://root@127.0.0.1:3306/",
}
LOOSE_DDL = """
CREATE TABLE "People" (
    "Id" INTEGER PRIMARY KEY,
    "Age" INTEGER,
    "Score" INTEGER,
    "Height" REAL,
    "Code" VARCHAR(3),
    "Joined" DATETIME,
    "Active" BOOLEAN,
    "Extra",
    "Photo" BLOB
);
CREATE TABLE "Tags" ("Name" TEXT PRIMARY KEY, "Weight" NUMERIC);
"""
PEOPLE = [
    (1, 30, "12", 1.8, "abc", "2020-01-02 03:04:05", 1, 7, b"\x00\x01"),
    (2, "", "x7", "1.65", "abcdef", "not a date", 0, 8, None),
    (4, 41, "0x10", 1.0, "a", None, 1, None, None),
    (3, None, 5, 2, None, None, 1, None, None),
]
TAGS = [("red", 1), ("Red", 2.5)]


@pytest.fixture(scope="module")
def loose_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("load") / "loose.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(LOOSE_DDL)
        conn.executemany("INSERT INTO People VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", PEOPLE)
        conn.executemany("INSERT INTO Tags VALUES (?, ?)", TAGS)
    conn.close()
    return path


def _load(path: Path, engine: Engine) -> LoadReport:
    try:
        return load_sqlite(path, SERVER_URLS[engine], "evalgauge_load_test", engine=engine)
    except sa.exc.OperationalError as error:
        skip_or_fail(f"{engine} server on 127.0.0.1 not reachable: {error}")
        raise


def _rows(report: LoadReport, sql: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(report.url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def _changes(report: LoadReport) -> dict[tuple[str, str], Any]:
    return {(c.table, c.column): c for c in report.changes}


@pytest.mark.parametrize("engine", ["postgres", "mysql"])
def test_load_converts_loose_values(loose_db: Path, engine: Engine) -> None:
    report = _load(loose_db, engine)
    assert report.rows == {"people": 4, "tags": 2}
    rows = _rows(report, "SELECT id, age, score, height, code FROM people ORDER BY id")
    assert rows[0] == (1, 30, "12", 1.8, "abc")
    assert rows[1] == (2, None, "x7", 1.65, "abcdef")
    assert rows[2][3] == 2.0


@pytest.mark.parametrize("engine", ["postgres", "mysql"])
def test_load_records_changes(loose_db: Path, engine: Engine) -> None:
    changes = _changes(_load(loose_db, engine))
    assert "empty strings" in changes[("People", "Age")].reason
    assert changes[("People", "Age")].loaded_as == "BIGINT"
    assert changes[("People", "Score")].loaded_as == "TEXT"
    assert "'0x10'" in changes[("People", "Score")].reason
    assert "'x7'" in changes[("People", "Score")].reason
    # SQLite's REAL affinity already stored "1.65" as a number
    assert ("People", "Height") not in changes
    assert "widened" in changes[("People", "Code")].reason
    assert "date kept as text" in changes[("People", "Joined")].reason
    assert "0/1" in changes[("People", "Active")].reason
    assert "integers found" in changes[("People", "Extra")].reason
    assert ("People", "Photo") not in changes


def test_load_mysql_case_insensitive_key(loose_db: Path) -> None:
    changes = _changes(_load(loose_db, "mysql"))
    assert changes[("Tags", "name")].loaded_as == "no key"
    assert "duplicate key" in changes[("Tags", "name")].reason


def test_load_postgres_keeps_key(loose_db: Path) -> None:
    report = _load(loose_db, "postgres")
    assert ("Tags", "name") not in _changes(report)
    keys = _rows(
        report,
        "SELECT count(*) FROM information_schema.table_constraints "
        "WHERE table_name = 'tags' AND constraint_type = 'PRIMARY KEY'",
    )
    assert keys == [(1,)]


def test_load_keeps_zero_key(tmp_path: Path) -> None:
    path = tmp_path / "zero.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        conn.executemany("INSERT INTO t VALUES (?, ?)", [(0, "a"), (1, "b")])
    conn.close()
    report = _load(path, "mysql")
    assert _rows(report, "SELECT id, v FROM t ORDER BY id") == [(0, "a"), (1, "b")]


def test_load_leaves_source_untouched(loose_db: Path) -> None:
    before = sha256_file(loose_db)
    _load(loose_db, "postgres")
    assert sha256_file(loose_db) == before


def test_load_rejects_unsafe_name(loose_db: Path) -> None:
    with pytest.raises(ValueError, match="must match"):
        load_sqlite(loose_db, SERVER_URLS["postgres"], "bad; name", engine="postgres")


def test_transpile_double_quoted_string(loose_db: Path) -> None:
    schema = read_schema(loose_db)
    sql = 'SELECT "Code" FROM People WHERE "Code" = "abc"'
    assert (
        transpile_for(sql, "postgres", schema)
        == """SELECT "code" FROM people WHERE "code" = 'abc'"""
    )
    assert transpile_for(sql, "mysql", schema) == "SELECT `code` FROM people WHERE `code` = 'abc'"


def test_transpile_concat_and_nulls() -> None:
    sql = "SELECT a || b FROM T ORDER BY a DESC"
    assert transpile_for(sql, "mysql") == "SELECT CONCAT(a, b) FROM t ORDER BY a DESC"
    assert transpile_for(sql, "postgres") == "SELECT a || b FROM t ORDER BY a DESC NULLS LAST"
