"""Spider hardness from SQL text (sqlglot) against Spider's own parse trees in dev.json."""

from __future__ import annotations

import json

import pytest

from evalgauge.scorers.sql import hardness, hardness_from_tree, query_features
from tests._env import require_file, shared_data_dir


def test_hardness_matches_dev_trees() -> None:
    dev = json.loads(require_file(shared_data_dir() / "spider-dev" / "dev.json").read_text())
    assert len(dev) == 1034
    wrong = [
        f"#{i} tree {hardness_from_tree(q['sql'])}, sqlglot {hardness(q['query'])}"
        for i, q in enumerate(dev)
        if hardness_from_tree(q["sql"]) != hardness(q["query"])
    ]
    assert not wrong, "; ".join(wrong[:20])


def test_hardness_levels_spread() -> None:
    dev = json.loads(require_file(shared_data_dir() / "spider-dev" / "dev.json").read_text())
    levels = [hardness_from_tree(q["sql"]) for q in dev]
    # Spider's published dev split: 248 easy, 446 medium, 174 hard, 166 extra
    assert levels.count("easy") == 248
    assert levels.count("medium") == 446
    assert levels.count("hard") == 174
    assert levels.count("extra") == 166


@pytest.mark.parametrize(
    ("sql", "level"),
    [
        ("SELECT count(*) FROM singer", "easy"),
        ("SELECT name, country, age FROM singer ORDER BY age DESC", "medium"),
        (
            "SELECT T2.name FROM singer_in_concert AS T1 JOIN singer AS T2 ON T1.singer_id = "
            "T2.singer_id JOIN concert AS T3 ON T1.concert_id = T3.concert_id WHERE T3.year = 2014",
            "hard",
        ),
        (
            "SELECT name FROM stadium WHERE stadium_id NOT IN (SELECT stadium_id FROM concert)",
            "hard",
        ),
        (
            "SELECT country FROM singer WHERE age > 40 INTERSECT SELECT country FROM singer "
            "WHERE age < 30",
            "hard",
        ),
        (
            "SELECT country FROM singer WHERE age > 40 AND name LIKE '%a%' INTERSECT "
            "SELECT country FROM singer WHERE age < 30",
            "extra",
        ),
    ],
)
def test_hardness_examples(sql: str, level: str) -> None:
    assert hardness(sql) == level


def test_hardness_unparsable() -> None:
    assert hardness("SELECT FROM (") is None


def test_query_features() -> None:
    sql = (
        "SELECT T1.name, count(*) FROM a AS T1 JOIN b AS T2 ON T1.id = T2.id "
        "WHERE T1.x IN (SELECT x FROM c) GROUP BY T1.name ORDER BY count(*)"
    )
    assert query_features(sql) == ["join", "grouping", "nesting", "ordering"]
    assert query_features("SELECT a FROM t UNION SELECT b FROM u") == ["set_operation"]
    assert query_features("SELECT a FROM t") == []
