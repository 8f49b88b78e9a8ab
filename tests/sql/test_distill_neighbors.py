"""Neighbour queries of gold SQL: edit families, literal ranges, seeds and the table rule."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from evalgauge.scorers.sql.distill._schema import read_schema
from evalgauge.scorers.sql.distill.neighbors import generate_neighbors, parse_sqlite
from tests._env import require_file, shared_data_dir

GOLD = (
    "SELECT DISTINCT T2.name, count(*), max(T2.capacity) FROM concert AS T1 JOIN stadium AS T2 "
    "ON T1.stadium_id = T2.stadium_id WHERE T1.year >= 2014 AND T2.name LIKE '%a%' "
    "AND T1.theme IN ('x', 'y') GROUP BY T1.stadium_id ORDER BY count(*) DESC LIMIT 1"
)


@pytest.fixture(scope="module")
def concert_db() -> Path:
    return require_file(
        shared_data_dir() / "spider-dev" / "database" / "concert_singer" / "concert_singer.sqlite"
    )


def test_neighbors_edit_families(concert_db: Path) -> None:
    edits = {n.edit for n in generate_neighbors(GOLD, read_schema(concert_db), seed=0)}
    expected = {
        "drop predicate",
        "drop where",
        "drop column",
        "drop join condition",
        "drop DISTINCT",
        "drop ORDER",
        "drop LIMIT",
        "swap aggregate",
        "swap comparison",
        "swap AND/OR",
        "swap ASC/DESC",
        "swap NOT LIKE",
        "swap NOT IN",
        "swap column",
        "perturb number",
        "perturb string",
    }
    assert expected <= edits, expected - edits


def test_neighbors_arithmetic_swap() -> None:
    edits = {n.sql for n in generate_neighbors("SELECT a + b FROM t", seed=0)}
    assert {"SELECT a - b FROM t", "SELECT a * b FROM t", "SELECT a / b FROM t"} <= edits


def test_neighbors_keep_table_names(concert_db: Path) -> None:
    gold_tables = {t.name for t in sqlglot.parse_one(GOLD, read="sqlite").find_all(exp.Table)}
    for neighbor in generate_neighbors(GOLD, read_schema(concert_db), seed=3):
        tree = sqlglot.parse_one(neighbor.sql, read="sqlite")
        assert {t.name for t in tree.find_all(exp.Table)} == gold_tables, neighbor.sql


def test_neighbors_distinct_from_gold(concert_db: Path) -> None:
    neighbors = generate_neighbors(GOLD, read_schema(concert_db), seed=0)
    regenerated = parse_sqlite(GOLD).sql(dialect="sqlite")
    sqls = [n.sql for n in neighbors]
    assert len(sqls) == len(set(sqls))
    assert regenerated not in sqls


def test_neighbors_seeded() -> None:
    first = generate_neighbors("SELECT * FROM t WHERE a > 40", seed=7)
    again = generate_neighbors("SELECT * FROM t WHERE a > 40", seed=7)
    other = generate_neighbors("SELECT * FROM t WHERE a > 40", seed=8)
    assert first == again
    assert {n.sql for n in first} != {n.sql for n in other}


def test_int_literal_range() -> None:
    values = set()
    for neighbor in generate_neighbors("SELECT * FROM t WHERE a > 40", seed=1):
        if neighbor.edit == "perturb number":
            match = re.search(r"> (-?\d+)$", neighbor.sql)
            assert match is not None, neighbor.sql
            values.add(int(match.group(1)))
    assert {39, 41} <= values
    assert all(-41 <= v <= 41 for v in values - {39, 41})
    assert len(values) > 5


def test_negative_literal_perturbed() -> None:
    sqls = {n.sql for n in generate_neighbors("SELECT * FROM t WHERE a > -5", seed=1)}
    assert "SELECT * FROM t WHERE a > -4" in sqls
    assert "SELECT * FROM t WHERE a > -6" in sqls


def test_double_quoted_string_literal(concert_db: Path) -> None:
    gold = 'SELECT name FROM singer WHERE country = "France"'
    neighbors = generate_neighbors(gold, read_schema(concert_db), seed=0)
    strings = {n.sql for n in neighbors if n.edit == "perturb string"}
    assert "SELECT name FROM singer WHERE country = '%France%'" in strings
    assert "SELECT name FROM singer WHERE country = 'Franc'" in strings


def test_or_swap_keeps_precedence() -> None:
    gold = "SELECT a FROM t WHERE a = 1 AND b = 2 AND c = 3"
    swapped = [n.sql for n in generate_neighbors(gold, seed=0) if n.edit == "swap AND/OR"]
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (a, b, c)")
    conn.execute("INSERT INTO t VALUES (1, 0, 0)")
    results = {sql: conn.execute(sql).fetchall() for sql in swapped}
    # (a = 1 OR b = 2) AND c = 3 excludes the row; a = 1 OR (b = 2 AND c = 3) would keep it
    inner = next(sql for sql in swapped if "(" in sql)
    assert results[inner] == []


def test_asc_desc_keeps_sqlite_null_order() -> None:
    sqls = [n.sql for n in generate_neighbors("SELECT a FROM t ORDER BY a DESC", seed=0)]
    assert "SELECT a FROM t ORDER BY a ASC" in sqls
