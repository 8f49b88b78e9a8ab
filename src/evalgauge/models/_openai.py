"""Client for OpenAI's chat completions API and servers that copy it (vLLM, Ollama, llama.cpp).

Also contains the HTTP error mapping shared with the Anthropic client: 408, 429 and 5xx become
`TransientError` with the server's `Retry-After`, and every other error status becomes
`TargetError`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

import httpx2
import openai
import orjson
from openai._types import RequestOptions

from evalgauge.errors import TargetError, TargetSetupError, TransientError
from evalgauge.models._base import ChatRequest, ChatResponse, Usage
from evalgauge.models._retry_after import parse_retry_after
from evalgauge.models._streaming import StreamedReply, read_openai_stream

DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1"

# Sent as the key when `api_key_env=None`. Local servers ignore it. Passing some key also
# keeps the SDKs from looking for one in the environment.
PLACEHOLDER_API_KEY = "no-key"

# Seconds allowed for the reachability probe in `check_ready`.
READY_PROBE_TIMEOUT_S = 5.0

_EXCERPT_CHARS = 200


def is_transient_status(status: int) -> bool:
    """Return True for statuses worth retrying: 408 (request timeout), 429 and every 5xx."""
    return status in (408, 429) or status >= 500


def status_error(
    status: int, server_message: str, headers: Mapping[str, str], *, endpoint: str, hint: str = ""
) -> TargetError:
    """Build the error for an HTTP error status: `TransientError` if it is retryable."""
    message = f"{endpoint} returned HTTP {status}: {server_message}"
    if is_transient_status(status):
        return TransientError(message, retry_after=parse_retry_after(headers))
    if hint:
        message += f". {hint}"
    return TargetError(message)


def status_hint(status: int, api_key_env: str | None, model: str, base_url: str) -> str:
    """Return what the user should check after a 401, 403 or 404, or "" for other statuses."""
    if status in (401, 403):
        if api_key_env is None:
            return "The server requires a key, so set api_key_env to a variable that holds it"
        return f"Check the API key in {api_key_env}"
    if status == 404:
        return f"Check the model name {model!r} and the base URL {base_url}"
    return ""


def timed_out_message(endpoint: str, timeout: float | None) -> str:
    if timeout is None:
        return f"{endpoint} timed out (SDK default timeout)"
    return f"{endpoint} timed out after {timeout:g} s"


def excerpt(text: str | bytes) -> str:
    """Return the start of `text` on one line, quoted, for error messages."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    flat = " ".join(text.split())
    if len(flat) > _EXCERPT_CHARS:
        flat = flat[:_EXCERPT_CHARS] + "..."
    return repr(flat)


def error_body_message(body: object, fallback: str) -> str:
    """Return the server's error message from a decoded error body, or `fallback`.

    Reads `message` or `error.message`, which covers OpenAI, Anthropic, vLLM and Ollama.
    A body that is not JSON arrives as text and is returned as an excerpt.
    """
    if isinstance(body, Mapping):
        nested = body.get("error")
        if isinstance(nested, Mapping) and isinstance(nested.get("message"), str):
            return str(nested["message"])
        if isinstance(body.get("message"), str):
            return str(body["message"])
        if isinstance(nested, str):
            return nested
    if isinstance(body, str) and body.strip():
        return excerpt(body)
    return fallback


def read_api_key(api_key_env: str | None, *, provider: str) -> str:
    """Return the key stored in the environment variable `api_key_env`.

    `api_key_env=None` means the server needs no key, so the placeholder is returned.
    """
    if api_key_env is None:
        return PLACEHOLDER_API_KEY
    key = os.environ.get(api_key_env, "").strip()
    if not key:
        raise TargetSetupError(
            f"environment variable {api_key_env} is missing or empty, so the {provider} client "
            f"has no API key. Set it with `export {api_key_env}=<your key>`. For a local "
            "server that needs no key, set the variable to any value."
        )
    return key


async def probe_reachable(http_client: httpx2.AsyncClient, url: str) -> None:
    """Send a short GET to `url`; raise `TargetSetupError` if no HTTP response comes back.

    Any HTTP status, 404 included, proves that a server is listening.
    """
    try:
        response = await http_client.get(url, timeout=READY_PROBE_TIMEOUT_S)
    except httpx2.TimeoutException as exc:
        cause = _root_cause(exc)
        if isinstance(cause, OSError) and not isinstance(cause, TimeoutError):
            # The aiohttp transport reports a refused connection as a connect timeout.
            raise TargetSetupError(
                f"endpoint {url} is unreachable: {type(cause).__name__}: {cause}. "
                "Check that the server is running and the base URL is right."
            ) from exc
        raise TargetSetupError(
            f"endpoint {url} is unreachable: no response within {READY_PROBE_TIMEOUT_S:g} s "
            f"({type(exc).__name__}). Check that the server is running and the base URL is right."
        ) from exc
    except httpx2.HTTPError as exc:
        raise TargetSetupError(
            f"endpoint {url} is unreachable: {type(exc).__name__}: {exc}. "
            "Check that the server is running and the base URL is right."
        ) from exc
    await response.aclose()


def redact(message: str, secret: str) -> str:
    """Replace every occurrence of `secret` in `message`, so error text never carries a key."""
    if secret and secret != PLACEHOLDER_API_KEY:
        return message.replace(secret, "[redacted]")
    return message


def decode_json_object(content: bytes, *, endpoint: str) -> dict[str, Any]:
    """Decode a 2xx reply body that must be a JSON object, or raise `TargetError`."""
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise TargetError(
            f"{endpoint} returned a body that is not JSON ({exc}): {excerpt(content)}"
        ) from exc
    if not isinstance(body, dict):
        raise TargetError(f"{endpoint} returned JSON that is not an object: {excerpt(content)}")
    return body


def optional_int(container: object, key: str) -> int | None:
    """Return `container[key]` if `container` is a mapping and the value is an int, else None."""
    if not isinstance(container, Mapping):
        return None
    value = container.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


class OpenAICompatibleModel:
    """A chat model behind the OpenAI chat completions API, called through the `openai` SDK.

    The key comes from the environment variable `api_key_env` when the SDK client is first
    built (by `check_ready` or the first request). `api_key_env=None` sends a placeholder
    key, for local servers that need none. Error messages never contain the key. The SDK's
    own retries are off because the engine retries, and the connection pool is limited to
    `max_connections` connections. With `stream=True` replies are streamed, which measures
    the time to first token. Call `aclose` to close the pool.
    """

    provider = "openai-compatible"

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key_env: str | None = "OPENAI_API_KEY",
        max_connections: int = 100,
        stream: bool = False,
    ) -> None:
        if max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, got {max_connections}")
        self.model = model
        self.stream = stream
        # An explicit default, so OPENAI_BASE_URL in the environment never changes the
        # endpoint behind an identity.
        self.base_url = (base_url or DEFAULT_OPENAI_BASE_URL).rstrip("/")
        self.api_key_env = api_key_env
        self.max_connections = max_connections
        self._http: httpx2.AsyncClient | None = None
        self._client: openai.AsyncOpenAI | None = None
        self._api_key = ""

    def identity(self) -> str:
        return f"{self.provider}:{self.base_url}:{self.model}"

    def _http_client(self) -> httpx2.AsyncClient:
        if self._http is None:
            limits = httpx2.Limits(
                max_connections=self.max_connections,
                max_keepalive_connections=self.max_connections,
            )
            # The SDK's aiohttp transport: its C HTTP parser costs less CPU per request than
            # httpx2's pure-Python one, which matters at hundreds of requests per second.
            self._http = openai.DefaultAioHttpClient(limits=limits)
        return self._http

    def _sdk_client(self) -> openai.AsyncOpenAI:
        if self._client is None:
            self._api_key = read_api_key(self.api_key_env, provider="OpenAI-compatible")
            self._client = openai.AsyncOpenAI(
                base_url=self.base_url,
                api_key=self._api_key,
                max_retries=0,
                http_client=self._http_client(),
            )
        return self._client

    async def check_ready(self) -> None:
        self._sdk_client()
        await probe_reachable(self._http_client(), f"{self.base_url}/models")

    async def complete(self, request: ChatRequest, *, timeout: float | None = None) -> ChatResponse:
        """Send one chat completion.

        `timeout` is the SDK's per-request limit in seconds. None leaves the SDK default
        (600 s, with 5 s to connect, in openai 3.60).
        """
        client = self._sdk_client()
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "temperature": request.temperature,
        }
        if request.max_tokens is not None:
            body["max_tokens"] = request.max_tokens
        if request.extra:
            body.update(request.extra)
        options: RequestOptions = {} if timeout is None else {"timeout": timeout}

        endpoint = f"{self.base_url}/chat/completions"
        started = time.perf_counter()
        streamed: StreamedReply | None = None
        try:
            if self.stream:
                streamed = await self._stream(client, body, options, started, endpoint)
            # The SDK's generic POST, not `chat.completions.create`: it sends the same request
            # with the same auth and error handling, but skips the per-call walk of the
            # request's type annotations, which doubled the client CPU of a request. The body
            # goes as orjson bytes through `content`, which the SDK sends as they are, in
            # place of its json.dumps with a custom encoder.
            else:
                raw = await client.post(
                    "/chat/completions",
                    content=orjson.dumps(body),
                    cast_to=httpx2.Response,
                    options=options,
                )
        except openai.APIStatusError as exc:
            message = error_body_message(exc.body, fallback=exc.message)
            raise status_error(
                exc.status_code,
                redact(message, self._api_key),
                exc.response.headers,
                endpoint=endpoint,
                hint=status_hint(exc.status_code, self.api_key_env, self.model, self.base_url),
            ) from exc
        except openai.APIConnectionError as exc:
            # The aiohttp transport reports a refused connection as a connect timeout, so
            # an OS error at the root of the chain overrides the exception type.
            cause = _root_cause(exc)
            refused = isinstance(cause, OSError) and not isinstance(cause, TimeoutError)
            if isinstance(exc, openai.APITimeoutError) and not refused:
                raise TransientError(timed_out_message(endpoint, timeout)) from exc
            raise TransientError(
                f"connection to {endpoint} failed: {type(cause).__name__}: {cause}"
            ) from exc
        except openai.OpenAIError as exc:
            raise TargetError(
                f"request to {endpoint} failed: {type(exc).__name__}: "
                f"{redact(str(exc), self._api_key)}"
            ) from exc
        latency_ms = (time.perf_counter() - started) * 1000.0

        if streamed is not None:
            return ChatResponse(
                text=streamed.text,
                usage=streamed.usage,
                model=streamed.model or self.model,
                latency_ms=latency_ms,
                ttft_ms=streamed.ttft_ms,
            )
        reply = decode_json_object(raw.content, endpoint=endpoint)
        return ChatResponse(
            text=_reply_text(reply, endpoint),
            usage=_openai_usage(reply.get("usage")),
            model=str(reply.get("model") or self.model),
            latency_ms=latency_ms,
        )

    async def _stream(
        self,
        client: openai.AsyncOpenAI,
        body: dict[str, Any],
        options: RequestOptions,
        started: float,
        endpoint: str,
    ) -> StreamedReply:
        from openai.types.chat import ChatCompletionChunk

        chunks = await client.post(
            "/chat/completions",
            body={**body, "stream": True, "stream_options": {"include_usage": True}},
            cast_to=ChatCompletionChunk,
            options=options,
            stream=True,
            stream_cls=openai.AsyncStream[ChatCompletionChunk],
        )
        return await read_openai_stream(chunks, started, endpoint=endpoint)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._http is not None:
            await self._http.aclose()
            self._http = None


def _root_cause(exc: BaseException) -> BaseException:
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return exc


def _reply_text(body: dict[str, Any], endpoint: str) -> str:
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        raise TargetError(
            f"{endpoint} returned a reply with no choices: {excerpt(orjson.dumps(body))}"
        )
    first = choices[0]
    message = first.get("message") if isinstance(first, dict) else None
    if not isinstance(message, dict):
        raise TargetError(
            f"{endpoint} returned a choice with no message: {excerpt(orjson.dumps(body))}"
        )
    content = message.get("content")
    if isinstance(content, str):
        return content
    # Some compatible servers send content as a list of typed parts.
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict)]
        texts = [p for p in parts if isinstance(p, str)]
        if texts:
            return "".join(texts)
    refusal = message.get("refusal")
    if isinstance(refusal, str) and refusal:
        raise TargetError(f"{endpoint} returned a refusal and no content: {excerpt(refusal)}")
    raise TargetError(
        f"{endpoint} returned a message with no content: {excerpt(orjson.dumps(body))}"
    )


def _openai_usage(usage: object) -> Usage:
    if not isinstance(usage, Mapping):
        return Usage()
    return Usage(
        input_tokens=optional_int(usage, "prompt_tokens"),
        output_tokens=optional_int(usage, "completion_tokens"),
        cached_input_tokens=optional_int(usage.get("prompt_tokens_details"), "cached_tokens"),
        reasoning_tokens=optional_int(usage.get("completion_tokens_details"), "reasoning_tokens"),
    )
