"""Open the results store for a command."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evalgauge.store import Store


def open_store(database: str | None, project_root: Path) -> Store:
    # Imported here: SQLAlchemy and Alembic take about 0.2 s to load, which `--help` and
    # commands without a store should not pay.
    from evalgauge.store import Store

    return Store.open(database, root=project_root / ".evalgauge")
