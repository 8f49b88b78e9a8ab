"""Schema reading and random instances of Spider databases: keys, NOT NULL, foreign keys."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from evalgauge.scorers.sql.distill._schema import (
    add_spider_foreign_keys,
    column_kind,
    read_schema,
)
from evalgauge.scorers.sql.distill.fuzz import (
    FuzzConfig,
    collect_pools,
    generate_rows,
    write_instance,
)
from tests._env import require_file, shared_data_dir


def _spider_db(db_id: str) -> Path:
    return require_file(shared_data_dir() / "spider-dev" / "database" / db_id / f"{db_id}.sqlite")


def _instance(db_id: str, tmp_path: Path, seed: int, queries: list[str] | None = None) -> Path:
    source = _spider_db(db_id)
    schema = read_schema(source)
    pools = collect_pools(source, schema, queries or [])
    rows = generate_rows(schema, pools, random.Random(seed), FuzzConfig(max_rows=60))
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / f"{db_id}_{seed}.sqlite"
    write_instance(path, schema, rows)
    return path


def test_schema_keys_concert_singer() -> None:
    schema = read_schema(_spider_db("concert_singer"))
    pairs = schema.tables["singer_in_concert"]
    assert pairs.primary_key == ["concert_ID", "Singer_ID"]
    assert {(fk.column, fk.parent) for fk in pairs.foreign_keys} == {
        ("concert_ID", "concert"),
        ("Singer_ID", "singer"),
    }
    order = schema.fill_order()
    assert order.index("stadium") < order.index("concert") < order.index("singer_in_concert")


def test_schema_unique_and_not_null() -> None:
    car = read_schema(_spider_db("car_1"))
    assert ["Model"] in car.tables["model_list"].unique
    world = read_schema(_spider_db("world_1"))
    city = world.tables["city"]
    name = city.column("Name")
    assert name is not None
    assert name.not_null


def test_spider_foreign_keys_added(shared_data: Path) -> None:
    schema = read_schema(_spider_db("pets_1"))
    before = sum(len(t.foreign_keys) for t in schema.tables.values())
    added = add_spider_foreign_keys(schema, shared_data / "spider-dev" / "tables.json", "pets_1")
    after = sum(len(t.foreign_keys) for t in schema.tables.values())
    assert after == before + added


@pytest.mark.parametrize(
    ("declared", "kind"),
    [("INTEGER", "int"), ("float(10,2)", "float"), ("char(35)", "text"), ("bool", "bool"),
     ("DATETIME", "date"), ("", "any")],
)  # fmt: skip
def test_column_kind(declared: str, kind: str) -> None:
    assert column_kind(declared) == kind


@pytest.mark.parametrize("db_id", ["world_1", "car_1", "concert_singer", "pets_1"])
def test_instance_respects_keys(db_id: str, tmp_path: Path) -> None:
    path = _instance(db_id, tmp_path, seed=5)
    schema = read_schema(_spider_db(db_id))
    conn = sqlite3.connect(path)
    for table in schema.tables.values():
        quoted = f'"{table.name}"'
        count = conn.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0]
        assert count >= 1, table.name
        if table.primary_key:
            key = ", ".join(f'"{c}"' for c in table.primary_key)
            distinct = conn.execute(f"SELECT count(*) FROM (SELECT DISTINCT {key} FROM {quoted})")
            assert distinct.fetchone()[0] == count, table.name
        for column in table.columns:
            if column.not_null or column.primary_key:
                nulls = conn.execute(f'SELECT count(*) FROM {quoted} WHERE "{column.name}" IS NULL')
                assert nulls.fetchone()[0] == 0, (table.name, column.name)
    conn.close()


@pytest.mark.parametrize("db_id", ["world_1", "car_1", "concert_singer"])
def test_instance_foreign_keys_hold(db_id: str, tmp_path: Path) -> None:
    path = _instance(db_id, tmp_path, seed=11)
    schema = read_schema(_spider_db(db_id))
    conn = sqlite3.connect(path)
    checked = 0
    for table in schema.tables.values():
        for fk in table.foreign_keys:
            parent = schema.table(fk.parent)
            assert parent is not None
            parent_column = fk.parent_column or parent.primary_key[0]
            orphans = conn.execute(
                f'SELECT count(*) FROM "{table.name}" WHERE "{fk.column}" IS NOT NULL AND '
                f'"{fk.column}" NOT IN (SELECT "{parent_column}" FROM "{parent.name}")'
            ).fetchone()[0]
            assert orphans == 0, (table.name, fk)
            checked += 1
    assert checked > 0
    conn.close()


def test_instance_seeded(tmp_path: Path) -> None:
    first = _instance("concert_singer", tmp_path / "a", seed=3)
    again = _instance("concert_singer", tmp_path / "b", seed=3)
    other = _instance("concert_singer", tmp_path / "c", seed=4)

    def dump(path: Path) -> list[str]:
        with sqlite3.connect(path) as conn:
            return list(conn.iterdump())

    assert dump(first) == dump(again)
    assert dump(first) != dump(other)


def test_pools_hold_query_literals() -> None:
    source = _spider_db("concert_singer")
    schema = read_schema(source)
    pools = collect_pools(source, schema, ["SELECT name FROM singer WHERE age > 41"])
    assert {40, 41, 42} <= pools.literals["age"]
    like = collect_pools(source, schema, ["SELECT name FROM singer WHERE name LIKE '%Hey%'"])
    assert "Hey" in like.literals["name"]
    assert "xHeyy" in like.literals["name"]


def test_instance_uses_literals(tmp_path: Path) -> None:
    query = "SELECT name FROM singer WHERE country = 'Atlantis'"
    hits = 0
    for seed in range(8):
        path = _instance("concert_singer", tmp_path, seed, [query])
        with sqlite3.connect(path) as conn:
            hits += conn.execute(
                "SELECT count(*) FROM singer WHERE country = 'Atlantis'"
            ).fetchone()[0]
    assert hits > 0


def test_numeric_text_literal_used(tmp_path: Path) -> None:
    query = "SELECT name FROM singer WHERE age = '777'"
    hits = 0
    for seed in range(8):
        path = _instance("concert_singer", tmp_path, seed, [query])
        with sqlite3.connect(path) as conn:
            hits += conn.execute("SELECT count(*) FROM singer WHERE age = 777").fetchone()[0]
    assert hits > 0
