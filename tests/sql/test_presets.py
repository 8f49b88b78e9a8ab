"""Presets: the rewrites and comparisons of default, tse and bird, on a real SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from evalgauge.errors import ConfigError
from evalgauge.scorers.sql import ExecutionSession, get_preset
from evalgauge.scorers.sql._presets import remove_distinct
from tests._env import require_file, shared_data_dir

PREDICTIONS = "c3sql_gpt-3.5-turbo_dev_predicted_sql.txt"


@pytest.fixture
def pets(tmp_path: Path) -> Path:
    path = tmp_path / "pets" / "pets.sqlite"
    path.parent.mkdir()
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE pet (id INTEGER, kind TEXT, age INTEGER, weight REAL)")
    connection.executemany(
        "INSERT INTO pet VALUES (?, ?, ?, ?)",
        [(1, "dog", 3, 12.5), (2, "cat", 5, 4.0), (3, "dog", 1, 8.25), (4, "cat", 5, 3.5)],
    )
    connection.commit()
    connection.close()
    return path


def _verdict(preset: str, gold: str, pred: str, db: Path) -> str:
    session = ExecutionSession(get_preset(preset))
    try:
        return session.evaluate(gold, pred, [db]).kind
    finally:
        session.close()


def test_tse_rewrites() -> None:
    tse = get_preset("tse")
    assert tse.prepare_prediction("SELECT a FROM t WHERE b > = 2") == "SELECT a FROM t WHERE b >= 2"
    assert tse.prepare_prediction("SELECT DISTINCT a FROM t") == "SELECT  a FROM t"
    assert tse.prepare_prediction("SELECT value FROM t") == "SELECT 1 FROM t"
    assert tse.prepare_gold("SELECT value FROM t") == "SELECT value FROM t"
    assert tse.prepare_gold("SELECT YEAR(CURDATE()) - 1") == "SELECT 2020- 1"


def test_tse_keeps_first_statement() -> None:
    tse = get_preset("tse")
    assert tse.prepare_prediction("SELECT 1; DROP TABLE t") == "SELECT 1; "


def test_remove_distinct_empty() -> None:
    with pytest.raises(ValueError, match="empty"):
        remove_distinct("")


def test_remove_distinct_fast_path() -> None:
    import sqlparse

    spider = shared_data_dir() / "spider-dev"
    gold = require_file(spider / "dev_gold.sql").read_text(encoding="utf-8").splitlines()
    preds = require_file(spider / "predictions" / PREDICTIONS).read_text(encoding="utf-8")
    queries = [line.split("\t")[0].strip() for line in gold] + preds.splitlines()
    queries = [q.strip() for q in queries if q.strip()]
    for query in queries:
        tokens = sqlparse.parse(query)[0].flatten()
        expected = "".join(t.value for t in tokens if t.value.lower() != "distinct")
        assert remove_distinct(query) == expected, query


def test_default_keeps_distinct(pets: Path) -> None:
    gold = "SELECT DISTINCT kind FROM pet"
    pred = "SELECT kind FROM pet"
    assert _verdict("tse", gold, pred, pets) == "match"
    assert _verdict("default", gold, pred, pets) == "mismatch"
    assert _verdict("bird", gold, pred, pets) == "match"


def test_subquery_order_by(pets: Path) -> None:
    gold = "SELECT kind FROM pet WHERE id IN (SELECT id FROM pet ORDER BY age LIMIT 3)"
    pred = "SELECT kind FROM pet WHERE id IN (1, 2, 3) ORDER BY kind DESC"
    # tse treats the inner ORDER BY as ordering the output; default reads the outer query
    assert _verdict("tse", gold, pred, pets) == "mismatch"
    assert _verdict("default", gold, pred, pets) == "match"


def test_column_order(pets: Path) -> None:
    gold = "SELECT kind, age FROM pet"
    pred = "SELECT age, kind FROM pet"
    assert _verdict("tse", gold, pred, pets) == "match"
    assert _verdict("default", gold, pred, pets) == "match"
    assert _verdict("bird", gold, pred, pets) == "mismatch"


def test_float_noise(pets: Path) -> None:
    gold = "SELECT weight * 0.1 + 0.2 FROM pet WHERE id = 2"
    pred = "SELECT 0.6 FROM pet WHERE id = 2"
    assert _verdict("default", gold, pred, pets) == "match"
    assert _verdict("tse", gold, pred, pets) == "mismatch"


def test_prediction_error_kinds(pets: Path) -> None:
    assert _verdict("default", "SELECT 1", "SELECT nope FROM pet", pets) == "prediction_error"
    assert _verdict("default", "SELECT 1", "DELETE FROM pet", pets) == "prediction_error"
    assert _verdict("default", "SELECT nope FROM pet", "SELECT 1", pets) == "gold_error"
    missing = ExecutionSession(get_preset("default")).evaluate("SELECT 1", "SELECT 1", [])
    assert missing.kind == "database_missing"


def test_unknown_preset() -> None:
    with pytest.raises(ConfigError, match="unknown SQL preset 'spider2'"):
        get_preset("spider2")
