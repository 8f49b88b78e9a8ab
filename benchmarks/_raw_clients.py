"""Baseline clients for the LLM-bound benchmark: chat requests without evalgauge.

Each pass sends chat completions for "case 0" to "case {n-1}" from `concurrency` workers
sharing one iterator, checks that every reply is the input upper-cased, and returns the
number of correct replies and the elapsed seconds. A failed request raises `BenchmarkError`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import orjson

from _harness import BenchmarkError

MODEL = "bench"
CLIENTS = ("httpx2", "httpx", "streams")


def _chat_body(i: int) -> bytes:
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": f"case {i}"}],
        "temperature": 0.0,
    }
    return orjson.dumps(body)


def _check_reply(i: int, status: int, payload: bytes) -> None:
    if status != 200:
        raise BenchmarkError(f"case {i}: HTTP {status}: {payload[:200]!r}")
    content = orjson.loads(payload)["choices"][0]["message"]["content"]
    if content != f"CASE {i}":
        raise BenchmarkError(f"case {i}: reply {content!r}, expected {f'CASE {i}'!r}")


async def _run_workers(
    n: int, concurrency: int, worker: Callable[[Iterator[int]], Awaitable[int]]
) -> tuple[int, float]:
    pending = iter(range(n))
    started = time.perf_counter()
    counts = await asyncio.gather(*(worker(pending) for _ in range(concurrency)))
    return sum(counts), time.perf_counter() - started


async def httpx_pass(module: str, base_url: str, n: int, concurrency: int) -> tuple[int, float]:
    """Send the requests through `httpx.AsyncClient` or `httpx2.AsyncClient`."""
    http: Any
    if module == "httpx":
        import httpx as http
    else:
        import httpx2 as http

    limits = http.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    url = f"{base_url}/chat/completions"
    headers = {"authorization": "Bearer unused", "content-type": "application/json"}

    async with http.AsyncClient(limits=limits, timeout=60.0) as client:

        async def worker(pending: Iterator[int]) -> int:
            answered = 0
            for i in pending:
                response = await client.post(url, content=_chat_body(i), headers=headers)
                _check_reply(i, response.status_code, response.content)
                answered += 1
            return answered

        return await _run_workers(n, concurrency, worker)


async def streams_pass(base_url: str, n: int, concurrency: int) -> tuple[int, float]:
    """Send the requests as hand-written HTTP/1.1 over asyncio streams, one connection each.

    This is close to the least CPU a Python client can spend per request, so it shows what
    the server and the loopback interface allow. It reads only replies that carry a
    Content-Length header, which is what the fake server sends.
    """
    parts = urlsplit(base_url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 80
    path = f"{parts.path}/chat/completions".encode()

    async def worker(pending: Iterator[int]) -> int:
        reader, writer = await asyncio.open_connection(host, port)
        answered = 0
        try:
            for i in pending:
                body = _chat_body(i)
                head = (
                    b"POST " + path + b" HTTP/1.1\r\nhost: " + host.encode() + b"\r\n"
                    b"content-type: application/json\r\n"
                    b"content-length: " + str(len(body)).encode() + b"\r\n\r\n"
                )
                writer.write(head + body)
                status, length = _parse_head(await reader.readuntil(b"\r\n\r\n"))
                _check_reply(i, status, await reader.readexactly(length))
                answered += 1
        finally:
            writer.close()
            await writer.wait_closed()
        return answered

    return await _run_workers(n, concurrency, worker)


def _parse_head(head: bytes) -> tuple[int, int]:
    """Return (status, content length) from a response's status line and headers."""
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return status, int(value)
    raise BenchmarkError(f"reply has no Content-Length header: {head[:200]!r}")


async def client_pass(client: str, base_url: str, n: int, concurrency: int) -> tuple[int, float]:
    """Run one pass with the named client: httpx2, httpx or streams."""
    if client == "streams":
        return await streams_pass(base_url, n, concurrency)
    if client in ("httpx", "httpx2"):
        return await httpx_pass(client, base_url, n, concurrency)
    raise ValueError(f"unknown client {client!r}; choose from {', '.join(CLIENTS)}")
