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
_SCORES_SQL = (
    "SELECT s.name, c.case_id, c.value FROM scores c JOIN run_scorers s "
    "ON s.scorer_id = c.scorer_id WHERE c.run_id = {mark} AND c.value IS NOT NULL"
)


def _mark(conn: Any) -> str:
    return "?" if conn.dialect.name == "sqlite" else "%s"


def load_case_table(conn: Any, run_id: str) -> CaseTable:
    rows = conn.exec_driver_sql(_CASES_SQL.format(mark=_mark(conn)), (run_id,)).fetchall()
    fields: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [()] * 11
    ids = np.array(fields[0], dtype=object)
    columns = CaseColumns(
        latency_ms=_floats(list(fields[1])),
        ttft_ms=_floats(list(fields[2])),
        cost_usd=_floats(list(fields[3])),
        input_tokens=_floats(list(fields[4])),
        output_tokens=_floats(list(fields[5])),
        errored=np.array(fields[6], dtype=bool),
        cached=np.array(fields[7], dtype=bool),
        has_model=np.array(fields[8], dtype=bool),
        judge_cost_usd=_floats(list(fields[10])),
    )
    tags = [None if t is None else orjson.loads(t) for t in fields[9]]
    return CaseTable(ids, columns, tags, _score_columns(conn, run_id, ids))


def _score_columns(
    conn: Any, run_id: str, ids: NDArray[np.object_]
) -> dict[str, NDArray[np.float64]]:
    position = {case_id: i for i, case_id in enumerate(ids.tolist())}
    names = conn.exec_driver_sql(
        f"SELECT name FROM run_scorers WHERE run_id = {_mark(conn)}", (run_id,)
    ).scalars()
    columns = {name: np.full(ids.size, np.nan) for name in names}
    rows = conn.exec_driver_sql(_SCORES_SQL.format(mark=_mark(conn)), (run_id,)).fetchall()
    for name, case_id, value in rows:
        index = position.get(case_id)
        if index is not None:
            columns[name][index] = value
    return columns
