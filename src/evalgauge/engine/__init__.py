"""The engine: scheduling, concurrency, rate limits, retries, caching and resume."""

from evalgauge.engine._cache import ResponseCache
from evalgauge.engine._lineage import config_hash, git_commit, new_run_id
from evalgauge.engine._ratelimit import RateLimiter, TokenBucket
from evalgauge.engine._resilient import ResilientModel
from evalgauge.engine._retry import backoff_delay, call_with_retries
from evalgauge.engine._runner import RunPlan, RunSummary, execute_run
from evalgauge.engine._settings import CachePolicy, EngineSettings

__all__ = [
    "CachePolicy",
    "EngineSettings",
    "RateLimiter",
    "ResilientModel",
    "ResponseCache",
    "RunPlan",
    "RunSummary",
    "TokenBucket",
    "backoff_delay",
    "call_with_retries",
    "config_hash",
    "execute_run",
    "git_commit",
    "new_run_id",
]
