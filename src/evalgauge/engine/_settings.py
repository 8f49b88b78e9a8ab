"""Engine settings: concurrency, rate limits, retries, timeouts and the cache policy."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class CachePolicy(StrEnum):
    """Policy of model calls toward the response cache."""

    OFF = "off"
    """Every call goes to the provider; nothing is read or written."""
    READ_WRITE = "read-write"
    """Hits are served from the cache; misses go to the provider and are stored."""
    REPLAY = "replay"
    """Hits are served from the cache; a miss is a case error. For CI without keys."""


class EngineSettings(BaseModel):
    """Limits and policies for one run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    concurrency: int = Field(16, ge=1, le=10_000)
    """Cases in flight at once; also the HTTP connection limit of model clients."""
    requests_per_minute: float | None = Field(None, gt=0)
    tokens_per_minute: float | None = Field(None, gt=0)
    timeout_s: float = Field(60.0, gt=0)
    """Deadline of one call (one attempt) to a target or judge, in seconds."""
    max_retries: int = Field(4, ge=0, le=50)
    backoff_base_s: float = Field(1.0, ge=0)
    """First backoff delay; attempt k waits up to base * 2**k seconds, with full jitter."""
    backoff_max_s: float = Field(60.0, ge=0)
    cache: CachePolicy = CachePolicy.OFF
    cache_path: Path = Path(".evalgauge/cache.sqlite")
    batch_size: int = Field(1000, ge=1)
    """Case results written per store transaction."""
