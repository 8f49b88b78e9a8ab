"""Build a distilled test suite for many databases and write its layout and manifest.

Layout of a suite directory::

    DIR/manifest.json
    DIR/<db_id>/<db_id>.sqlite        the original database, copied
    DIR/<db_id>/<db_id>_<n>.sqlite    kept random instances, n = 1, 2, ...

A prediction counts as correct on the suite only if it matches gold on every `.sqlite` file in
its database's folder.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import sqlite3
import threading
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from evalgauge import __version__
from evalgauge.errors import DatasetError, UsageError
from evalgauge.scorers.sql.distill.distill import DatabaseReport, DistillConfig, distill_database

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT_VERSION = 1


def read_gold(path: Path) -> list[tuple[int, str, str]]:
    """Read a Spider gold file of `<SQL>\\t<db_id>` lines into (line index, SQL, db_id)."""
    if not path.is_file():
        raise DatasetError(
            "file not found", path=str(path), hint="Pass a Spider gold file such as dev_gold.sql"
        )
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        sql, tab, db_id = line.rpartition("\t")
        if not tab or not sql.strip() or not db_id.strip():
            raise DatasetError(
                "expected '<SQL><TAB><db_id>'", path=str(path), line=number + 1,
                hint="Write one gold query and its db_id per line",
            )  # fmt: skip
        entries.append((number, sql.strip(), db_id.strip()))
    return entries


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def build_suite(
    gold_path: Path,
    db_dir: Path,
    out_dir: Path,
    config: DistillConfig,
    *,
    databases: list[str] | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """Distill one suite per database of the gold file into `out_dir` and write the manifest."""
    by_db: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for index, sql, db_id in read_gold(gold_path):
        by_db[db_id].append((index, sql))
    selected = databases or sorted(by_db)
    jobs = []
    for db_id in selected:
        if db_id not in by_db:
            raise UsageError(f"database {db_id!r} has no query in {gold_path}; check --db")
        db_path = db_dir / db_id / f"{db_id}.sqlite"
        if not db_path.is_file():
            if databases:
                raise UsageError(f"database file {db_path} not found; check --db-dir and --db")
            # Every database of the gold file was asked for: build the ones that exist.
            logger.warning("database file %s not found; skipping %s", db_path, db_id)
            continue
        jobs.append((db_path, db_id, by_db[db_id]))
    if not jobs:
        raise UsageError(f"no database of {gold_path} has a file under {db_dir}; check --db-dir")
    out_dir.mkdir(parents=True, exist_ok=True)
    reports = _run_jobs(jobs, out_dir, config, workers)
    manifest = _manifest(config, jobs, reports)
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _run_jobs(
    jobs: list[tuple[Path, str, list[tuple[int, str]]]],
    out_dir: Path,
    config: DistillConfig,
    workers: int | None,
) -> list[DatabaseReport]:
    count = min(workers or os.cpu_count() or 1, len(jobs))
    if count <= 1:
        return [_distill_one(path, db_id, q, out_dir, config) for path, db_id, q in jobs]
    # largest databases first, so the pool does not end waiting on one slow job
    order = sorted(range(len(jobs)), key=lambda i: -len(jobs[i][2]))
    with ProcessPoolExecutor(max_workers=count, mp_context=_context()) as pool:
        futures = {
            i: pool.submit(_distill_one, jobs[i][0], jobs[i][1], jobs[i][2], out_dir, config)
            for i in order
        }
        return [futures[i].result() for i in range(len(jobs))]


def _context() -> multiprocessing.context.BaseContext:
    # fork starts fastest, but forking a process that runs other threads can deadlock a child
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _distill_one(
    db_path: Path, db_id: str, queries: list[tuple[int, str]], out_dir: Path, config: DistillConfig
) -> DatabaseReport:
    try:
        return distill_database(db_path, db_id, queries, out_dir, config)
    except sqlite3.DatabaseError as error:
        raise UsageError(
            f"database {db_path} could not be read ({error}); check that it is a SQLite file"
        ) from None


def _manifest(
    config: DistillConfig,
    jobs: list[tuple[Path, str, list[tuple[int, str]]]],
    reports: list[DatabaseReport],
) -> dict[str, Any]:
    settings = asdict(config)
    settings["tables_json"] = str(config.tables_json) if config.tables_json else None
    databases = {}
    for (db_path, db_id, _), report in zip(jobs, reports, strict=True):
        entry = report.to_dict()
        entry["source_sha256"] = sha256_file(db_path)
        databases[db_id] = entry
    killed = sum(r.killed for r in reports)
    total = sum(r.total for r in reports)
    return {
        "format_version": FORMAT_VERSION,
        "evalgauge_version": __version__,
        "seed": config.seed,
        "budgets": settings,
        "coverage": {"killed": killed, "total": total},
        "databases": databases,
    }


def read_manifest(suite_dir: Path) -> dict[str, Any]:
    """Load `suite_dir/manifest.json`, raising a UsageError when it is missing or invalid."""
    path = suite_dir / MANIFEST
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise UsageError(
            f"{path} not found; build the suite with `evalgauge sql suite build`"
        ) from error
    except json.JSONDecodeError as error:
        raise UsageError(f"{path} is not valid JSON ({error}); rebuild the suite") from error
    return data


def suite_databases(suite_dir: Path, db_id: str) -> list[Path]:
    """Return the suite's files for `db_id`: the original first, then instances in order."""
    folder = suite_dir / db_id
    original = folder / f"{db_id}.sqlite"
    instances = sorted(
        folder.glob(f"{db_id}_*.sqlite"), key=lambda p: int(p.stem.rsplit("_", 1)[1])
    )
    return ([original] if original.is_file() else []) + instances
