"""Load a SQLite database into PostgreSQL or MariaDB/MySQL, and transpile queries for them.

SQLite types loosely. An INTEGER column can store text, a VARCHAR(12) can store 40 characters,
and dates are text. The loader reads the schema with SQLAlchemy's reflection and every stored
value. Then it picks a server type per column that can store all of them, and converts values
where that is lossless (numeric text in a numeric column). Every departure from the declared
type is recorded in the returned `LoadReport`.

Names are lower-cased on the server. PostgreSQL folds unquoted names to lower case, and MariaDB
compares table names case-sensitively on Linux. So the unquoted names of SQLite queries resolve
on both once `transpile_for` has lower-cased them too. Foreign keys are
not created, because SQLite does not enforce them and real data (Spider's among them)
violates some.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlglot import exp

from evalgauge.scorers.sql.distill._schema import Schema
from evalgauge.scorers.sql.distill.neighbors import parse_sqlite

Engine = Literal["postgres", "mysql"]
_TEXT_KEY_LENGTH = 255
_SAFE_NAME = re.compile(r"^[a-z0-9_]{1,63}$")
# decimal numbers only: Python's int() and float() also accept "1_000", "nan" and "inf"
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class ColumnChange:
    """One column whose server type or values differ from what SQLite declared and stored."""

    table: str
    column: str
    declared: str
    loaded_as: str
    reason: str


@dataclass
class LoadReport:
    """The target database, the rows loaded per table and every change made on the way."""

    engine: Engine
    database: str
    url: str
    rows: dict[str, int] = field(default_factory=dict)
    changes: list[ColumnChange] = field(default_factory=list)


def load_sqlite(sqlite_path: Path, server_url: str, database: str, *, engine: Engine) -> LoadReport:
    """Create `database` on the server at `server_url` (dropping an old one) and copy every table.

    `server_url` is a SQLAlchemy URL of the server's maintenance database, such as
    `postgresql+psycopg://postgres@127.0.0.1:5432/postgres` or `mysql+pymysql://root@127.0.0.1:3306/`.
    """
    if not _SAFE_NAME.match(database):
        raise ValueError(f"database name {database!r} must match [a-z0-9_]{{1,63}}")
    source = sa.create_engine(f"sqlite:///file:{sqlite_path}?mode=ro&uri=true")
    try:
        with warnings.catch_warnings():
            # types SQLite accepts but SQLAlchemy does not know reflect as NullType
            warnings.simplefilter("ignore", sa_exc.SAWarning)
            metadata = sa.MetaData()
            metadata.reflect(source)
        data = {}
        with source.connect() as conn:
            for table in metadata.sorted_tables:
                # raw rows: SQLAlchemy's result types would parse dates and booleans on the way
                quoted = '"' + table.name.replace('"', '""') + '"'
                result = conn.exec_driver_sql(f"SELECT * FROM {quoted}")
                data[table.name] = [tuple(row) for row in result]
    finally:
        source.dispose()
    url = _create_database(server_url, database, engine)
    report = LoadReport(engine=engine, database=database, url=url)
    target = sa.create_engine(url)
    try:
        for table in metadata.sorted_tables:
            _copy_table(target, table, data[table.name], report)
    finally:
        target.dispose()
    return report


def _create_database(server_url: str, database: str, engine: Engine) -> str:
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if engine == "postgres":
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
                conn.execute(sa.text(f"CREATE DATABASE \"{database}\" ENCODING 'UTF8'"))
            else:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{database}`"))
                conn.execute(sa.text(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4"))
    finally:
        admin.dispose()
    return sa.make_url(server_url).set(database=database).render_as_string(hide_password=False)


def _copy_table(
    target: sa.Engine, source: sa.Table, rows: list[tuple[Any, ...]], report: LoadReport
) -> None:
    columns: list[sa.schema.SchemaItem] = []
    converted = [list(r) for r in rows]
    key_names = {c.name for c in source.primary_key.columns}
    for position, column in enumerate(source.columns):
        values = [row[position] for row in converted]
        server_type, new_values, reason = _choose_type(column, values, column.name in key_names)
        for row, value in zip(converted, new_values, strict=True):
            row[position] = value
        declared = str(column.type) if not isinstance(column.type, sa.types.NullType) else ""
        if reason:
            report.changes.append(
                ColumnChange(source.name, column.name, declared, _type_name(server_type), reason)
            )
        # no AUTO_INCREMENT: MariaDB would replace a stored key of 0 with a new value
        columns.append(sa.Column(column.name.lower(), server_type, autoincrement=False))
    key = [c.name.lower() for c in source.primary_key.columns]
    problem = _key_problem(key, [c.name.lower() for c in source.columns], converted, report.engine)
    if key and problem is None:
        columns.append(sa.PrimaryKeyConstraint(*key))
    elif key:
        report.changes.append(
            ColumnChange(source.name, ", ".join(key), "PRIMARY KEY", "no key", problem or "")
        )
    table = sa.Table(source.name.lower(), sa.MetaData(), *columns)
    with target.begin() as conn:
        table.create(conn)
        if converted:
            names = [c.name for c in table.columns]
            conn.execute(table.insert(), [dict(zip(names, row, strict=True)) for row in converted])
    report.rows[table.name] = len(converted)


def _choose_type(
    column: sa.Column[Any], values: list[Any], is_key: bool
) -> tuple[sa.types.TypeEngine[Any], list[Any], str]:
    """Pick a server type that can store every value; return it, the values and the reason."""
    declared = column.type
    kind = _declared_kind(declared)
    present = [v for v in values if v is not None]
    if kind in ("int", "float", "bool"):
        return _numeric_type(kind, values, present, is_key)
    if kind == "blob" or any(isinstance(v, bytes) for v in present):
        return sa.LargeBinary(), values, "" if kind == "blob" else "bytes stored; loaded as BLOB"
    reason = ""
    if kind == "date":
        reason = "date kept as text, as SQLite stores it"
    if kind == "any":
        if present and all(isinstance(v, int) for v in present):
            return sa.BigInteger(), values, "no declared type; integers found"
        if present and all(isinstance(v, int | float) for v in present):
            return sa.Float(53), values, "no declared type; numbers found"
        reason = "no declared type; loaded as text"
    if any(not isinstance(v, str) for v in present):
        values = [v if v is None or isinstance(v, str) else _as_text(v) for v in values]
        reason = reason or "numbers stored in a text column; converted to text"
    return _text_type(declared, values, is_key, reason)


def _numeric_type(
    kind: str, values: list[Any], present: list[Any], is_key: bool
) -> tuple[sa.types.TypeEngine[Any], list[Any], str]:
    numbers = [_as_number(v) for v in values]
    failed = [v for v, n in zip(values, numbers, strict=True) if v is not None and n is None]
    if failed and all(v == "" for v in failed):
        return (
            _number_type(kind, numbers),
            numbers,
            "empty strings in a numeric column; loaded as NULL",
        )
    if failed:
        text = [None if v is None else _as_text(v) for v in values]
        sample = ", ".join(repr(v) for v in list(dict.fromkeys(failed))[:3])
        return _text_type(None, text, is_key, f"non-numeric text ({sample}); widened to text")
    changed = any(isinstance(v, str) for v in present)
    server_type = _number_type(kind, numbers)
    if kind in ("int", "bool") and isinstance(server_type, sa.Float):
        return server_type, numbers, "non-integer numbers in an integer column; widened to DOUBLE"
    if kind == "bool":
        return server_type, numbers, "boolean stored as 0/1; loaded as an integer"
    return server_type, numbers, "numeric text converted to numbers" if changed else ""


def _number_type(kind: str, numbers: list[Any]) -> sa.types.TypeEngine[Any]:
    if kind == "float" or any(isinstance(n, float) for n in numbers):
        return sa.Float(53)
    return sa.BigInteger()


def _as_number(value: Any) -> int | float | None:
    if value is None or isinstance(value, bool):
        return None if value is None else int(value)
    if isinstance(value, int | float):
        return value
    text = str(value).strip()
    if not _NUMBER.match(text):
        return None
    try:
        return int(text)
    except ValueError:
        return float(text)


def _as_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return str(value)


def _text_type(
    declared: sa.types.TypeEngine[Any] | None, values: list[Any], is_key: bool, reason: str
) -> tuple[sa.types.TypeEngine[Any], list[Any], str]:
    longest = max((len(v) for v in values if isinstance(v, str)), default=0)
    limit = getattr(declared, "length", None)
    if limit is not None and longest > limit and not reason:
        reason = f"values up to {longest} characters in {declared}; widened"
    if is_key:
        # MariaDB cannot index an unbounded TEXT column
        return sa.String(max(longest, _TEXT_KEY_LENGTH)), values, reason
    return sa.Text(), values, reason


def _declared_kind(declared: sa.types.TypeEngine[Any]) -> str:
    if isinstance(declared, sa.types.NullType):
        return "any"
    if isinstance(declared, sa.Boolean):
        return "bool"
    if isinstance(declared, sa.Integer):
        return "int"
    if isinstance(declared, sa.Float | sa.Numeric):
        return "float"
    if isinstance(declared, sa.Date | sa.DateTime | sa.Time):
        return "date"
    if isinstance(declared, sa.LargeBinary):
        return "blob"
    return "text"


def _type_name(server_type: sa.types.TypeEngine[Any]) -> str:
    if isinstance(server_type, sa.BigInteger):
        return "BIGINT"
    if isinstance(server_type, sa.Float):
        return "DOUBLE"
    if isinstance(server_type, sa.Text):
        return "TEXT"
    if isinstance(server_type, sa.String):
        return f"VARCHAR({server_type.length})"
    return "BLOB"


def _key_problem(
    key: list[str], names: list[str], rows: list[list[Any]], engine: Engine
) -> str | None:
    """Say why the key cannot be declared on the server: NULLs or duplicates, or None."""
    if not key:
        return None
    positions = [names.index(k) for k in key]
    seen: set[tuple[Any, ...]] = set()
    for row in rows:
        values = tuple(row[p] for p in positions)
        if any(v is None for v in values):
            return "NULL in a key column; loaded without a primary key"
        if engine == "mysql":
            # the default collation ignores case and trailing spaces
            values = tuple(v.casefold().rstrip() if isinstance(v, str) else v for v in values)
        if values in seen:
            return f"duplicate key {values!r}; loaded without a primary key"
        seen.add(values)
    return None


def transpile_for(sql: str, engine: Engine, schema: Schema | None = None) -> str:
    """Rewrite SQLite `sql` for `engine` with sqlglot, lower-casing names as the loader does.

    A double-quoted name that is no column of `schema` becomes a string literal first, as
    SQLite itself reads it. Plain `sqlglot.transpile` would keep it a quoted identifier.
    """
    tree = parse_sqlite(sql, schema)
    for identifier in tree.find_all(exp.Identifier):
        identifier.set("this", identifier.this.lower())
    return tree.sql(dialect="postgres" if engine == "postgres" else "mysql")
