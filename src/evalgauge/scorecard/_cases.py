"""Per-case columns of a stored run, loaded once for operations, slices and baselines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray

from evalgauge.scorecard._operations import CaseColumns


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
_COLUMNS_SQL = (
    "SELECT latency_ms, ttft_ms, cost_usd, input_tokens, output_tokens, "
    "error_type IS NOT NULL, cached, model IS NOT NULL, judge_cost_usd "
    "FROM case_results WHERE run_id = {mark} ORDER BY id"
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


_TAGGED_SQL = "SELECT 1 FROM case_results WHERE run_id = {mark} AND tags_json IS NOT NULL LIMIT 1"


def has_tags(conn: Any, run_id: str) -> bool:
    """Return whether any case of the run has slice tags, which only the full case table loads."""
    return conn.exec_driver_sql(_TAGGED_SQL.format(mark=_mark(conn)), (run_id,)).first() is not None


def load_case_table(conn: Any, run_id: str, *, per_case: bool = True) -> CaseTable:
    """Load the run's per-case columns; `per_case=False` leaves out the case ids, the slice
    tags and the per-scorer values, which only slices and baseline comparisons need."""
    sql = _CASES_SQL if per_case else _COLUMNS_SQL
    result = conn.exec_driver_sql(sql.format(mark=_mark(conn)), (run_id,))
    id_parts: list[NDArray[np.object_]] = []
    float_parts: dict[int, list[NDArray[np.float64]]] = {i: [] for i in _FLOAT_COLUMNS}
    bool_parts: dict[int, list[NDArray[np.bool_]]] = {i: [] for i in _BOOL_COLUMNS}
    tags: list[dict[str, Any] | None] = []
    while rows := result.fetchmany(_CHUNK_ROWS):
        fields = list(zip(*rows, strict=True))
        if not per_case:
            # The same layout without the id and tags columns: put placeholders back.
            fields.insert(0, ())
            fields.insert(9, ())
        else:
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
    scores = _score_columns(conn, run_id, ids) if per_case else {}
    return CaseTable(ids, columns, tags, scores)


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
