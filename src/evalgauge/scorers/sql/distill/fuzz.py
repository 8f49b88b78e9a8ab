"""Random database instances that respect a schema, seeded from real values and query literals.

Every column draws from a pool that mixes the original database's values for that column, the
literals the gold queries compare it with (plus values close to them) and a few random values
of its kind. Each instance drops about a tenth of every pool, so values vanish as well as
appear. Foreign-key columns draw from the parent's generated values, tables fill in
dependency order, and primary keys and unique columns stay unique.
"""

from __future__ import annotations

import random
import sqlite3
import string
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp
from sqlglot.errors import SqlglotError

from evalgauge.scorers.sql.distill._schema import Column, Schema, Table
from evalgauge.scorers.sql.distill.neighbors import parse_sqlite

Value = Any
DROPOUT = 0.1
_RANDOM_VALUES = 5


@dataclass
class FuzzConfig:
    """Size limits of one random instance."""

    max_rows: int = 40
    null_rate: float = 0.05


@dataclass
class ValuePools:
    """Original values per (table, column) and query literals per lower-cased column name."""

    original: dict[tuple[str, str], list[Value]] = field(default_factory=dict)
    literals: dict[str, set[Value]] = field(default_factory=lambda: defaultdict(set))
    loose_literals: set[Value] = field(default_factory=set)


def collect_pools(db_path: Path, schema: Schema, queries: Iterable[str]) -> ValuePools:
    """Read the distinct original values of every column and the literals of `queries`."""
    pools = ValuePools()
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        conn.text_factory = lambda raw: raw.decode(errors="ignore")
        for table in schema.tables.values():
            for column in table.columns:
                sql = f"SELECT DISTINCT {_quote(column.name)} FROM {_quote(table.name)} LIMIT 500"
                values = [row[0] for row in conn.execute(sql)]
                pools.original[(table.name, column.name)] = values
    for sql in queries:
        _add_literals(pools, sql, schema)
    return pools


def _add_literals(pools: ValuePools, sql: str, schema: Schema) -> None:
    try:
        tree = parse_sqlite(sql, schema)
    except SqlglotError:
        # a gold query sqlglot cannot read adds no literals
        return
    for literal in tree.find_all(exp.Literal):
        value = _literal_value(literal)
        if value is None:
            continue
        parent = literal.parent
        if isinstance(parent, exp.Tuple):
            parent = parent.parent
        column = None
        if isinstance(parent, exp.Binary | exp.In | exp.Between):
            column = next((c for c in parent.find_all(exp.Column)), None)
        variants = _near_values(value)
        if column is not None:
            pools.literals[column.name.lower()].update(variants)
        else:
            pools.loose_literals.update(variants)


def _literal_value(literal: exp.Literal) -> Value:
    if literal.is_string:
        return literal.this
    negative = isinstance(literal.parent, exp.Neg)
    text = ("-" if negative else "") + literal.this
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return None


def _near_values(value: Value) -> set[Value]:
    """Return the literal and values near it; a LIKE pattern gives strings in and out of it."""
    if isinstance(value, bool):
        return {value}
    if isinstance(value, int):
        return {value - 1, value, value + 1}
    if isinstance(value, float):
        return {value - 0.5, value, value + 0.5}
    text = str(value)
    core = text.replace("%", "").replace("_", "")
    variants = {text, core, core.lower(), core.upper(), f"x{core}", f"{core}y", f"x{core}y"}
    if len(core) > 1:
        variants.update({core[1:], core[:-1]})
    return {v for v in variants if v != ""}


def generate_rows(
    schema: Schema, pools: ValuePools, rng: random.Random, config: FuzzConfig
) -> dict[str, list[tuple[Value, ...]]]:
    """Generate the rows of every table of `schema`, parents before children."""
    rows: dict[str, list[tuple[Value, ...]]] = {}
    for name in schema.fill_order():
        table = schema.tables[name]
        size = 1 + int(config.max_rows * rng.random() ** 2)
        rows[name] = _table_rows(schema, table, rows, pools, rng, size, config)
    return rows


def _table_rows(
    schema: Schema,
    table: Table,
    filled: dict[str, list[tuple[Value, ...]]],
    pools: ValuePools,
    rng: random.Random,
    size: int,
    config: FuzzConfig,
) -> list[tuple[Value, ...]]:
    columns: list[list[Value]] = []
    single_key = table.primary_key if len(table.primary_key) == 1 else []
    unique_single = {u[0].lower() for u in table.unique if len(u) == 1}
    for column in table.columns:
        pool = _parent_values(schema, table, column, filled)
        from_parent = pool is not None
        if pool is None:
            pool = _column_pool(table, column, pools, rng, config)
        distinct = column.name in single_key or column.name.lower() in unique_single
        if distinct:
            columns.append(_distinct_sample(pool, size, column, rng, extend=not from_parent))
        else:
            columns.append([rng.choice(pool) for _ in range(size)] if pool else [None] * size)
    length = min(len(values) for values in columns) if columns else 0
    rows = [tuple(values[i] for values in columns) for i in range(length)]
    return _drop_duplicate_keys(table, rows)


def _parent_values(
    schema: Schema, table: Table, column: Column, filled: dict[str, list[tuple[Value, ...]]]
) -> list[Value] | None:
    for fk in table.foreign_keys:
        if fk.column.lower() != column.name.lower():
            continue
        parent = schema.table(fk.parent)
        if parent is None or parent.name not in filled:
            continue
        parent_column = fk.parent_column or (parent.primary_key or [""])[0]
        names = [c.name.lower() for c in parent.columns]
        if parent_column.lower() not in names:
            continue
        position = names.index(parent_column.lower())
        values = [row[position] for row in filled[parent.name] if row[position] is not None]
        return values or [None]
    return None


def _column_pool(
    table: Table, column: Column, pools: ValuePools, rng: random.Random, config: FuzzConfig
) -> list[Value]:
    original = [v for v in pools.original.get((table.name, column.name), []) if v is not None]
    # sets iterate in an order that changes with PYTHONHASHSEED, so sort them for the seed
    compared = [
        _numeric_text(v, column) for v in _ordered(pools.literals.get(column.name.lower(), set()))
    ]
    literals = [v for v in compared if _fits(v, column)]
    loose = [v for v in _ordered(pools.loose_literals) if _fits(v, column) and rng.random() < 0.2]
    pool = original + literals + loose + _random_values(column, original, rng)
    kept = [v for v in pool if rng.random() >= DROPOUT]
    if not kept:
        kept = pool[:1]
    if not column.not_null and not column.primary_key and rng.random() < 0.5:
        nulls = max(1, int(len(kept) * config.null_rate))
        kept += [None] * nulls
    return kept


def _numeric_text(value: Value, column: Column) -> Value:
    """Read `'80000'` compared with a numeric column as the number, as SQLite's affinity does."""
    if column.kind not in ("int", "float") or not isinstance(value, str):
        return value
    try:
        return int(value)
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return value


def _ordered(values: set[Value]) -> list[Value]:
    return sorted(values, key=lambda v: (type(v).__name__, repr(v)))


def _fits(value: Value, column: Column) -> bool:
    if column.kind in ("int", "bool"):
        return isinstance(value, int)
    if column.kind == "float":
        return isinstance(value, int | float)
    if column.kind in ("text", "date"):
        return isinstance(value, str)
    return True


def _random_values(column: Column, original: list[Value], rng: random.Random) -> list[Value]:
    numbers = [v for v in original if isinstance(v, int | float) and not isinstance(v, bool)]
    low, high = (min(numbers), max(numbers)) if numbers else (0, 100)
    if column.kind == "int":
        return [rng.randint(int(low) - 1, int(high) + 1) for _ in range(_RANDOM_VALUES)]
    if column.kind == "float":
        return [round(rng.uniform(low, high), 2) for _ in range(_RANDOM_VALUES)]
    if column.kind == "bool":
        return [0, 1]
    if column.kind == "text":
        return [_random_word(rng) for _ in range(_RANDOM_VALUES)]
    # NOTE: date and untyped columns get no random values, only original values and literals
    return []


def _random_word(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_letters, k=rng.randint(1, 8)))


def _distinct_sample(
    pool: list[Value], size: int, column: Column, rng: random.Random, *, extend: bool
) -> list[Value]:
    """Draw `size` distinct non-null values, inventing new ones when the pool runs out."""
    values = list(dict.fromkeys(v for v in pool if v is not None))
    rng.shuffle(values)
    if extend:
        taken = set(values)
        counter = 0
        while len(values) < size:
            counter += 1
            fresh = _fresh_value(column, values, counter, rng)
            if fresh not in taken:
                taken.add(fresh)
                values.append(fresh)
    return values[:size]


def _fresh_value(column: Column, values: list[Value], counter: int, rng: random.Random) -> Value:
    numbers = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    if column.kind in ("int", "bool", "any") and (numbers or not values):
        return (max(numbers) if numbers else 0) + counter
    if column.kind == "float":
        return float(counter) + rng.random()
    return f"{_random_word(rng)}{counter}"


def _drop_duplicate_keys(table: Table, rows: list[tuple[Value, ...]]) -> list[tuple[Value, ...]]:
    names = [c.name for c in table.columns]
    keys = [table.primary_key, *table.unique] if table.primary_key else list(table.unique)
    for key in keys:
        positions = [names.index(k) for k in key if k in names]
        seen: set[tuple[Value, ...]] = set()
        kept = []
        for row in rows:
            marker = tuple(row[p] for p in positions)
            if marker not in seen:
                seen.add(marker)
                kept.append(row)
        rows = kept
    return rows


def write_instance(path: Path, schema: Schema, rows: dict[str, list[tuple[Value, ...]]]) -> None:
    """Create a new SQLite file at `path` with the original DDL and the generated rows."""
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    try:
        for table in schema.tables.values():
            conn.execute(table.create_sql)
        for statement in schema.extra_sql:
            conn.execute(statement)
        for name, table_rows in rows.items():
            marks = ", ".join("?" * len(schema.tables[name].columns))
            conn.executemany(f"INSERT OR IGNORE INTO {_quote(name)} VALUES ({marks})", table_rows)
        conn.commit()
    finally:
        conn.close()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
