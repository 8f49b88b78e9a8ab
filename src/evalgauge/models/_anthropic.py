"""Client for Anthropic's messages API, called through the `anthropic` SDK."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import anthropic
import httpx2
import orjson

from evalgauge.errors import TargetError, TransientError
from evalgauge.models._base import ChatRequest, ChatResponse, Usage
from evalgauge.models._openai import (
    decode_json_object,
    error_body_message,
    excerpt,
    optional_int,
    probe_reachable,
    read_api_key,
    redact,
    status_error,
    status_hint,
    timed_out_message,
)
from evalgauge.models._streaming import read_anthropic_stream

DEFAULT_ANTHROPIC_BASE_URL = "https://api.anthropic.com"


class AnthropicModel:
    """A Claude model behind the Anthropic messages API.

    System messages are joined, with a blank line between them, into the `system`
    parameter, because the messages API takes no system role. The constructor's
    `max_tokens` is sent when the request sets none, since the API requires it. The
    request's temperature is not sent (see `complete`). Key handling, error mapping and
    `check_ready` match `OpenAICompatibleModel`. The key comes from `api_key_env` (None sends
    a placeholder). 408, 429 and 5xx (529 is Anthropic's "overloaded") raise
    `TransientError`, and other statuses raise `TargetError`. With `stream=True` replies are
    streamed, which measures the time to first token.
    """

    provider = "anthropic"

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key_env: str | None = "ANTHROPIC_API_KEY",
        max_tokens: int = 1024,
        max_connections: int = 100,
        stream: bool = False,
    ) -> None:
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
        if max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, got {max_connections}")
        self.model = model
        # An explicit default, so ANTHROPIC_BASE_URL in the environment never changes the
        # endpoint behind an identity.
        self.base_url = (base_url or DEFAULT_ANTHROPIC_BASE_URL).rstrip("/")
        self.api_key_env = api_key_env
        self.max_tokens = max_tokens
        self.max_connections = max_connections
        self.stream = stream
        self._http: httpx2.AsyncClient | None = None
        self._client: anthropic.AsyncAnthropic | None = None
        self._api_key = ""

    def identity(self) -> str:
        return f"{self.provider}:{self.base_url}:{self.model}"

    def _http_client(self) -> httpx2.AsyncClient:
        if self._http is None:
            limits = httpx2.Limits(
                max_connections=self.max_connections,
                max_keepalive_connections=self.max_connections,
            )
            self._http = httpx2.AsyncClient(limits=limits)
        return self._http

    def _sdk_client(self) -> anthropic.AsyncAnthropic:
        if self._client is None:
            self._api_key = read_api_key(self.api_key_env, provider="Anthropic")
            self._client = anthropic.AsyncAnthropic(
                base_url=self.base_url,
                api_key=self._api_key,
                max_retries=0,
                http_client=self._http_client(),
            )
        return self._client

    async def check_ready(self) -> None:
        self._sdk_client()
        await probe_reachable(self._http_client(), f"{self.base_url}/v1/models")

    async def complete(self, request: ChatRequest, *, timeout: float | None = None) -> ChatResponse:
        """Send one messages request.

        `timeout` is the SDK's per-request limit in seconds. None leaves the SDK default
        (600 s, with 5 s to connect, in anthropic 2.16).
        """
        client = self._sdk_client()
        system_parts = [m.content for m in request.messages if m.role == "system"]
        arguments: dict[str, Any] = {
            "model": self.model,
            "messages": [
                {"role": m.role, "content": m.content}
                for m in request.messages
                if m.role != "system"
            ],
            "max_tokens": request.max_tokens or self.max_tokens,
        }
        # NOTE: `request.temperature` is not sent. The installed anthropic SDK (2.16) sends
        # API version 2026-10-21 and its `create` has no temperature parameter. Users report
        # that this API version rejects the field with HTTP 400 (not checked against the real
        # API here). A compatible server that takes one can get it through `request.extra`.
        if system_parts:
            arguments["system"] = "\n\n".join(system_parts)
        if request.extra:
            arguments["extra_body"] = dict(request.extra)
        if timeout is not None:
            arguments["timeout"] = timeout

        endpoint = f"{self.base_url}/v1/messages"
        started = time.perf_counter()
        try:
            if self.stream:
                events = await client.messages.create(**arguments, stream=True)
                streamed = await read_anthropic_stream(events, started, endpoint=endpoint)
                return ChatResponse(
                    text=streamed.text,
                    usage=streamed.usage,
                    model=streamed.model or self.model,
                    latency_ms=(time.perf_counter() - started) * 1000.0,
                    ttft_ms=streamed.ttft_ms,
                )
            raw = await client.messages.with_raw_response.create(**arguments)
        except anthropic.APIStatusError as exc:
            message = error_body_message(exc.body, fallback=exc.message)
            raise status_error(
                exc.status_code,
                redact(message, self._api_key),
                exc.response.headers,
                endpoint=endpoint,
                hint=status_hint(exc.status_code, self.api_key_env, self.model, self.base_url),
            ) from exc
        except anthropic.APITimeoutError as exc:
            raise TransientError(timed_out_message(endpoint, timeout)) from exc
        except anthropic.APIConnectionError as exc:
            cause = exc.__cause__ or exc
            raise TransientError(
                f"connection to {endpoint} failed: {type(cause).__name__}: {cause}"
            ) from exc
        except anthropic.AnthropicError as exc:
            raise TargetError(
                f"request to {endpoint} failed: {type(exc).__name__}: "
                f"{redact(str(exc), self._api_key)}"
            ) from exc
        latency_ms = (time.perf_counter() - started) * 1000.0

        body = decode_json_object(raw.http_response.content, endpoint=endpoint)
        return ChatResponse(
            text=_reply_text(body, endpoint),
            usage=_anthropic_usage(body.get("usage")),
            model=str(body.get("model") or self.model),
            latency_ms=latency_ms,
        )

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._http is not None:
            await self._http.aclose()
            self._http = None


def _reply_text(body: dict[str, Any], endpoint: str) -> str:
    content = body.get("content")
    if not isinstance(content, list) or not content:
        raise TargetError(
            f"{endpoint} returned a reply with no content blocks: {excerpt(orjson.dumps(body))}"
        )
    texts = [
        block["text"]
        for block in content
        if isinstance(block, dict)
        and block.get("type") == "text"
        and isinstance(block.get("text"), str)
    ]
    if not texts:
        raise TargetError(
            f"{endpoint} returned a reply with no text block: {excerpt(orjson.dumps(body))}"
        )
    return "".join(texts)


def _anthropic_usage(usage: object) -> Usage:
    if not isinstance(usage, Mapping):
        return Usage()
    # Anthropic counts cache reads and cache writes apart from `input_tokens`. They are
    # added back so that `input_tokens` is the whole prompt and `cached_input_tokens` a part
    # of it, as in OpenAI's usage.
    uncached = optional_int(usage, "input_tokens")
    cache_read = optional_int(usage, "cache_read_input_tokens")
    cache_write = optional_int(usage, "cache_creation_input_tokens")
    input_tokens = None
    if uncached is not None:
        input_tokens = uncached + (cache_read or 0) + (cache_write or 0)
    return Usage(
        input_tokens=input_tokens,
        output_tokens=optional_int(usage, "output_tokens"),
        cached_input_tokens=cache_read,
        reasoning_tokens=None,
        cache_write_tokens=cache_write,
    )
