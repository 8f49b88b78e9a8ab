"""Shared fixtures: real data from ../shared/data, the SQLite and PostgreSQL stores.

Tests that need a server or the shared data skip with the reason when it is absent. With
EVALGAUGE_REQUIRE_SERVICES=1 (set by .ci/run) such a skip fails instead, so CI never
passes by skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._env import require_file, shared_data_dir, skip_or_fail

POSTGRES_ADMIN_URL = os.environ.get(
    "EVALGAUGE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    directory = shared_data_dir()
    if not directory.is_dir():
        skip_or_fail(f"shared data not found at {directory}; set EVALGAUGE_SHARED_DATA")
    return directory


@pytest.fixture(scope="session")
def begin_tsv(shared_data: Path) -> Path:
    return require_file(shared_data / "begin-attribution-wow-dev" / "begin_dev_wow.tsv")


@pytest.fixture(scope="session")
def recipe_jsonl(shared_data: Path) -> Path:
    return require_file(shared_data / "recipe-bot-dietary-traces" / "labeled_traces.jsonl")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    try:
        import psycopg
    except ImportError:
        skip_or_fail("psycopg is not installed")
    name = f"evalgauge_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        skip_or_fail(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store URL of each backend; every store test runs on both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url
