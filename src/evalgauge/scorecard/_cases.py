"""Per-case columns of a stored run, loaded once for operations, slices and baselines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray
from sqlalchemy import select

from evalgauge.scorecard._operations import CaseColumns
from evalgauge.store._schema import case_results, run_scorers, scores


@dataclass(frozen=True, slots=True)
class CaseTable:
    """Case ids in storage order, their columns, slice tags and every scorer's values."""

    ids: NDArray[np.object_]
    columns: CaseColumns
    tags: list[dict[str, Any] | None]
    scores: dict[str, NDArray[np.float64]]  # scorer -> value per case, NaN where unscored


def _floats(values: list[Any]) -> NDArray[np.float64]:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def load_case_table(conn: Any, run_id: str) -> CaseTable:
    c = case_results.c
    query = (
        select(
            c.case_id,
            c.latency_ms,
            c.ttft_ms,
            c.cost_usd,
            c.input_tokens,
            c.output_tokens,
            c.error_type,
            c.cached,
            c.model,
            c.tags_json,
        )
        .where(c.run_id == run_id)
        .order_by(c.id)
    )
    rows = conn.execute(query).all()
    fields: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [()] * 10
    ids = np.array(fields[0], dtype=object)
    columns = CaseColumns(
        latency_ms=_floats(list(fields[1])),
        ttft_ms=_floats(list(fields[2])),
        cost_usd=_floats(list(fields[3])),
        input_tokens=_floats(list(fields[4])),
        output_tokens=_floats(list(fields[5])),
        errored=np.array([e is not None for e in fields[6]], dtype=bool),
        cached=np.array([bool(v) for v in fields[7]], dtype=bool),
        has_model=np.array([m is not None for m in fields[8]], dtype=bool),
    )
    tags = [None if t is None else orjson.loads(t) for t in fields[9]]
    return CaseTable(ids, columns, tags, _score_columns(conn, run_id, ids))


def _score_columns(
    conn: Any, run_id: str, ids: NDArray[np.object_]
) -> dict[str, NDArray[np.float64]]:
    position = {case_id: i for i, case_id in enumerate(ids.tolist())}
    names = dict(
        conn.execute(
            select(run_scorers.c.scorer_id, run_scorers.c.name).where(
                run_scorers.c.run_id == run_id
            )
        ).all()
    )
    columns = {name: np.full(ids.size, np.nan) for name in names.values()}
    query = select(scores.c.scorer_id, scores.c.case_id, scores.c.value).where(
        scores.c.run_id == run_id, scores.c.value.is_not(None)
    )
    for scorer_id, case_id, value in conn.execute(query):
        index = position.get(case_id)
        if index is not None:
            columns[names[scorer_id]][index] = value
    return columns
