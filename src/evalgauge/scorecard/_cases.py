"""Per-case columns of a stored run, loaded once for operations, slices and baselines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray

from evalgauge.scorecard._operations import CaseColumns, OperationInputs


@dataclass(frozen=True, slots=True)
class CaseTable:
    """Case ids in storage order, their columns, slice tags and every scorer's values."""

    ids: NDArray[np.object_]
    columns: CaseColumns
    tags: list[dict[str, Any] | None]
    scores: dict[str, NDArray[np.float64]]  # scorer -> value per case, NaN where unscored


def _floats(values: list[Any]) -> NDArray[np.float64]:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


# Plain SQL through the DBAPI: for a 100,000-case run this is several times faster than a
# Core select, whose result applies a type processor to every value.
_CASES_SQL = (
    "SELECT case_id, latency_ms, ttft_ms, cost_usd, input_tokens, output_tokens, "
    "error_type IS NOT NULL, cached, model IS NOT NULL, tags_json, judge_cost_usd "
    "FROM case_results "
    "WHERE run_id = {mark} ORDER BY id"
)
_SCORES_SQL = (
    "SELECT s.name, c.case_id, c.value FROM scores c JOIN run_scorers s "
    "ON s.scorer_id = c.scorer_id WHERE c.run_id = {mark} AND c.value IS NOT NULL"
)


def _mark(conn: Any) -> str:
    return "?" if conn.dialect.name == "sqlite" else "%s"


# Rows are fetched in chunks and turned into arrays chunk by chunk, so the Python row
# objects of the whole run (about 0.7 KB a case) never exist at once.
_CHUNK_ROWS = 10_000
_FLOAT_COLUMNS = (1, 2, 3, 4, 5, 10)
_BOOL_COLUMNS = (6, 7, 8)


def load_case_table(conn: Any, run_id: str) -> CaseTable:
    """Load the run's per-case columns, slice tags and scores, aligned by storage order."""
    result = conn.exec_driver_sql(_CASES_SQL.format(mark=_mark(conn)), (run_id,))
    id_parts: list[NDArray[np.object_]] = []
    float_parts: dict[int, list[NDArray[np.float64]]] = {i: [] for i in _FLOAT_COLUMNS}
    bool_parts: dict[int, list[NDArray[np.bool_]]] = {i: [] for i in _BOOL_COLUMNS}
    tags: list[dict[str, Any] | None] = []
    while rows := result.fetchmany(_CHUNK_ROWS):
        fields = list(zip(*rows, strict=True))
        id_parts.append(np.array(fields[0], dtype=object))
        for index in _FLOAT_COLUMNS:
            float_parts[index].append(_floats(list(fields[index])))
        for index in _BOOL_COLUMNS:
            bool_parts[index].append(np.array(fields[index], dtype=bool))
        tags.extend(None if t is None else orjson.loads(t) for t in fields[9])

    def floats(index: int) -> NDArray[np.float64]:
        parts = float_parts[index]
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.float64)

    def bools(index: int) -> NDArray[np.bool_]:
        parts = bool_parts[index]
        return np.concatenate(parts) if parts else np.empty(0, dtype=bool)

    ids = np.concatenate(id_parts) if id_parts else np.empty(0, dtype=object)
    columns = CaseColumns(
        latency_ms=floats(1),
        ttft_ms=floats(2),
        cost_usd=floats(3),
        input_tokens=floats(4),
        output_tokens=floats(5),
        errored=bools(6),
        cached=bools(7),
        has_model=bools(8),
        judge_cost_usd=floats(10),
    )
    return CaseTable(ids, columns, tags, _score_columns(conn, run_id, ids))


def _score_columns(
    conn: Any, run_id: str, ids: NDArray[np.object_]
) -> dict[str, NDArray[np.float64]]:
    position = {case_id: i for i, case_id in enumerate(ids.tolist())}
    names = conn.exec_driver_sql(
        f"SELECT name FROM run_scorers WHERE run_id = {_mark(conn)}", (run_id,)
    ).scalars()
    columns = {name: np.full(ids.size, np.nan) for name in names}
    result = conn.exec_driver_sql(_SCORES_SQL.format(mark=_mark(conn)), (run_id,))
    while rows := result.fetchmany(_CHUNK_ROWS):
        for name, case_id, value in rows:
            index = position.get(case_id)
            if index is not None:
                columns[name][index] = value
    return columns


@dataclass(frozen=True, slots=True)
class RunCounts:
    """Counts over a run's stored cases, from one aggregate query."""

    cases: int
    errors: int
    cached: int
    tagged: int
    unpriced: int
    input_tokens: int
    output_tokens: int
    known: dict[str, int]
    """How many cases have a value, per column of `_KNOWN_COLUMNS`."""


# The per-case figures whose known values feed the operational summary.
_KNOWN_COLUMNS = (
    "latency_ms",
    "ttft_ms",
    "cost_usd",
    "judge_cost_usd",
    "input_tokens",
    "output_tokens",
)
_COUNTS_SQL = (
    "SELECT count(*), count(error_type), "
    "coalesce(sum(CASE WHEN cached THEN 1 ELSE 0 END), 0), count(tags_json), "
    "coalesce(sum(CASE WHEN error_type IS NULL AND model IS NOT NULL AND cost_usd IS NULL "
    "THEN 1 ELSE 0 END), 0), "
    "coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0), "
    + ", ".join(f"count({name})" for name in _KNOWN_COLUMNS)
    + " FROM case_results WHERE run_id = {mark}"
)


def run_counts(conn: Any, run_id: str) -> RunCounts:
    row = conn.exec_driver_sql(_COUNTS_SQL.format(mark=_mark(conn)), (run_id,)).one()
    cases, errors, cached, tagged, unpriced, input_tokens, output_tokens = map(int, row[:7])
    known = dict(zip(_KNOWN_COLUMNS, map(int, row[7:]), strict=True))
    return RunCounts(cases, errors, cached, tagged, unpriced, input_tokens, output_tokens, known)


def operation_inputs(conn: Any, run_id: str, counts: RunCounts) -> OperationInputs:
    """Fetch the known values of each per-case figure, skipping columns with none.

    Without slices or a baseline the values need no alignment, so a run of recorded
    outputs without latencies costs one aggregate query.
    """
    values = {}
    for name in _KNOWN_COLUMNS:
        if counts.known[name] == 0:
            values[name] = np.empty(0, dtype=np.float64)
            continue
        sql = f"SELECT {name} FROM case_results WHERE run_id = {_mark(conn)} AND {name} IS NOT NULL"
        fetched = conn.exec_driver_sql(sql, (run_id,)).scalars().all()
        values[name] = np.array(fetched, dtype=np.float64)
    return OperationInputs(
        cases=counts.cases,
        errors=counts.errors,
        cached=counts.cached,
        unpriced=counts.unpriced,
        **values,
    )
