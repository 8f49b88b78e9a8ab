"""A scripted LLM server on 127.0.0.1 that speaks the OpenAI and Anthropic HTTP APIs.

The server is real HTTP (uvicorn serving a raw ASGI app in a background thread with its own
event loop), so clients under test go through their SDK, connection pool and error mapping.

Routes:

- `POST /v1/chat/completions`: OpenAI chat completions. The client base URL is
  `server.base_url`.
- `POST /v1/messages`: Anthropic messages. The client base URL is `server.anthropic_base_url`.
- `GET /v1/models`: a one-model list in the OpenAI format.

A script decides every chat reply. It receives the decoded JSON request body and the
1-based attempt number for that prompt, and returns a `Reply`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import socket
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import orjson
import uvicorn

logger = logging.getLogger(__name__)

Script = Callable[[dict[str, Any], int], "Reply"]

_Scope = dict[str, Any]
_Message = dict[str, Any]
_Receive = Callable[[], Awaitable[_Message]]
_Send = Callable[[_Message], Awaitable[None]]

_STARTUP_TIMEOUT_S = 10.0
_SHUTDOWN_TIMEOUT_S = 10.0
_BACKLOG = 2048


@dataclass(frozen=True)
class Reply:
    """One scripted response.

    `content` is the assistant text for a 2xx status and the error message otherwise.
    `usage` is (prompt_tokens, completion_tokens). `raw_body`, when set, is sent as is in
    place of the JSON body, so a test can send garbage. `delay_s` is awaited before the
    response is sent, which makes a client timeout when it exceeds the client's limit.
    A request with `"stream": true` gets the content as server-sent events, one event per
    word, `chunk_interval_s` apart, so its first token arrives after `delay_s`.
    """

    content: str = ""
    status: int = 200
    usage: tuple[int, int] = (10, 5)
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    raw_body: bytes | None = None
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None
    chunk_interval_s: float = 0.0
    cache_write_tokens: int | None = None


def last_user_text(body: dict[str, Any]) -> str:
    """Return the text of the last user message in an OpenAI or Anthropic request body."""
    for message in reversed(body.get("messages") or []):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        if isinstance(content, list):
            return "".join(
                block.get("text", "")
                for block in content
                if isinstance(block, dict) and block.get("type") == "text"
            )
    return ""


def echo_script(body: dict[str, Any], attempt: int) -> Reply:
    """Reply with the last user message upper-cased."""
    return Reply(content=last_user_text(body).upper())


def verdict_script(
    passed: bool | Callable[[str], bool] = True,
    *,
    reason: str = "scripted verdict",
) -> Script:
    """Build a script that replies as a judge with `{"verdict": ..., "reason": ...}`.

    `passed` is either the fixed verdict or a function of the prompt text (the last user
    message) that returns it.
    """

    def script(body: dict[str, Any], attempt: int) -> Reply:
        verdict = passed(last_user_text(body)) if callable(passed) else passed
        payload = {"verdict": "pass" if verdict else "fail", "reason": reason}
        return Reply(content=orjson.dumps(payload).decode())

    return script


def sequence_script(replies: Sequence[Reply]) -> Script:
    """Build a script that returns `replies[n - 1]` on attempt n of each prompt.

    Attempts past the end of the sequence get its last reply again.
    """
    if not replies:
        raise ValueError("sequence_script needs at least one reply")
    ordered = list(replies)

    def script(body: dict[str, Any], attempt: int) -> Reply:
        return ordered[min(attempt, len(ordered)) - 1]

    return script


def delayed(script: Script, delay_s: float) -> Script:
    """Wrap `script` so that every reply waits `delay_s` seconds before it is sent."""

    def wrapped(body: dict[str, Any], attempt: int) -> Reply:
        return dataclasses.replace(script(body, attempt), delay_s=delay_s)

    return wrapped


def _prompt_key(body: dict[str, Any]) -> bytes:
    prompt = {"messages": body.get("messages"), "system": body.get("system")}
    return orjson.dumps(prompt, option=orjson.OPT_SORT_KEYS)


def _openai_body(body: dict[str, Any], reply: Reply, sequence: int) -> dict[str, Any]:
    if reply.status >= 400:
        message = reply.content or f"scripted error {reply.status}"
        return {"error": {"message": message, "type": "fake_error", "code": None}}
    prompt_tokens, completion_tokens = reply.usage
    usage: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    if reply.cached_tokens is not None:
        usage["prompt_tokens_details"] = {"cached_tokens": reply.cached_tokens}
    if reply.reasoning_tokens is not None:
        usage["completion_tokens_details"] = {"reasoning_tokens": reply.reasoning_tokens}
    return {
        "id": f"chatcmpl-fake-{sequence}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake-model"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.content},
                "finish_reason": "stop",
            }
        ],
        "usage": usage,
    }


def _anthropic_body(body: dict[str, Any], reply: Reply, sequence: int) -> dict[str, Any]:
    if reply.status >= 400:
        message = reply.content or f"scripted error {reply.status}"
        return {"type": "error", "error": {"type": "fake_error", "message": message}}
    input_tokens, output_tokens = reply.usage
    usage: dict[str, Any] = {"input_tokens": input_tokens, "output_tokens": output_tokens}
    if reply.cached_tokens is not None:
        usage["cache_read_input_tokens"] = reply.cached_tokens
    if reply.cache_write_tokens is not None:
        usage["cache_creation_input_tokens"] = reply.cache_write_tokens
    return {
        "id": f"msg_fake_{sequence}",
        "type": "message",
        "role": "assistant",
        "model": body.get("model", "fake-model"),
        "content": [{"type": "text", "text": reply.content}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": usage,
    }


_MODELS_BODY = {
    "object": "list",
    "data": [{"id": "fake-model", "object": "model", "created": 0, "owned_by": "fake"}],
}


class FakeLLMServer:
    """Context manager running the scripted server; see the module docstring for routes.

    Attributes read by tests:

    - `base_url`: the OpenAI-style base URL, ending in `/v1`.
    - `anthropic_base_url`: the server root, which the Anthropic SDK extends with `/v1`.
    - `requests` and `request_headers`: the decoded body and the headers (names in lower
      case) of every chat request, in arrival order.
    - `request_count`, `in_flight` and `max_in_flight`: HTTP requests on every route.
    - `paths`: a Counter of "METHOD /path" for every request.
    - `script_errors`: exceptions raised by the script. Each is sent back as HTTP 500.
    """

    def __init__(self, script: Script = echo_script) -> None:
        self.script = script
        self.requests: list[dict[str, Any]] = []
        self.request_headers: list[dict[str, str]] = []
        self.request_count = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.paths: Counter[str] = Counter()
        self.script_errors: list[BaseException] = []
        self._attempts: Counter[bytes] = Counter()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeLLMServer is not running; use it as a context manager")
        return self._port

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.root_url

    def reset(self, script: Script | None = None) -> None:
        """Clear recorded requests, counters and attempt numbers, and optionally swap the script.

        Call it only while no request is in flight.
        """
        if script is not None:
            self.script = script
        self.requests.clear()
        self.request_headers.clear()
        self.request_count = 0
        self.max_in_flight = 0
        self.paths.clear()
        self.script_errors.clear()
        self._attempts.clear()

    def __enter__(self) -> FakeLLMServer:
        listener = _bind_listener()
        self._port = listener.getsockname()[1]
        config = uvicorn.Config(
            self._app,
            log_level="warning",
            lifespan="off",
            interface="asgi3",
            proxy_headers=False,
            access_log=False,
            backlog=_BACKLOG,
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        self._server = server

        self._thread = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=[listener])),
            name=f"fake-llm-server-{self._port}",
            daemon=True,
        )
        self._thread.start()

        deadline = time.monotonic() + _STARTUP_TIMEOUT_S
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                listener.close()
                raise RuntimeError(f"FakeLLMServer failed to start on port {self._port}")
            time.sleep(0.005)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(_SHUTDOWN_TIMEOUT_S)
        if self._thread.is_alive():
            raise RuntimeError(f"FakeLLMServer on port {self._port} did not stop")
        self._server = None
        self._thread = None

    async def _app(self, scope: _Scope, receive: _Receive, send: _Send) -> None:
        if scope["type"] != "http":
            return
        self.request_count += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await self._handle(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _handle(self, scope: _Scope, receive: _Receive, send: _Send) -> None:
        method = scope["method"]
        path = scope["path"].rstrip("/")
        self.paths[f"{method} {path}"] += 1
        raw = await _read_body(receive)

        if method == "GET" and path == "/v1/models":
            await _send(send, 200, orjson.dumps(_MODELS_BODY))
            return
        if method != "POST" or path not in ("/v1/chat/completions", "/v1/messages"):
            error = {"error": {"message": f"no route for {method} {path}", "type": "not_found"}}
            await _send(send, 404, orjson.dumps(error))
            return

        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            error = {"error": {"message": f"request body is not JSON: {exc}", "type": "invalid"}}
            await _send(send, 400, orjson.dumps(error))
            return
        self.requests.append(body)
        self.request_headers.append(
            {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        )
        key = _prompt_key(body)
        self._attempts[key] += 1

        try:
            reply = self.script(body, self._attempts[key])
        except Exception as exc:
            logger.warning("fake LLM server script raised on %s %s: %r", method, path, exc)
            self.script_errors.append(exc)
            error = {"error": {"message": f"script raised {exc!r}", "type": "script_error"}}
            await _send(send, 500, orjson.dumps(error))
            return

        if reply.delay_s > 0 and not await _sleep_unless_disconnected(receive, reply.delay_s):
            return

        if body.get("stream") and reply.status < 400 and reply.raw_body is None:
            await _send_stream(send, _stream_events(path, body, reply), reply.chunk_interval_s)
            return
        if reply.raw_body is not None:
            payload = reply.raw_body
        elif path == "/v1/messages":
            payload = orjson.dumps(_anthropic_body(body, reply, self.request_count))
        else:
            payload = orjson.dumps(_openai_body(body, reply, self.request_count))
        await _send(send, reply.status, payload, reply.headers)


def _bind_listener() -> socket.socket:
    """Open a listening TCP socket on an ephemeral port of 127.0.0.1."""
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets whose proto is
    # IPPROTO_TCP, and socket.create_server leaves it 0. Without TCP_NODELAY, Nagle's
    # algorithm and delayed ACKs added about 40 ms to each keep-alive request on Linux.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(_BACKLOG)
    return listener


async def _read_body(receive: _Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _sleep_unless_disconnected(receive: _Receive, delay_s: float) -> bool:
    """Sleep `delay_s` seconds; return False early if the client disconnects meanwhile.

    Returning early keeps a timed-out request from holding the server open at shutdown.
    """
    disconnect = asyncio.ensure_future(receive())
    try:
        done, _ = await asyncio.wait({disconnect}, timeout=delay_s)
    finally:
        disconnect.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await disconnect
    return not done


async def _send(
    send: _Send, status: int, payload: bytes, headers: dict[str, str] | None = None
) -> None:
    merged = {"content-type": "application/json"}
    merged.update({name.lower(): value for name, value in (headers or {}).items()})
    merged["content-length"] = str(len(payload))
    header_list = [
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in merged.items()
    ]
    await send({"type": "http.response.start", "status": status, "headers": header_list})
    await send({"type": "http.response.body", "body": payload})


def _words(text: str) -> list[str]:
    words = text.split(" ")
    return [word + " " for word in words[:-1]] + [words[-1]]


def _stream_events(path: str, body: dict[str, Any], reply: Reply) -> list[bytes]:
    if path == "/v1/messages":
        return _anthropic_events(body, reply)
    return _openai_events(body, reply)


def _openai_events(body: dict[str, Any], reply: Reply) -> list[bytes]:
    final = _openai_body(body, reply, 0)
    base = {k: final[k] for k in ("id", "created", "model")} | {"object": "chat.completion.chunk"}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return base | {"choices": [choice]}

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": word}) for word in _words(reply.content)]
    chunks.append(chunk({}, "stop"))
    if (body.get("stream_options") or {}).get("include_usage"):
        chunks.append(base | {"choices": [], "usage": final["usage"]})
    events = [b"data: " + orjson.dumps(c) + b"\n\n" for c in chunks]
    return [*events, b"data: [DONE]\n\n"]


def _anthropic_events(body: dict[str, Any], reply: Reply) -> list[bytes]:
    final = _anthropic_body(body, reply, 0)
    usage = final["usage"]
    start = final | {"content": [], "stop_reason": None, "usage": usage | {"output_tokens": 0}}
    events: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": start}),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
    ]
    for word in _words(reply.content):
        delta = {"type": "text_delta", "text": word}
        events.append(
            ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
        )
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": usage["output_tokens"]},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    return [
        f"event: {name}\n".encode() + b"data: " + orjson.dumps(data) + b"\n\n"
        for name, data in events
    ]


async def _send_stream(send: _Send, events: list[bytes], interval_s: float) -> None:
    headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for index, event in enumerate(events):
        if index and interval_s > 0:
            await asyncio.sleep(interval_s)
        await send({"type": "http.response.body", "body": event, "more_body": True})
    await send({"type": "http.response.body", "body": b""})
