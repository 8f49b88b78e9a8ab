"""Spider gold queries on SQLite, PostgreSQL and MariaDB: results agree except where listed.

Every gold query of the loaded databases runs on SQLite and, transpiled with sqlglot, on both
servers. A query whose result differs, or that fails on a server, must be listed with its
reason in `cross_engine_expected.json`. A difference that is not listed fails the test, and so
does a listed one that no longer happens.

`python -m tests.sql.test_cross_engine --write` rewrites that list, labelling new entries
with `classify`, and prints the cross-engine tables of docs/sql.md.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot.errors import SqlglotError

from evalgauge.scorers.sql._compare import CompareOptions, compare_results
from evalgauge.scorers.sql._executor import ExecutionLimits, SqlExecutionError
from evalgauge.scorers.sql._load import Engine, load_sqlite, transpile_for
from evalgauge.scorers.sql._mysql import MysqlExecutor
from evalgauge.scorers.sql._postgres import PostgresExecutor
from evalgauge.scorers.sql.distill._schema import read_schema
from evalgauge.scorers.sql.distill.suite import read_gold
from tests._env import require_file, shared_data_dir, skip_or_fail

DATABASES = ["concert_singer", "pets_1", "singer", "orchestra", "poker_player", "car_1", "world_1"]
ENGINES: tuple[Engine, ...] = ("postgres", "mysql")
SERVER_URLS = {
    "postgres": "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    "mysql": "mysql+pymysql://root@127.0.0.1:3306/",
}
EXPECTED_PATH = Path(__file__).with_name("cross_engine_expected.json")
PREDICTIONS = "predictions/c3sql_gpt-3.5-turbo_dev_predicted_sql.txt"
# Bags of rows, columns by position. Numbers match within a relative 1e-6 or an absolute
# 5e-5, because MariaDB returns AVG of integers as a DECIMAL rounded to 4 decimal places.
COMPARE = CompareOptions(rows="bag", column_permutation=False, rel_tol=1e-6, abs_tol=5e-5)
TIMEOUT_S = 10

REASONS = {
    "pg_strict_types": "PostgreSQL compares and aggregates by declared type: text = integer or "
    "AVG(text) raise, where SQLite converts by column affinity",
    "pg_group_by": "PostgreSQL rejects a selected column that is neither grouped nor "
    "aggregated; SQLite takes it from some row of the group",
    "derived_table_alias": "a subquery in FROM without an alias is a syntax error on both "
    "servers; SQLite accepts it",
    "tie_under_limit": "ORDER BY ... LIMIT with ties: each engine returns a different one of "
    "the tied rows",
    "bare_column": "a bare column next to MAX/MIN: SQLite takes it from the row holding the "
    "maximum, MariaDB from any row",
    "ungrouped_column": "a column that is neither grouped nor aggregated: MariaDB returns a "
    "value from any row of the group, SQLite from the last row it read",
    "case_insensitive_collation": "MariaDB's default collation (utf8mb4_general_ci) compares "
    "strings ignoring case, SQLite's = is case-sensitive",
    "text_number_comparison": "a text column compared with a number: SQLite compares as text, "
    "MariaDB converts the text to a number",
    "integer_division": "integer / integer: SQLite and PostgreSQL truncate, MariaDB returns a "
    "decimal",
    "limit_in_subquery": "MariaDB does not support LIMIT in an IN/ALL/ANY subquery",
    "double_quoted_string": "a double-quoted string: SQLite reads it as a string when no "
    "column has that name, the servers as an identifier",
    "table_name_case": "MariaDB on Linux compares table names case-sensitively",
    "mysql_syntax": "other syntax MariaDB rejects",
    "other_error": "another engine error",
    "other_difference": "another difference in the result",
}


@dataclass(frozen=True)
class Observation:
    """What one query did on one server compared with SQLite."""

    key: str
    db_id: str
    engine: Engine
    sql: str
    server_sql: str
    error: str | None


class ServerConnection:
    """One loaded database on a server, through the SQL scorer's read-only executors."""

    def __init__(self, engine: Engine, database: str) -> None:
        limits = ExecutionLimits(timeout_s=TIMEOUT_S)
        self.executor: PostgresExecutor | MysqlExecutor
        if engine == "postgres":
            conninfo = f"host=127.0.0.1 port=5432 user=postgres dbname={database}"
            self.executor = PostgresExecutor(conninfo, limits)
        else:
            # root is the only account on the test server, so the grant check is off
            self.executor = MysqlExecutor(
                database=database, limits=limits, require_read_only_account=False
            )

    def run(self, sql: str) -> list[tuple[Any, ...]]:
        return self.executor.execute(sql).rows

    def close(self) -> None:
        self.executor.close()


def _normalize(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [tuple(float(v) if isinstance(v, Decimal) else v for v in row) for row in rows]


def server_database(db_id: str) -> str:
    return f"evalgauge_spider_{db_id.lower()}"


def load_all(spider: Path) -> dict[Engine, list[Any]]:
    """Load every database of DATABASES into both servers; return the load reports."""
    reports: dict[Engine, list[Any]] = {}
    for engine in ENGINES:
        reports[engine] = [
            load_sqlite(
                spider / "database" / db / f"{db}.sqlite",
                SERVER_URLS[engine],
                server_database(db),
                engine=engine,
            )
            for db in DATABASES
        ]
    return reports


def observe(
    spider: Path, queries: list[tuple[int, str, str, str]], mode: str = "transpile_for"
) -> Iterator[tuple[Observation, bool]]:
    """Run (key, db_id, sqlite SQL, SQL to transpile) on every engine; yield (what, agreed)."""
    by_db: dict[str, list[tuple[int, str, str, str]]] = {}
    for item in queries:
        by_db.setdefault(item[1], []).append(item)
    for db_id, items in by_db.items():
        path = spider / "database" / db_id / f"{db_id}.sqlite"
        schema = read_schema(path)
        lite = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        servers = {engine: ServerConnection(engine, server_database(db_id)) for engine in ENGINES}
        try:
            for key, _, sqlite_sql, sql in items:
                try:
                    reference = lite.execute(sqlite_sql).fetchall()
                except sqlite3.Error:
                    reference = None
                for engine, server in servers.items():
                    server_sql = _server_sql(sql, engine, schema, mode)
                    yield _observe_one(key, db_id, engine, sql, server_sql, server, reference)
        finally:
            lite.close()
            for server in servers.values():
                server.close()


def _server_sql(sql: str, engine: Engine, schema: Any, mode: str) -> str:
    if mode == "raw":
        return sql
    if mode == "sqlglot":
        return sqlglot.transpile(sql, read="sqlite", write=engine)[0]
    return transpile_for(sql, engine, schema)


def _observe_one(
    key: int,
    db_id: str,
    engine: Engine,
    sql: str,
    server_sql: str,
    server: ServerConnection,
    reference: list[tuple[Any, ...]] | None,
) -> tuple[Observation, bool]:
    name = f"{db_id}:{key}:{engine}"
    try:
        rows = _normalize(server.run(server_sql))
    except SqlExecutionError as error:
        message = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
        return Observation(name, db_id, engine, sql, server_sql, message), reference is None
    if reference is None:
        return Observation(name, db_id, engine, sql, server_sql, "fails on SQLite only"), False
    agreed = compare_results(reference, rows, COMPARE, ordered=False).match
    return Observation(name, db_id, engine, sql, server_sql, None), agreed


def classify(observation: Observation) -> str:
    """Guess the reason for a difference from the error and the SQL; reviewed by hand."""
    error = observation.error or ""
    sql = observation.sql.lower()
    if "operator does not exist" in error or ("function" in error and "does not exist" in error):
        return "pg_strict_types"
    if "must appear in the GROUP BY clause" in error:
        return "pg_group_by"
    # the MariaDB executor reports a syntax error as MultipleStatements, because the
    # server's message contains a ";"
    mysql_syntax = "error in your SQL syntax" in error or "MultipleStatements" in error
    flat = " ".join(sql.split())
    if "must have an alias" in error or (mysql_syntax and "from (" in flat):
        return "derived_table_alias"
    if "doesn't yet support 'LIMIT" in error:
        return "limit_in_subquery"
    if error.startswith("EngineError: Table '") and "doesn't exist" in error:
        return "table_name_case"
    unknown_column = "Unknown column" in error or ("column" in error and "does not exist" in error)
    if unknown_column and '"' in observation.sql:
        return "double_quoted_string"
    if mysql_syntax:
        return "mysql_syntax"
    if error:
        return "other_error"
    return _classify_difference(observation, sql)


def _classify_difference(observation: Observation, sql: str) -> str:
    if "order by" in sql and "limit" in sql:
        return "tie_under_limit"
    if observation.engine == "mysql":
        if ("'" in sql or '"' in sql) and any(c.isalpha() for c in sql):
            return "case_insensitive_collation"
        if "group by" in sql:
            return "ungrouped_column"
        if "max(" in sql or "min(" in sql:
            return "bare_column"
        if "/" in sql:
            return "integer_division"
    return "other_difference"


def _gold_queries(spider: Path) -> list[tuple[int, str, str, str]]:
    gold = read_gold(spider / "dev_gold.sql")
    return [(i, db, sql, sql) for i, sql, db in gold if db in DATABASES]


def _require_servers() -> None:
    import psycopg
    import pymysql

    try:
        psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres").close()
    except psycopg.OperationalError as error:
        skip_or_fail(f"PostgreSQL at 127.0.0.1:5432 not reachable: {error}")
    try:
        pymysql.connect(host="127.0.0.1", port=3306, user="root", password="").close()
    except pymysql.err.OperationalError as error:
        skip_or_fail(f"MariaDB at 127.0.0.1:3306 not reachable: {error}")


@pytest.fixture(scope="module")
def spider() -> Path:
    root = shared_data_dir() / "spider-dev"
    require_file(root / "dev_gold.sql")
    return root


@pytest.fixture(scope="module")
def loaded(spider: Path) -> dict[Engine, list[Any]]:
    _require_servers()
    return load_all(spider)


@pytest.fixture(scope="module")
def gold_differences(spider: Path, loaded: dict[Engine, list[Any]]) -> dict[str, Observation]:
    return {o.key: o for o, agreed in observe(spider, _gold_queries(spider)) if not agreed}


def test_load_row_counts(loaded: dict[Engine, list[Any]], spider: Path) -> None:
    for engine, reports in loaded.items():
        for db_id, report in zip(DATABASES, reports, strict=True):
            path = spider / "database" / db_id / f"{db_id}.sqlite"
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
                for table, count in report.rows.items():
                    expected = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
                    assert count == expected, (engine, db_id, table)


def test_load_records_bool_change(loaded: dict[Engine, list[Any]]) -> None:
    concert = loaded["postgres"][DATABASES.index("concert_singer")]
    changed = {(c.table, c.column): c for c in concert.changes}
    assert changed[("singer", "Is_male")].loaded_as == "TEXT"
    assert "non-numeric text" in changed[("singer", "Is_male")].reason


def test_gold_differences_listed(gold_differences: dict[str, Observation]) -> None:
    expected = json.loads(EXPECTED_PATH.read_text(encoding="utf-8"))
    unexplained = sorted(set(gold_differences) - set(expected))
    details = [f"{k}: {gold_differences[k].error or 'differs'} | {gold_differences[k].server_sql}"
               for k in unexplained]  # fmt: skip
    assert not unexplained, "new cross-engine differences:\n" + "\n".join(details)


def test_listed_differences_happen(gold_differences: dict[str, Observation]) -> None:
    expected = json.loads(EXPECTED_PATH.read_text(encoding="utf-8"))
    stale = sorted(set(expected) - set(gold_differences))
    assert not stale, f"listed differences that no longer happen: {stale}"


def test_listed_reasons_known() -> None:
    expected = json.loads(EXPECTED_PATH.read_text(encoding="utf-8"))
    for key, entry in expected.items():
        assert entry["reason"] in REASONS, key


def test_most_gold_agrees(gold_differences: dict[str, Observation], spider: Path) -> None:
    total = len(_gold_queries(spider)) * len(ENGINES)
    assert len(gold_differences) < 0.2 * total


def test_transpile_fixes_differences(spider: Path, loaded: dict[Engine, list[Any]]) -> None:
    queries = [q for q in _gold_queries(spider) if q[1] in ("car_1", "world_1")]
    counts = {
        mode: sum(not agreed for _, agreed in observe(spider, queries, mode))
        for mode in ("raw", "sqlglot", "transpile_for")
    }
    assert counts["transpile_for"] < counts["raw"]
    assert counts["transpile_for"] < counts["sqlglot"]


def test_c3sql_verdicts_explained(
    spider: Path, gold_differences: dict[str, Observation], loaded: dict[Engine, list[Any]]
) -> None:
    rows = c3sql_verdict_table(spider, gold_differences)
    for engine in ENGINES:
        assert rows[engine]["agree"] > 0.9 * rows[engine]["questions"]
        assert rows[engine]["unexplained"] == 0, rows[engine]


def c3sql_verdict_table(
    spider: Path, gold_differences: dict[str, Observation]
) -> dict[str, dict[str, Any]]:
    """Compare the verdict of each C3SQL prediction on SQLite with its verdict on each server.

    Only questions whose gold agrees on all three engines count. A verdict that changes is
    explained by the prediction's own difference, classified like the gold ones.
    """
    predictions = require_file(spider / PREDICTIONS).read_text(encoding="utf-8").splitlines()
    gold = read_gold(spider / "dev_gold.sql")
    agreeing = [
        (i, db, sql) for i, sql, db in gold
        if db in DATABASES and all(f"{db}:{i}:{e}" not in gold_differences for e in ENGINES)
    ]  # fmt: skip
    sqlite_verdicts = _sqlite_verdicts(spider, agreeing, predictions)
    gold_rows = _server_rows(spider, [(i, db, sql) for i, db, sql in agreeing])
    pred_rows = _server_rows(spider, [(i, db, predictions[i]) for i, db, _ in agreeing])
    table: dict[str, dict[str, Any]] = {}
    for engine in ENGINES:
        reasons: Counter[str] = Counter()
        agree = passed = 0
        for i, _db, _ in agreeing:
            observation, server_pred = pred_rows[(i, engine)]
            server_gold = gold_rows[(i, engine)][1]
            verdict = (
                server_pred is not None
                and server_gold is not None
                and compare_results(server_gold, server_pred, COMPARE, ordered=False).match
            )
            passed += verdict
            if verdict == sqlite_verdicts[i]:
                agree += 1
            else:
                reasons[classify(observation) if observation.error else _explain(observation)] += 1
        table[engine] = {
            "questions": len(agreeing),
            "sqlite_pass": sum(sqlite_verdicts.values()),
            "server_pass": passed,
            "agree": agree,
            "reasons": dict(reasons),
            "unexplained": reasons["other_difference"] + reasons["other_error"],
        }
    return table


def _explain(observation: Observation) -> str:
    return _classify_difference(observation, observation.sql.lower())


def _sqlite_verdicts(
    spider: Path, items: list[tuple[int, str, str]], predictions: list[str]
) -> dict[int, bool]:
    verdicts = {}
    for i, db, sql in items:
        path = spider / "database" / db / f"{db}.sqlite"
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            gold_rows = conn.execute(sql).fetchall()
            try:
                pred_rows = conn.execute(predictions[i]).fetchall()
            except (sqlite3.Error, sqlite3.Warning):
                verdicts[i] = False
                continue
        verdicts[i] = compare_results(gold_rows, pred_rows, COMPARE, ordered=False).match
    return verdicts


def _server_rows(
    spider: Path, items: list[tuple[int, str, str]]
) -> dict[tuple[int, Engine], tuple[Observation, list[tuple[Any, ...]] | None]]:
    """Run each SQL on both servers and keep its rows, or None when it failed."""
    found = {}
    for db_id in sorted({db for _, db, _ in items}):
        path = spider / "database" / db_id / f"{db_id}.sqlite"
        schema = read_schema(path)
        for engine in ENGINES:
            server = ServerConnection(engine, server_database(db_id))
            try:
                for i, db, sql in items:
                    if db != db_id:
                        continue
                    found[(i, engine)] = _run_on_server(i, db, engine, sql, schema, server)
            finally:
                server.close()
    return found


def _run_on_server(
    i: int, db: str, engine: Engine, sql: str, schema: Any, server: ServerConnection
) -> tuple[Observation, list[tuple[Any, ...]] | None]:
    try:
        server_sql = transpile_for(sql, engine, schema)
    except SqlglotError as error:
        # a prediction sqlglot cannot read never reaches the server
        return Observation(f"{db}:{i}:{engine}", db, engine, sql, "", f"sqlglot: {error}"), None
    try:
        rows = _normalize(server.run(server_sql))
    except SqlExecutionError as error:
        message = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
        return Observation(f"{db}:{i}:{engine}", db, engine, sql, server_sql, message), None
    return Observation(f"{db}:{i}:{engine}", db, engine, sql, server_sql, None), rows


def _main() -> None:
    spider = shared_data_dir() / "spider-dev"
    load_all(spider)
    differences = {o.key: o for o, ok in observe(spider, _gold_queries(spider)) if not ok}
    if "--write" in sys.argv:
        old = json.loads(EXPECTED_PATH.read_text()) if EXPECTED_PATH.exists() else {}
        entries = {
            key: old.get(key) or {"reason": classify(o), "sql": o.sql, "error": o.error}
            for key, o in sorted(differences.items())
        }
        EXPECTED_PATH.write_text(json.dumps(entries, indent=2) + "\n", encoding="utf-8")
    reasons = Counter((o.engine, classify(o)) for o in differences.values())
    print("gold differences by engine and reason:", dict(reasons))
    for mode in ("raw", "sqlglot", "transpile_for"):
        counts = Counter(
            (o.engine, classify(o)) for o, ok in observe(spider, _gold_queries(spider), mode)
            if not ok
        )  # fmt: skip
        print(mode, sum(counts.values()), dict(counts))
    print(json.dumps(c3sql_verdict_table(spider, differences), indent=2))


if __name__ == "__main__":
    _main()
