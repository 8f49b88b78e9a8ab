"""A chat model wrapped with the engine's cache, rate limits, concurrency cap and retries."""

from __future__ import annotations

import asyncio
import random

from evalgauge.engine._cache import ResponseCache
from evalgauge.engine._ratelimit import RateLimiter
from evalgauge.engine._retry import call_with_retries
from evalgauge.engine._settings import CachePolicy, EngineSettings
from evalgauge.errors import CacheMissError, TransientError
from evalgauge.models._base import ChatModel, ChatRequest, ChatResponse


class ResilientModel:
    """Meets the ChatModel protocol; targets and judges call this instead of the client."""

    def __init__(
        self,
        inner: ChatModel,
        settings: EngineSettings,
        *,
        cache: ResponseCache | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.inner = inner
        self.provider = inner.provider
        self.model = inner.model
        self.settings = settings
        self.cache = cache if settings.cache is not CachePolicy.OFF else None
        self.limiter = RateLimiter(settings.requests_per_minute, settings.tokens_per_minute)
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._rng = rng or random.Random()

    def identity(self) -> str:
        return self.inner.identity()

    async def check_ready(self) -> None:
        if self.settings.cache is CachePolicy.REPLAY:
            return  # replay never reaches the provider, so it needs no key
        await self.inner.check_ready()

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def complete(self, request: ChatRequest, *, timeout: float | None = None) -> ChatResponse:
        key = request.fingerprint(self.identity()) if self.cache is not None else ""
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                return hit
            if self.settings.cache is CachePolicy.REPLAY:
                raise CacheMissError(
                    f"no cached response for this request to {self.identity()} "
                    f"(key {key[:12]}); record it first with --cache read-write"
                )
        response = await call_with_retries(
            lambda: self._attempt(request),
            self.settings,
            what=f"request to {self.identity()}",
            rng=self._rng,
            timeout_s=None,
        )
        if self.cache is not None:
            self.cache.put(key, self.identity(), response)
        return response

    async def _attempt(self, request: ChatRequest) -> ChatResponse:
        estimate = request.estimated_input_tokens() + (request.max_tokens or 256)
        await self.limiter.acquire(estimate)
        timeout = self.settings.timeout_s
        async with self._slots:
            try:
                async with asyncio.timeout(timeout):
                    response = await self.inner.complete(request, timeout=timeout)
            except TimeoutError:
                raise TransientError(
                    f"request to {self.identity()} timed out after {timeout:g} s"
                ) from None
        self.limiter.settle(estimate, response.usage.total_tokens or None)
        return response
