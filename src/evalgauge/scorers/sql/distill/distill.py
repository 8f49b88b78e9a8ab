"""Greedy distillation: keep the random instances that tell gold apart from a new neighbour.

For one database: the original database kills the neighbours whose result already differs
there. Then random instances are generated one at a time, and an instance is kept only if it
kills at least one neighbour that survived every instance before it. Generation stops when no
neighbour survives, when `patience` instances in a row kill nothing, or when the instance count
or byte budget is spent.
"""

from __future__ import annotations

import random
import shutil
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlglot.errors import SqlglotError

from evalgauge.scorers.sql._compare import CompareOptions, compare_results
from evalgauge.scorers.sql.distill._results import QueryFailed, Row, open_readonly, run_query
from evalgauge.scorers.sql.distill._schema import Schema, add_spider_foreign_keys, read_schema
from evalgauge.scorers.sql.distill.fuzz import (
    FuzzConfig,
    collect_pools,
    generate_rows,
    write_instance,
)
from evalgauge.scorers.sql.distill.neighbors import generate_neighbors

_SURVIVORS_LISTED = 20
# NOTE: row order is ignored while distilling, as in test-suite-sql-eval's own distillation, so
# a neighbour that only reorders the rows of gold (another ORDER BY key) always survives.
_DISTILL_COMPARE = CompareOptions(rows="bag", column_permutation=True, rel_tol=1e-9)


@dataclass
class DistillConfig:
    """Seed and budgets of one distillation; the budgets apply to each database."""

    seed: int = 0
    max_instances: int = 20
    max_bytes: int = 50_000_000
    max_rounds: int = 200
    patience: int = 10
    neighbors_per_query: int = 60
    timeout_s: float = 1.0
    max_rows: int = 40
    tables_json: Path | None = None


@dataclass
class QueryCoverage:
    """How many neighbours of one gold query the suite distinguishes."""

    index: int
    gold: str
    total: int
    killed: int
    killed_by_original: int
    survivors: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class DatabaseReport:
    """The instances kept for one database and the coverage they reach."""

    db_id: str
    instances: list[str]
    instance_bytes: int
    rounds: int
    rejected_instances: int
    stop_reason: str
    queries: list[QueryCoverage]

    @property
    def killed(self) -> int:
        return sum(q.killed for q in self.queries)

    @property
    def total(self) -> int:
        return sum(q.total for q in self.queries)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["killed"], data["total"] = self.killed, self.total
        return data


@dataclass
class _QueryState:
    index: int
    gold: str
    neighbors: list[str]
    alive: list[str]
    error: str | None = None

    def __post_init__(self) -> None:
        self.killed_by_original = len(self.neighbors) - len(self.alive)


def distill_database(
    db_path: Path, db_id: str, queries: list[tuple[int, str]], out_dir: Path, config: DistillConfig
) -> DatabaseReport:
    """Write `out_dir/<db_id>/` with the original copied and the kept instances beside it."""
    target = out_dir / db_id
    target.mkdir(parents=True, exist_ok=True)
    # instances of an earlier build would otherwise join this suite
    for old in target.glob(f"{db_id}_*.sqlite"):
        old.unlink()
    shutil.copyfile(db_path, target / f"{db_id}.sqlite")
    schema = read_schema(db_path)
    if config.tables_json is not None:
        add_spider_foreign_keys(schema, config.tables_json, db_id)
    states = _screen_on_original(target / f"{db_id}.sqlite", schema, queries, config)
    pools = collect_pools(db_path, schema, [sql for _, sql in queries])
    fuzz = FuzzConfig(max_rows=config.max_rows)
    rng = random.Random(config.seed * 1_000_003 + zlib.crc32(db_id.encode()))

    kept: list[str] = []
    size = rounds = rejected = stale = 0
    stop = "round limit"
    # no .sqlite suffix, so that an interrupted build leaves no file an evaluator reads
    scratch = target / f".{db_id}_candidate.tmp"
    while rounds < config.max_rounds:
        if not any(s.alive for s in states):
            stop = "every distinguishable neighbour killed"
            break
        if stale >= config.patience:
            stop = f"no new kill in {config.patience} instances"
            break
        if len(kept) >= config.max_instances:
            stop = f"instance budget ({config.max_instances}) reached"
            break
        rounds += 1
        write_instance(scratch, schema, generate_rows(schema, pools, rng, fuzz))
        if size + scratch.stat().st_size > config.max_bytes:
            stop = f"byte budget ({config.max_bytes:,}) reached"
            break
        kills = _kill_on_instance(scratch, states, config.timeout_s)
        if kills is None:
            rejected += 1
            stale += 1
        elif kills == 0:
            stale += 1
        else:
            stale = 0
            name = f"{db_id}_{len(kept) + 1}.sqlite"
            scratch.replace(target / name)
            kept.append(name)
            size += (target / name).stat().st_size
    scratch.unlink(missing_ok=True)
    coverage = [_coverage(state) for state in states]
    return DatabaseReport(db_id, kept, size, rounds, rejected, stop, coverage)


def _screen_on_original(
    original: Path, schema: Schema, queries: list[tuple[int, str]], config: DistillConfig
) -> list[_QueryState]:
    """Keep the neighbours that execute on the original, and kill those whose result differs."""
    conn = open_readonly(original)
    states: list[_QueryState] = []
    try:
        for index, gold in queries:
            try:
                gold_rows = run_query(conn, gold, config.timeout_s * 10)
                candidates = generate_neighbors(
                    gold, schema, seed=config.seed, limit=config.neighbors_per_query
                )
            except (QueryFailed, SqlglotError) as error:
                states.append(_QueryState(index, gold, [], [], error=str(error)))
                continue
            executable, alive = [], []
            for neighbor in candidates:
                try:
                    rows = run_query(conn, neighbor.sql, config.timeout_s)
                except QueryFailed:
                    continue
                executable.append(neighbor.sql)
                if not _differs(gold_rows, rows):
                    alive.append(neighbor.sql)
            states.append(_QueryState(index, gold, executable, alive))
    finally:
        conn.close()
    return states


def _kill_on_instance(path: Path, states: list[_QueryState], timeout_s: float) -> int | None:
    """Count the neighbours `path` kills, or None when some gold query fails on it."""
    conn = open_readonly(path)
    try:
        gold_results: dict[int, list[Row]] = {}
        for state in states:
            if state.error is None:
                try:
                    gold_results[state.index] = run_query(conn, state.gold, timeout_s)
                except QueryFailed:
                    return None
        kills = 0
        for state in states:
            if not state.alive:
                continue
            survivors = []
            for sql in state.alive:
                if _distinguishes(conn, gold_results[state.index], sql, timeout_s):
                    kills += 1
                else:
                    survivors.append(sql)
            state.alive = survivors
        return kills
    finally:
        conn.close()


def _distinguishes(conn: Any, gold_rows: list[Row], sql: str, timeout_s: float) -> bool:
    try:
        rows = run_query(conn, sql, timeout_s)
    except QueryFailed as failure:
        # a neighbour that raises where gold runs is distinguished, but a slow one proves nothing
        return not failure.timed_out
    return _differs(gold_rows, rows)


def _differs(gold_rows: list[Row], rows: list[Row]) -> bool:
    return not compare_results(gold_rows, rows, _DISTILL_COMPARE, ordered=False).match


def _coverage(state: _QueryState) -> QueryCoverage:
    total = len(state.neighbors)
    return QueryCoverage(
        index=state.index,
        gold=state.gold,
        total=total,
        killed=total - len(state.alive),
        killed_by_original=state.killed_by_original,
        survivors=state.alive[:_SURVIVORS_LISTED],
        error=state.error,
    )
