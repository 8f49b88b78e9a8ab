"""Open the results store for a command."""

from __future__ import annotations

from pathlib import Path

from evalgauge.store import Store


def open_store(database: str | None, project_root: Path) -> Store:
    return Store.open(database, root=project_root / ".evalgauge")
