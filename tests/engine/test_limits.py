"""Rate limits and backoff."""

from __future__ import annotations

import asyncio
import random
import time

from evalgauge.engine import EngineSettings, TokenBucket, backoff_delay


def test_bucket_waits_when_drained() -> None:
    async def go() -> float:
        bucket = TokenBucket(600)  # 10 units a second
        await bucket.acquire(600)
        started = time.perf_counter()
        await bucket.acquire(5)
        return time.perf_counter() - started

    waited = asyncio.run(go())
    assert 0.4 <= waited <= 2.0


def test_bucket_refund() -> None:
    async def go() -> float:
        bucket = TokenBucket(600)
        await bucket.acquire(600)
        bucket.adjust(-300)  # the request used 300 fewer tokens than estimated
        started = time.perf_counter()
        await bucket.acquire(300)
        return time.perf_counter() - started

    assert asyncio.run(go()) < 0.1


def test_backoff_grows_and_caps() -> None:
    settings = EngineSettings(backoff_base_s=1.0, backoff_max_s=8.0)
    rng = random.Random(0)
    delays = [max(backoff_delay(k, settings, None, rng) for _ in range(200)) for k in range(6)]
    assert delays[0] <= 1.0
    assert delays[2] > 2.0
    assert max(delays) <= 8.0


def test_backoff_honors_retry_after() -> None:
    settings = EngineSettings(backoff_base_s=0.01, backoff_max_s=0.1)
    assert backoff_delay(0, settings, 5.0, random.Random(0)) == 5.0
