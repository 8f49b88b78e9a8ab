"""The results store: runs, case results, scores and lineage, through SQLAlchemy."""

from evalgauge.store._migrate import (
    HEAD_REVISION,
    current_revision,
    run_migrations,
    upgrade_to_head,
)
from evalgauge.store._records import CaseResult, RunRecord, ScoreResult, ScorerRecord
from evalgauge.store._store import DATABASE_URL_ENV, Store, resolve_database_url

__all__ = [
    "DATABASE_URL_ENV",
    "HEAD_REVISION",
    "CaseResult",
    "RunRecord",
    "ScoreResult",
    "ScorerRecord",
    "Store",
    "current_revision",
    "resolve_database_url",
    "run_migrations",
    "upgrade_to_head",
]
