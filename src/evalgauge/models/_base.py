"""Provider-neutral chat request and response types, and the protocol every client meets."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Protocol

import orjson


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts a provider reports for one request; None where it reports nothing."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_input_tokens: int | None = None
    reasoning_tokens: int | None = None
    cache_write_tokens: int | None = None  # cache creation, counted inside input_tokens

    @property
    def total_tokens(self) -> int:
        return (self.input_tokens or 0) + (self.output_tokens or 0)


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: str
    content: str


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One chat completion request, independent of the provider."""

    messages: tuple[ChatMessage, ...]
    temperature: float = 0.0
    max_tokens: int | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def fingerprint(self, model_identity: str) -> str:
        """Content address of this request against one model: the response cache key."""
        payload = {
            "model": model_identity,
            "messages": [[m.role, m.content] for m in self.messages],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "extra": self.extra,
        }
        digest = hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS))
        return digest.hexdigest()

    def estimated_input_tokens(self) -> int:
        """Rough token count (4 characters a token) for rate limiting before usage is known."""
        return max(1, sum(len(m.content) for m in self.messages) // 4)


@dataclass(frozen=True, slots=True)
class ChatResponse:
    """A completed request: the reply text, its usage, the wall-clock latency and, for a
    streamed reply, the time to first token."""

    text: str
    usage: Usage
    model: str
    latency_ms: float
    cached: bool = False
    ttft_ms: float | None = None


class ChatModel(Protocol):
    """A chat model behind some API.

    `complete` raises `TransientError` (with `retry_after` when the server sent one) for
    429, 5xx, timeouts and connection failures, and `TargetError` for every other failure.
    Retries, rate limits and caching live in the engine's wrappers, not in the client.
    """

    provider: str
    model: str

    def identity(self) -> str:
        """Stable name of the provider, endpoint and model, used for lineage and caching."""
        ...

    async def complete(
        self, request: ChatRequest, *, timeout: float | None = None
    ) -> ChatResponse: ...

    async def check_ready(self) -> None:
        """Raise `TargetSetupError` if the key is missing or the endpoint is unreachable."""
        ...

    async def aclose(self) -> None: ...
