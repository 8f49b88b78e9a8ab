"""The schema of a SQLite database, read from the file itself with PRAGMA statements."""

from __future__ import annotations

import graphlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Kind = Literal["int", "float", "text", "date", "bool", "any"]


@dataclass(frozen=True)
class ForeignKey:
    """One column of a foreign key: `table.column` references `parent.parent_column`."""

    column: str
    parent: str
    parent_column: str


@dataclass
class Column:
    """A column with its declared type, its value kind and its constraints."""

    name: str
    declared_type: str
    kind: Kind
    not_null: bool
    primary_key: bool


@dataclass
class Table:
    """A table: columns in order, key columns and the foreign keys it declares."""

    name: str
    columns: list[Column]
    primary_key: list[str] = field(default_factory=list)
    unique: list[list[str]] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    create_sql: str = ""

    def column(self, name: str) -> Column | None:
        lowered = name.lower()
        return next((c for c in self.columns if c.name.lower() == lowered), None)


@dataclass
class Schema:
    """All user tables of a database and the statements that recreate them."""

    tables: dict[str, Table]
    extra_sql: list[str] = field(default_factory=list)

    def table(self, name: str) -> Table | None:
        lowered = name.lower()
        return next((t for t in self.tables.values() if t.name.lower() == lowered), None)

    def fill_order(self) -> list[str]:
        """Order tables so that every parent comes before its children; cycles are broken."""
        graph: dict[str, set[str]] = {name: set() for name in self.tables}
        for table in self.tables.values():
            for fk in table.foreign_keys:
                parent = self.table(fk.parent)
                if parent is not None and parent.name != table.name:
                    graph[table.name].add(parent.name)
        while True:
            try:
                # sorted predecessors: set order changes with PYTHONHASHSEED
                ordered = {name: sorted(parents) for name, parents in graph.items()}
                return list(graphlib.TopologicalSorter(ordered).static_order())
            except graphlib.CycleError as cycle:
                # drop one edge of the cycle; that child column then takes values from its pool
                child, parent = cycle.args[1][0], cycle.args[1][1]
                graph[child].discard(parent)
                graph[parent].discard(child)


def column_kind(declared_type: str) -> Kind:
    """Map a declared SQLite type to the kind of value the fuzzer generates for it."""
    lowered = declared_type.lower()
    if "bool" in lowered:
        return "bool"
    if "int" in lowered:
        return "int"
    if any(word in lowered for word in ("real", "floa", "doub", "num", "dec")):
        return "float"
    if "date" in lowered or "time" in lowered or "year" in lowered:
        return "date"
    if any(word in lowered for word in ("char", "text", "clob", "string")):
        return "text"
    return "any"


def read_schema(path: Path) -> Schema:
    """Read tables, keys, unique indexes and foreign keys of the SQLite file at `path`."""
    uri = f"file:{path}?mode=ro"
    with sqlite3.connect(uri, uri=True) as conn:
        rows = conn.execute(
            "SELECT type, name, sql FROM sqlite_master "
            "WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
        ).fetchall()
        tables: dict[str, Table] = {}
        extra: list[str] = []
        for kind, name, sql in rows:
            if kind == "table":
                tables[name] = _read_table(conn, name, sql)
            elif kind in ("index", "view", "trigger"):
                extra.append(sql)
    return Schema(tables=tables, extra_sql=extra)


def _read_table(conn: sqlite3.Connection, name: str, create_sql: str) -> Table:
    quoted = '"' + name.replace('"', '""') + '"'
    info = conn.execute(f"PRAGMA table_info({quoted})").fetchall()
    columns = [
        Column(
            name=col_name,
            declared_type=col_type or "",
            kind=column_kind(col_type or ""),
            not_null=bool(not_null),
            primary_key=bool(pk),
        )
        for _cid, col_name, col_type, not_null, _default, pk in info
    ]
    primary_key = [row[1] for row in sorted(info, key=lambda row: row[5]) if row[5]]
    unique: list[list[str]] = []
    for _seq, index_name, is_unique, _origin, _partial in conn.execute(
        f"PRAGMA index_list({quoted})"
    ).fetchall():
        if is_unique:
            index_quoted = '"' + index_name.replace('"', '""') + '"'
            cols = [r[2] for r in conn.execute(f"PRAGMA index_info({index_quoted})").fetchall()]
            if cols and cols != primary_key:
                unique.append(cols)
    foreign_keys = [
        ForeignKey(column=row[3], parent=row[2], parent_column=row[4] or "")
        for row in conn.execute(f"PRAGMA foreign_key_list({quoted})").fetchall()
    ]
    return Table(name, columns, primary_key, unique, foreign_keys, create_sql)


def add_spider_foreign_keys(schema: Schema, tables_json: Path, db_id: str) -> int:
    """Add the foreign keys that Spider's `tables.json` lists and the file lacks; count them."""
    entries = json.loads(tables_json.read_text(encoding="utf-8"))
    entry = next((e for e in entries if e.get("db_id") == db_id), None)
    if entry is None:
        return 0
    names = entry["table_names_original"]
    columns = entry["column_names_original"]
    added = 0
    for child_index, parent_index in entry.get("foreign_keys", []):
        child_table = schema.table(names[columns[child_index][0]])
        parent_table = names[columns[parent_index][0]]
        if child_table is None or schema.table(parent_table) is None:
            continue
        fk = ForeignKey(columns[child_index][1], parent_table, columns[parent_index][1])
        known = {(f.column.lower(), f.parent.lower()) for f in child_table.foreign_keys}
        if (fk.column.lower(), fk.parent.lower()) not in known:
            child_table.foreign_keys.append(fk)
            added += 1
    return added
