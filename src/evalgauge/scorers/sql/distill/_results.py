"""Read-only SQLite execution with a deadline, for the distiller's many short queries."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

Row = tuple[Any, ...]
_PROGRESS_STEPS = 2_000


class QueryFailed(Exception):
    """A query raised or ran past its deadline on one database."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


def open_readonly(path: Path) -> sqlite3.Connection:
    """Open `path` read-only; text that is not UTF-8 is decoded with errors ignored."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    conn.text_factory = lambda raw: raw.decode(errors="ignore")
    return conn


def run_query(conn: sqlite3.Connection, sql: str, timeout_s: float) -> list[Row]:
    """Execute `sql` and fetch every row; interrupt it after `timeout_s` seconds."""
    deadline = time.monotonic() + timeout_s
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), _PROGRESS_STEPS)
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.Error as error:
        timed_out = "interrupted" in str(error)
        raise QueryFailed(str(error), timed_out=timed_out) from error
    except (ValueError, OverflowError) as error:
        raise QueryFailed(str(error)) from error
    finally:
        conn.set_progress_handler(None, 0)
