"""Where tests find shared data and servers, and how a missing one is reported.

A test that needs the shared data or a server skips with the reason when it is absent. With
EVALGAUGE_REQUIRE_SERVICES=1 (set by .ci/run) the skip fails instead, so CI never passes by
skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REQUIRE_SERVICES = os.environ.get("EVALGAUGE_REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (EVALGAUGE_REQUIRE_SERVICES=1 turns this skip into a failure)")
    pytest.skip(reason)


def shared_data_dir() -> Path:
    """`../shared/data` beside the repository, or EVALGAUGE_SHARED_DATA when set."""
    configured = os.environ.get("EVALGAUGE_SHARED_DATA")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "shared" / "data"


def require_file(path: Path) -> Path:
    if not path.exists():
        skip_or_fail(f"{path} not found; set EVALGAUGE_SHARED_DATA to the shared data folder")
    return path
