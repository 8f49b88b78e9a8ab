"""Batch INSERTs of case results and scores: a whole batch is one JSON parameter.

Each table gets one statement per batch that reads its rows from a JSON array of row arrays
(`json_each` on SQLite, `json_array_elements` on PostgreSQL). Against `executemany`, the
database parses and inserts the batch in one call, so Python binds no per-row parameters
and SQLite keeps the GIL released for the whole batch, which lets a writer thread overlap
the workers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import orjson
from sqlalchemy import Boolean, Float, Integer, Table

from evalgauge.store._records import CaseResult
from evalgauge.store._schema import case_results, scores

# Columns after run_id, in the order of each row array.
CASE_COLUMNS = (
    "case_id",
    "inputs_json",
    "label",
    "output",
    "latency_ms",
    "cached",
    "input_tokens",
    "output_tokens",
    "model",
    "error_type",
    "error_message",
    "cached_input_tokens",
    "reasoning_tokens",
    "cost_usd",
    "ttft_ms",
    "tags_json",
    "judge_cost_usd",
)
SCORE_COLUMNS = (
    "case_id",
    "scorer_id",
    "value",
    "passed",
    "reason",
    "error_type",
    "error_message",
    "details_json",
)


# Columns every row needs a value for; the others are left out of a batch whose rows all
# hold NULL there.
_REQUIRED = {
    "case_results": frozenset({"case_id", "inputs_json", "cached"}),
    "scores": frozenset({"case_id", "scorer_id"}),
}
_TABLES = {"case_results": case_results, "scores": scores}


@dataclass(frozen=True, slots=True)
class BatchInsert:
    """One INSERT of a batch: its SQL and the JSON array of row arrays it reads."""

    sql: str
    rows_json: str


@lru_cache(maxsize=512)
def batch_insert_sql(dialect: str, table_name: str, columns: tuple[str, ...]) -> str:
    """Build an INSERT of (run_id, JSON array of rows) that skips rows already stored.

    It uses ON CONFLICT DO NOTHING, not SQLite's INSERT OR IGNORE, because the latter also
    drops rows that break NOT NULL and so would lose bad results instead of failing the batch.
    `WHERE true` lets the parser tell the ON CONFLICT clause from a join constraint.
    """
    table = _TABLES[table_name]
    names = ", ".join(("run_id", *columns))
    if dialect == "sqlite":
        values = [f"json_extract(value, '$[{i}]')" for i in range(len(columns))]
        source, mark = "json_each(?)", "?"
    else:
        values = [f"CAST(value->>{i} AS {_pg_type(table, name)})" for i, name in enumerate(columns)]
        source, mark = "json_array_elements(CAST(%s AS json))", "%s"
    return (
        f"INSERT INTO {table_name} ({names}) SELECT {mark}, {', '.join(values)} "
        f"FROM {source} WHERE true ON CONFLICT DO NOTHING"
    )


def _pg_type(table: Table, name: str) -> str:
    # Text stays text: a CAST to VARCHAR(n) would truncate silently, where the column's own
    # length check raises.
    kind = table.c[name].type
    if isinstance(kind, Boolean):
        return "boolean"
    if isinstance(kind, Float):
        return "double precision"
    if isinstance(kind, Integer):
        return "bigint"
    return "text"


def batch_inserts(
    dialect: str, results: Sequence[CaseResult], scorer_ids: dict[str, int]
) -> list[BatchInsert]:
    """Serialize case results as the INSERTs of their case rows and score rows."""
    case_rows: list[tuple[object, ...]] = []
    score_rows: list[tuple[object, ...]] = []
    for result in results:
        case_id = result.case_id
        case_rows.append(
            (
                case_id,
                result.inputs,
                result.label,
                result.output,
                result.latency_ms,
                result.cached,
                result.input_tokens,
                result.output_tokens,
                result.model,
                result.error_type,
                result.error_message,
                result.cached_input_tokens,
                result.reasoning_tokens,
                result.cost_usd,
                result.ttft_ms,
                result.tags,
                result.judge_cost_usd,
            )
        )
        for score in result.scores:
            score_rows.append(
                (
                    case_id,
                    scorer_ids[score.scorer],
                    score.value,
                    score.passed,
                    score.reason,
                    score.error_type,
                    score.error_message,
                    score.details,
                )
            )
    inserts = [_insert(dialect, "case_results", CASE_COLUMNS, case_rows)]
    if score_rows:
        inserts.append(_insert(dialect, "scores", SCORE_COLUMNS, score_rows))
    return inserts


def _insert(
    dialect: str, table_name: str, columns: tuple[str, ...], rows: list[tuple[object, ...]]
) -> BatchInsert:
    """Build one INSERT, leaving out the optional columns that are NULL in every row.

    Most batches fill a few of the columns (recorded outputs have no tokens, successful
    cases no error), and SQLite extracts each column from every row's JSON, so this makes
    a typical insert several times faster.
    """
    by_column = list(zip(*rows, strict=True))
    n = len(rows)
    required = _REQUIRED[table_name]
    keep = [
        i for i, name in enumerate(columns) if name in required or by_column[i].count(None) != n
    ]
    if len(keep) < len(columns):
        columns = tuple(columns[i] for i in keep)
        rows = list(zip(*(by_column[i] for i in keep), strict=True))
    # Text, not bytes: SQLite 3.45 reads a BLOB as its binary JSONB and psycopg sends bytes as
    # bytea. NaN and infinity have no JSON form; orjson writes null, so they are stored as
    # NULL, which every aggregate skips. The JSON columns (inputs, tags, details) travel as
    # nested objects, and both databases extract an object as its JSON text.
    rows_json = orjson.dumps(rows, default=str).decode()
    if "\\u0000" in rows_json:
        rows_json = _without_nul(rows_json)
    return BatchInsert(batch_insert_sql(dialect, table_name, columns), rows_json)


# A JSON escape of NUL that is not itself an escaped backslash followed by "u0000".
_NUL_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def _without_nul(rows_json: str) -> str:
    """Replace NUL characters with U+FFFD, which both databases store.

    PostgreSQL text cannot hold NUL, so one output with a NUL failed its whole batch (and
    the resumed run the same batch again), and SQLite's json_extract cut the text at it.
    """
    return _NUL_ESCAPE.sub(lambda match: match.group(1) + "\\ufffd", rows_json)
