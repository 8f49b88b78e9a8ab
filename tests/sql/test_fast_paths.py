"""Shortcuts that skip a parser must give what the parser gives: guard, DISTINCT, compare."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import sqlglot
import sqlparse

from evalgauge.scorers.sql._compare import _unordered_row
from evalgauge.scorers.sql._executor import SqlExecutionError
from evalgauge.scorers.sql._guard import _check, _plain_select
from evalgauge.scorers.sql._pool import _chunks
from evalgauge.scorers.sql._presets import _remove_distinct_words
from tests._env import require_file, shared_data_dir

DIALECTS = ("sqlite", "duckdb", "postgres", "mysql")
HOSTILE = Path(__file__).parent / "data" / "hostile_corpus.json"
PREDICTIONS = "c3sql_gpt-3.5-turbo_dev_predicted_sql.txt"


def _accepted(sql: str, dialect: str) -> bool:
    try:
        _check(sql, dialect)
    except SqlExecutionError:
        return False
    return True


def _keyword_soup(rng: random.Random, count: int) -> list[str]:
    """SELECT followed by random keywords of every dialect, names, literals and symbols."""
    words: set[str] = set()
    for dialect in DIALECTS:
        keywords = sqlglot.Dialect.get_or_raise(dialect).tokenizer_class.KEYWORDS
        words |= {k.split()[0].lower() for k in keywords if k.replace("_", "").isalpha()}
    pieces = [*sorted(words), "t", "1", "2.5", "'x'", "(", ")", ",", "*", "=", ".", "?", "$1"]
    texts = []
    for _ in range(count):
        body = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
        texts.append(f"SELECT {body}")
    return texts


def test_plain_select_keyword_soup() -> None:
    rng = random.Random(7)
    fast = 0
    for index, text in enumerate(_keyword_soup(rng, 1200)):
        dialect = DIALECTS[index % len(DIALECTS)]
        if _plain_select(text, dialect):
            fast += 1
            assert _accepted(text, dialect), (dialect, text)
    assert fast > 300


def test_plain_select_spider_queries() -> None:
    spider = shared_data_dir() / "spider-dev"
    gold = require_file(spider / "dev_gold.sql").read_text(encoding="utf-8").splitlines()
    preds = require_file(spider / "predictions" / PREDICTIONS).read_text(encoding="utf-8")
    queries = [line.split("\t")[0] for line in gold] + preds.splitlines()
    fast = [q for q in queries if q.strip() and _plain_select(q, "sqlite")]
    assert len(fast) > 0.8 * len(queries)
    for query in fast:
        assert _accepted(query, "sqlite"), query


def test_plain_select_hostile_corpus() -> None:
    cases = json.loads(HOSTILE.read_text(encoding="utf-8"))["cases"]
    for case in cases:
        sql = case["sql"].format(big="city", col="Name", tmp="/tmp/x")
        if _plain_select(sql, "sqlite"):
            assert _accepted(sql, "sqlite"), case["id"]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1; DROP TABLE t",
        "SELECT * FROM t -- note",
        "SELECT * FROM t /* note */",
        "WITH a AS (SELECT 1) SELECT * FROM a",
        "SELECT * INTO copy FROM t",
        "SELECT 1insert",
        "SELECT * FROM t WHERE name = 'ınsert'",
        "SELECT replace(name, 'a', 'b') FROM t",
        "select(1)",
        "VALUES (1)",
        "EXPLAIN SELECT 1",
    ],
)
def test_plain_select_leaves_to_parser(sql: str) -> None:
    assert not _plain_select(sql, "sqlite")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT DISTINCT a FROM t",
        "select distinct a, count(distinct b) from t group by a;",
        "SELECT a FROM t WHERE b = 'distinct values' AND c = 'it''s'",
        "SELECT t.distinct FROM t",
        "SELECT distinct_count FROM t",
        "SELECT xdistinct FROM t",
        "SELECT a FROM t WHERE b = 'x'DISTINCT",
        "  SELECT DISTINCT a\n\tFROM t  ",
        "SELECT 1e5distinct FROM t",
        'SELECT "distinct" FROM t',
        "SELECT a FROM t; SELECT DISTINCT b FROM t",
        "SELECT DISTINCT a FROM t -- distinct",
    ],
)
def test_remove_distinct_words_as_sqlparse(sql: str) -> None:
    removed = _remove_distinct_words(sql)
    tokens = sqlparse.parse(sql)[0].flatten()  # type: ignore[no-untyped-call]
    expected = "".join(t.value for t in tokens if t.value.lower() != "distinct")
    if removed is not None:
        assert removed == expected


def test_remove_distinct_words_leaves_joined() -> None:
    assert _remove_distinct_words("SELECT 1e5distinct FROM t") is None
    assert _remove_distinct_words('SELECT "distinct" FROM t') is None
    assert _remove_distinct_words("SELECT DISTINCT a FROM t") == "SELECT  a FROM t"


def test_chunks_one_database_each() -> None:
    small = ("a.sqlite",)
    large = tuple(f"b{i}.sqlite" for i in range(20))
    tasks = [("g", "p", small if i % 3 else large) for i in range(90)]
    chunks = _chunks(tasks, workers=2)
    assert sorted(i for chunk in chunks for i in chunk) == list(range(90))
    for chunk in chunks:
        assert len({tasks[i][2] for i in chunk}) == 1
    assert max(len(chunk) for chunk in chunks if tasks[chunk[0]][2] == large) < 30


def test_unordered_row_key() -> None:
    rows = [(1, "1", 1.0, None, b"1"), ("a!", "a", True), (3,), ()]
    for row in rows:
        expected = tuple(sorted(row, key=lambda value: str(value) + str(type(value))))
        assert _unordered_row(row) == expected
