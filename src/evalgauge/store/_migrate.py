"""Apply the Alembic migrations that ship with the package."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import OperationalError

HEAD_REVISION = "0003"
_MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed 64-bit key; it serializes concurrent migrations of one PostgreSQL database.
_PG_LOCK_KEY = 0x6576_616C_6761


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade_to_head(engine: Engine) -> None:
    """Bring the schema to the newest revision; a store already there costs one query.

    An empty database gets the current tables directly and is stamped with the head
    revision, which is what running every migration would produce (a test checks that both
    paths give the same schema) without importing Alembic.
    """
    if current_revision(engine) == HEAD_REVISION:
        return
    try:
        if _create_if_empty(engine):
            return
    except OperationalError:
        # Another process created the store between our check and our CREATE TABLE.
        if current_revision(engine) == HEAD_REVISION:
            return
        raise
    run_migrations(engine)


def _create_if_empty(engine: Engine) -> bool:
    from evalgauge.store._schema import metadata

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        if inspect(conn).get_table_names():
            return False
        metadata.create_all(conn)
        conn.execute(
            text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        )
        conn.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": HEAD_REVISION})
    return True


def run_migrations(engine: Engine) -> None:
    """Apply every pending Alembic migration under a lock."""
    # Alembic is imported only when a migration is due, to keep start-up fast.
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
