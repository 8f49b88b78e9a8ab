"""Retries with exponential backoff and full jitter, honoring Retry-After."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from evalgauge.engine._settings import EngineSettings
from evalgauge.errors import TransientError

logger = logging.getLogger(__name__)

T = TypeVar("T")


def backoff_delay(
    attempt: int,
    settings: EngineSettings,
    retry_after: float | None,
    rng: random.Random,
) -> float:
    """Seconds to wait before retry number `attempt` (0-based).

    A server's Retry-After wins when it is longer than the jittered backoff, because retrying
    earlier only earns another 429.
    """
    ceiling = min(settings.backoff_max_s, settings.backoff_base_s * (2**attempt))
    delay = rng.uniform(0, ceiling)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


async def call_with_retries(
    call: Callable[[], Awaitable[T]],
    settings: EngineSettings,
    *,
    what: str,
    rng: random.Random | None = None,
    timeout_s: float | None = -1.0,
) -> T:
    """Await `call()` under the per-call timeout, retrying transient failures.

    Each attempt gets `timeout_s` (default `settings.timeout_s`; None when `call` applies its
    own deadline); a timed-out attempt counts as transient. After `settings.max_retries`
    retries the last `TransientError` is raised.
    """
    rng = rng or random.Random()
    deadline = settings.timeout_s if timeout_s == -1.0 else timeout_s
    attempt = 0
    while True:
        try:
            async with asyncio.timeout(deadline):
                return await call()
        except TimeoutError:
            error = TransientError(f"{what} timed out after {deadline:g} s")
        except TransientError as exc:
            error = exc
        if attempt >= settings.max_retries:
            if settings.max_retries:
                raise TransientError(
                    f"{error} (gave up after {attempt + 1} attempts)",
                    retry_after=error.retry_after,
                ) from error
            raise error
        delay = backoff_delay(attempt, settings, error.retry_after, rng)
        logger.info("retrying %s in %.2f s after: %s", what, delay, error)
        await asyncio.sleep(delay)
        attempt += 1
