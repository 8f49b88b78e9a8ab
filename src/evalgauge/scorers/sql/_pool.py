"""Run many questions in worker processes, each with its own open connections and gold cache."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from evalgauge.scorers.sql._cache import GoldResultCache
from evalgauge.scorers.sql._evaluate import ExecutionSession, Verdict
from evalgauge.scorers.sql._executor import ExecutionLimits
from evalgauge.scorers.sql._hardness import hardness, query_features
from evalgauge.scorers.sql._presets import Preset

Task = tuple[str, str, tuple[str, ...]]
"""Gold SQL, predicted SQL and the instance paths of one question."""

_session: ExecutionSession | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """A question's verdict, with the hardness and features computed from its gold SQL."""

    verdict: Verdict
    hardness: str | None
    features: tuple[str, ...]


def _outcome(session: ExecutionSession, task: Task) -> Outcome:
    gold_sql, pred_sql, instances = task
    verdict = session.evaluate(gold_sql, pred_sql, list(_paths(instances)))
    if not instances:
        # No database to run on: the question counts as missing, so parsing its gold query
        # for the breakdown (about 0.25 ms) would be spent on nothing.
        return Outcome(verdict, None, ())
    return Outcome(verdict, *_breakdown(gold_sql))


# A Path caches its hash, which the session's dictionaries of executors and gold results
# compute for every instance of every question.
@lru_cache(maxsize=4096)
def _paths(instances: tuple[str, ...]) -> tuple[Path, ...]:
    return tuple(Path(p) for p in instances)


# Questions often share a gold query, and chunks keep them in one worker.
@lru_cache(maxsize=4096)
def _breakdown(gold_sql: str) -> tuple[str | None, tuple[str, ...]]:
    return hardness(gold_sql), tuple(query_features(gold_sql))


def init_worker(
    preset: Preset, limits: ExecutionLimits, gold_limits: ExecutionLimits, cache_dir: str | None
) -> None:
    from evalgauge.scorers.sql._sqlite import set_process_heap_limit

    global _session
    # The hard heap limit is process-wide, so only a worker that runs nothing else sets it.
    set_process_heap_limit(2 * max(limits.memory_bytes, gold_limits.memory_bytes))
    cache = GoldResultCache(cache_dir) if cache_dir else None
    _session = ExecutionSession(preset, limits, gold_limits=gold_limits, cache=cache)


def run_task(task: Task) -> Outcome:
    assert _session is not None, "worker not initialised"
    return _outcome(_session, task)


def run_chunk(chunk: list[Task]) -> list[Outcome]:
    return [run_task(task) for task in chunk]


def _chunks(tasks: Sequence[Task], workers: int) -> list[list[int]]:
    """Split the task indices into chunks of one database each, weighed in instances.

    A chunk contains about a sixteenth of one worker's share of (question, instance) pairs,
    so a worker opens the instances of few databases and runs each gold query once.
    """
    by_database: dict[tuple[str, ...], list[int]] = {}
    for index, task in enumerate(tasks):
        by_database.setdefault(task[2], []).append(index)
    target = sum(max(len(task[2]), 1) for task in tasks) / (workers * 16)
    chunks: list[list[int]] = []
    for indices in by_database.values():
        weight = max(len(tasks[indices[0]][2]), 1)
        size = max(1, round(target / weight))
        chunks.extend(indices[start : start + size] for start in range(0, len(indices), size))
    return chunks


def start_context(*, allow_fork: bool = True) -> multiprocessing.context.BaseContext:
    """Pick how workers start: fork when safe, else forkserver, else spawn (Windows)."""
    methods = multiprocessing.get_all_start_methods()
    # fork starts fastest, but forking a process that runs other threads can deadlock a child
    if allow_fork and "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


def evaluate_tasks(
    tasks: Sequence[Task],
    preset: Preset,
    *,
    limits: ExecutionLimits | None = None,
    gold_limits: ExecutionLimits | None = None,
    workers: int | None = None,
    cache_dir: Path | None = None,
    while_waiting: Callable[[], object] | None = None,
) -> list[Outcome]:
    """Judge every task, in order; `workers=1` runs them in this process.

    `while_waiting` runs in this process once the tasks are sent to the workers, so that its
    time overlaps theirs. With one worker it runs before the tasks.
    """
    limits = limits or ExecutionLimits()
    gold_limits = gold_limits or ExecutionLimits(timeout_s=max(limits.timeout_s, 120))
    workers = workers or os.cpu_count() or 1
    cache = str(cache_dir) if cache_dir else None
    if workers == 1 or len(tasks) < 2:
        if while_waiting is not None:
            while_waiting()
        session = ExecutionSession(
            preset, limits, gold_limits=gold_limits, cache=GoldResultCache(cache) if cache else None
        )
        try:
            return [_outcome(session, task) for task in tasks]
        finally:
            session.close()
    chunks = _chunks(tasks, workers)
    outcomes: list[Outcome | None] = [None] * len(tasks)
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=start_context(),
        initializer=init_worker,
        initargs=(preset, limits, gold_limits, cache),
    ) as pool:
        parts = pool.map(run_chunk, [[tasks[i] for i in chunk] for chunk in chunks])
        if while_waiting is not None:
            while_waiting()
        for chunk, part in zip(chunks, parts, strict=True):
            for index, outcome in zip(chunk, part, strict=True):
                outcomes[index] = outcome
    found = [outcome for outcome in outcomes if outcome is not None]
    assert len(found) == len(tasks), "each chunk returns one outcome per task"
    return found
