"""Shared helpers of the SQL execution tests: a writable copy of a Spider database, checksums."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

from tests._env import require_file, shared_data_dir


def spider_db(db_id: str) -> Path:
    """Return the path of a Spider dev database in the shared data; skip when it is absent."""
    return require_file(shared_data_dir() / "spider-dev" / "database" / db_id / f"{db_id}.sqlite")


def copy_spider_db(db_id: str, folder: Path) -> Path:
    """Copy a Spider database into `folder/<db_id>/<db_id>.sqlite` and return the copy."""
    target = folder / db_id / f"{db_id}.sqlite"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(spider_db(db_id), target)
    return target


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sqlite_table_counts(path: Path) -> dict[str, int]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        return {n: connection.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    finally:
        connection.close()
