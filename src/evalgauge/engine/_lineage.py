"""Lineage fields recorded with every run."""

from __future__ import annotations

import hashlib
import secrets
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson


def config_hash(config: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a run's configuration."""
    canonical = orjson.dumps(config, option=orjson.OPT_SORT_KEYS, default=str)
    return "sha256:" + hashlib.sha256(canonical).hexdigest()


def git_commit(directory: Path | None = None) -> str | None:
    """Return the checked-out commit of the repository around `directory`, or None."""
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = completed.stdout.strip()
    return commit if completed.returncode == 0 and commit else None


def new_run_id(now: datetime | None = None) -> str:
    """Make a sortable, unique run id such as `20261204-071512-3fa2c1`."""
    moment = now or datetime.now(UTC)
    return f"{moment:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
