"""Read streamed chat replies: the text, the usage and the time to the first token.

Time to first token (TTFT) runs from the moment the request is sent to the first event that
carries reply text, so the role-only opening chunk of OpenAI streams does not count.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from evalgauge.errors import TargetError
from evalgauge.models._base import Usage


@dataclass(slots=True)
class StreamedReply:
    text: str
    usage: Usage
    model: str | None
    ttft_ms: float | None


async def read_openai_stream(
    chunks: AsyncIterator[Any], started: float, *, endpoint: str
) -> StreamedReply:
    """Collect an OpenAI chat completions stream (`stream_options.include_usage` set)."""
    parts: list[str] = []
    ttft_ms: float | None = None
    usage = Usage()
    model: str | None = None
    async for chunk in chunks:
        model = getattr(chunk, "model", None) or model
        if chunk.usage is not None:
            usage = Usage(
                input_tokens=chunk.usage.prompt_tokens,
                output_tokens=chunk.usage.completion_tokens,
                cached_input_tokens=_detail(chunk.usage, "prompt_tokens_details", "cached_tokens"),
                reasoning_tokens=_detail(
                    chunk.usage, "completion_tokens_details", "reasoning_tokens"
                ),
            )
        for choice in chunk.choices or ():
            content = choice.delta.content if choice.delta is not None else None
            if content:
                if ttft_ms is None:
                    ttft_ms = (time.perf_counter() - started) * 1000.0
                parts.append(content)
    if not parts:
        raise TargetError(f"{endpoint} streamed a reply with no content")
    return StreamedReply("".join(parts), usage, model, ttft_ms)


async def read_anthropic_stream(
    events: AsyncIterator[Any], started: float, *, endpoint: str
) -> StreamedReply:
    """Collect an Anthropic messages stream: text deltas, and usage from start and delta."""
    parts: list[str] = []
    ttft_ms: float | None = None
    model: str | None = None
    start_usage: Any = None
    output_tokens: int | None = None
    async for event in events:
        kind = event.type
        if kind == "message_start":
            model = event.message.model
            start_usage = event.message.usage
        elif kind == "content_block_delta" and event.delta.type == "text_delta":
            if ttft_ms is None:
                ttft_ms = (time.perf_counter() - started) * 1000.0
            parts.append(event.delta.text)
        elif kind == "message_delta" and event.usage is not None:
            output_tokens = event.usage.output_tokens
        elif kind == "error":
            raise TargetError(f"{endpoint} sent an error event mid-stream: {event.error}")
    if not parts:
        raise TargetError(f"{endpoint} streamed a reply with no text")
    return StreamedReply(
        "".join(parts), _anthropic_stream_usage(start_usage, output_tokens), model, ttft_ms
    )


def _anthropic_stream_usage(start: Any, output_tokens: int | None) -> Usage:
    if start is None:
        return Usage(output_tokens=output_tokens)
    uncached = start.input_tokens
    cache_read = getattr(start, "cache_read_input_tokens", None)
    cache_write = getattr(start, "cache_creation_input_tokens", None)
    input_tokens = None
    if uncached is not None:
        input_tokens = uncached + (cache_read or 0) + (cache_write or 0)
    return Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cached_input_tokens=cache_read,
        cache_write_tokens=cache_write,
    )


def _detail(usage: Any, group: str, name: str) -> int | None:
    details = getattr(usage, group, None)
    value = getattr(details, name, None) if details is not None else None
    return value if isinstance(value, int) else None
