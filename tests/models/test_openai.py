"""Tests for OpenAICompatibleModel over real HTTP against the fake LLM server."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import partial

import anyio
import pytest

from evalgauge.errors import TargetError, TargetSetupError, TransientError
from evalgauge.models import ChatMessage, ChatRequest, OpenAICompatibleModel, Usage
from evalgauge.models._openai import parse_retry_after
from tests.fakes import FakeLLMServer, Reply, echo_script, sequence_script

KEY_ENV = "EVALGAUGE_TEST_OPENAI_KEY"
SECRET = "sk-test-0123456789abcdef"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def module_server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(echo_script) as running:
        yield running


@pytest.fixture
def server(module_server: FakeLLMServer) -> FakeLLMServer:
    module_server.reset(echo_script)
    return module_server


@pytest.fixture
async def model(
    server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[OpenAICompatibleModel]:
    monkeypatch.setenv(KEY_ENV, SECRET)
    client = OpenAICompatibleModel("fake-model", base_url=server.base_url, api_key_env=KEY_ENV)
    yield client
    await client.aclose()


def ask(text: str) -> ChatRequest:
    return ChatRequest(messages=(ChatMessage(role="user", content=text),))


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.anyio
async def test_complete_returns_scripted_reply(
    server: FakeLLMServer, model: OpenAICompatibleModel
) -> None:
    server.reset(
        sequence_script(
            [Reply(content="Paris", usage=(42, 7), cached_tokens=8, reasoning_tokens=3)]
        )
    )

    response = await model.complete(ask("Capital of France?"), timeout=5)

    assert response.text == "Paris"
    assert response.usage == Usage(
        input_tokens=42, output_tokens=7, cached_input_tokens=8, reasoning_tokens=3
    )
    assert response.model == "fake-model"
    assert response.latency_ms > 0
    assert response.cached is False


@pytest.mark.anyio
async def test_complete_usage_without_details(
    server: FakeLLMServer, model: OpenAICompatibleModel
) -> None:
    server.reset(sequence_script([Reply(content="ok", usage=(5, 2))]))

    response = await model.complete(ask("hi"), timeout=5)

    assert response.usage == Usage(input_tokens=5, output_tokens=2)


@pytest.mark.anyio
async def test_complete_sends_request_fields(
    server: FakeLLMServer, model: OpenAICompatibleModel
) -> None:
    request = ChatRequest(
        messages=(
            ChatMessage(role="system", content="Answer tersely."),
            ChatMessage(role="user", content="hello there"),
        ),
        temperature=0.0,
        max_tokens=64,
        extra={"seed": 7},
    )

    response = await model.complete(request, timeout=5)

    assert response.text == "HELLO THERE"
    assert len(server.requests) == 1
    body = server.requests[0]
    assert body["model"] == "fake-model"
    assert body["temperature"] == 0
    assert body["max_tokens"] == 64
    assert body["seed"] == 7
    assert body["messages"] == [
        {"role": "system", "content": "Answer tersely."},
        {"role": "user", "content": "hello there"},
    ]
    assert server.request_headers[0]["authorization"] == f"Bearer {SECRET}"


@pytest.mark.anyio
async def test_complete_omits_unset_max_tokens(
    server: FakeLLMServer, model: OpenAICompatibleModel
) -> None:
    await model.complete(ask("hi"), timeout=5)

    assert "max_tokens" not in server.requests[0]


@pytest.mark.anyio
async def test_complete_without_timeout(
    server: FakeLLMServer, model: OpenAICompatibleModel
) -> None:
    response = await model.complete(ask("no timeout given"))

    assert response.text == "NO TIMEOUT GIVEN"


@pytest.mark.anyio
async def test_rate_limit_retry_after_seconds(
    server: FakeLLMServer, model: OpenAICompatibleModel
) -> None:
    server.reset(sequence_script([Reply(status=429, headers={"Retry-After": "2"})]))

    with pytest.raises(TransientError) as caught:
        await model.complete(ask("hi"), timeout=5)

    assert caught.value.retry_after == 2.0
    assert "429" in str(caught.value)


@pytest.mark.anyio
async def test_rate_limit_retry_after_http_date(
    server: FakeLLMServer, model: OpenAICompatibleModel
) -> None:
    when = datetime.now(UTC) + timedelta(seconds=30)
    retry_after = format_datetime(when, usegmt=True)
    server.reset(sequence_script([Reply(status=429, headers={"Retry-After": retry_after})]))

    with pytest.raises(TransientError) as caught:
        await model.complete(ask("hi"), timeout=5)

    assert caught.value.retry_after is not None
    assert 25.0 <= caught.value.retry_after <= 30.0


@pytest.mark.anyio
async def test_rate_limit_without_retry_after(
    server: FakeLLMServer, model: OpenAICompatibleModel
) -> None:
    server.reset(sequence_script([Reply(status=429, content="slow down")]))

    with pytest.raises(TransientError) as caught:
        await model.complete(ask("hi"), timeout=5)

    assert caught.value.retry_after is None
    assert "slow down" in str(caught.value)


@pytest.mark.anyio
@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_error_is_transient(
    server: FakeLLMServer, model: OpenAICompatibleModel, status: int
) -> None:
    server.reset(sequence_script([Reply(status=status, content="upstream down")]))

    with pytest.raises(TransientError) as caught:
        await model.complete(ask("hi"), timeout=5)

    assert str(status) in str(caught.value)
    assert "upstream down" in str(caught.value)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("status", "hint"),
    [(400, ""), (401, KEY_ENV), (403, KEY_ENV), (404, "fake-model"), (422, "")],
)
async def test_client_error_is_target_error(
    server: FakeLLMServer, model: OpenAICompatibleModel, status: int, hint: str
) -> None:
    server.reset(sequence_script([Reply(status=status, content="request rejected by server")]))

    with pytest.raises(TargetError) as caught:
        await model.complete(ask("hi"), timeout=5)

    assert not isinstance(caught.value, TransientError)
    assert f"HTTP {status}" in str(caught.value)
    assert "request rejected by server" in str(caught.value)
    assert hint in str(caught.value)


@pytest.mark.anyio
async def test_error_message_hides_key(server: FakeLLMServer, model: OpenAICompatibleModel) -> None:
    server.reset(sequence_script([Reply(status=401, content=f"Incorrect API key: {SECRET}")]))

    with pytest.raises(TargetError) as caught:
        await model.complete(ask("hi"), timeout=5)

    assert SECRET not in str(caught.value)
    assert "401" in str(caught.value)


@pytest.mark.anyio
async def test_error_body_not_json(server: FakeLLMServer, model: OpenAICompatibleModel) -> None:
    reply = Reply(
        status=400, raw_body=b"<html>Bad Request</html>", headers={"content-type": "text/html"}
    )
    server.reset(sequence_script([reply]))

    with pytest.raises(TargetError) as caught:
        await model.complete(ask("hi"), timeout=5)

    assert "HTTP 400" in str(caught.value)
    assert "Bad Request" in str(caught.value)


@pytest.mark.anyio
async def test_client_timeout_is_transient(
    server: FakeLLMServer, model: OpenAICompatibleModel
) -> None:
    server.reset(sequence_script([Reply(content="late", delay_s=5.0)]))

    started = time.perf_counter()
    with pytest.raises(TransientError) as caught:
        await model.complete(ask("hi"), timeout=0.3)

    assert time.perf_counter() - started < 3.0
    assert "timed out" in str(caught.value)


@pytest.mark.anyio
@pytest.mark.parametrize(
    "raw_body",
    [b"<html>Gateway</html>", b"not json at all", b"", b'{"choices": [', b"[1, 2, 3]"],
)
async def test_garbage_body_is_target_error(
    server: FakeLLMServer, model: OpenAICompatibleModel, raw_body: bytes
) -> None:
    server.reset(sequence_script([Reply(raw_body=raw_body)]))

    with pytest.raises(TargetError) as caught:
        await model.complete(ask("hi"), timeout=5)

    assert not isinstance(caught.value, TransientError)
    assert "JSON" in str(caught.value)


@pytest.mark.anyio
async def test_garbage_with_text_content_type(
    server: FakeLLMServer, model: OpenAICompatibleModel
) -> None:
    reply = Reply(raw_body=b"plain text reply", headers={"content-type": "text/plain"})
    server.reset(sequence_script([reply]))

    with pytest.raises(TargetError) as caught:
        await model.complete(ask("hi"), timeout=5)

    assert "not JSON" in str(caught.value)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("raw_body", "missing"),
    [
        (b'{"choices": []}', "no choices"),
        (b'{"id": "x"}', "no choices"),
        (b'{"choices": [{"index": 0}]}', "no message"),
        (b'{"choices": [{"index": 0, "message": {"role": "assistant"}}]}', "no content"),
        (b'{"choices": [{"message": {"role": "assistant", "content": null}}]}', "no content"),
        (
            b'{"choices": [{"message": {"content": null, "refusal": "I will not help."}}]}',
            "refusal",
        ),
    ],
)
async def test_incomplete_reply_is_target_error(
    server: FakeLLMServer, model: OpenAICompatibleModel, raw_body: bytes, missing: str
) -> None:
    server.reset(sequence_script([Reply(raw_body=raw_body)]))

    with pytest.raises(TargetError) as caught:
        await model.complete(ask("hi"), timeout=5)

    assert missing in str(caught.value)


@pytest.mark.anyio
async def test_content_parts_are_joined(
    server: FakeLLMServer, model: OpenAICompatibleModel
) -> None:
    raw_body = (
        b'{"choices": [{"message": {"role": "assistant", "content": '
        b'[{"type": "text", "text": "Hel"}, {"type": "text", "text": "lo"}]}}]}'
    )
    server.reset(sequence_script([Reply(raw_body=raw_body)]))

    response = await model.complete(ask("hi"), timeout=5)

    assert response.text == "Hello"
    assert response.usage == Usage()


@pytest.mark.anyio
async def test_connection_refused_is_transient() -> None:
    client = OpenAICompatibleModel(
        "fake-model", base_url=f"http://127.0.0.1:{closed_port()}/v1", api_key_env=None
    )
    try:
        with pytest.raises(TransientError) as caught:
            await client.complete(ask("hi"), timeout=2)
    finally:
        await client.aclose()

    assert "connection" in str(caught.value)


@pytest.mark.anyio
async def test_check_ready_passes(model: OpenAICompatibleModel, server: FakeLLMServer) -> None:
    await model.check_ready()

    assert server.paths["GET /v1/models"] == 1


@pytest.mark.anyio
async def test_check_ready_accepts_404(server: FakeLLMServer) -> None:
    client = OpenAICompatibleModel(
        "fake-model", base_url=f"{server.root_url}/no-such-prefix", api_key_env=None
    )
    try:
        await client.check_ready()
    finally:
        await client.aclose()

    assert server.paths["GET /no-such-prefix/models"] == 1


@pytest.mark.anyio
async def test_check_ready_missing_key(
    server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EVALGAUGE_TEST_MISSING_KEY", raising=False)
    client = OpenAICompatibleModel(
        "fake-model", base_url=server.base_url, api_key_env="EVALGAUGE_TEST_MISSING_KEY"
    )
    try:
        with pytest.raises(TargetSetupError) as caught:
            await client.check_ready()
        with pytest.raises(TargetSetupError):
            await client.complete(ask("hi"), timeout=5)
    finally:
        await client.aclose()

    message = str(caught.value)
    assert "EVALGAUGE_TEST_MISSING_KEY" in message
    assert "export EVALGAUGE_TEST_MISSING_KEY=" in message
    assert "any value" in message
    assert server.request_count == 0


@pytest.mark.anyio
async def test_check_ready_empty_key(
    server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "  ")
    client = OpenAICompatibleModel("fake-model", base_url=server.base_url, api_key_env=KEY_ENV)
    try:
        with pytest.raises(TargetSetupError, match=KEY_ENV):
            await client.check_ready()
    finally:
        await client.aclose()


@pytest.mark.anyio
async def test_no_key_sends_placeholder(
    server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    client = OpenAICompatibleModel("fake-model", base_url=server.base_url, api_key_env=None)
    try:
        await client.check_ready()
        response = await client.complete(ask("local"), timeout=5)
    finally:
        await client.aclose()

    assert response.text == "LOCAL"
    assert server.request_headers[0]["authorization"].startswith("Bearer ")


@pytest.mark.anyio
async def test_check_ready_unreachable_url() -> None:
    base_url = f"http://127.0.0.1:{closed_port()}/v1"
    client = OpenAICompatibleModel("fake-model", base_url=base_url, api_key_env=None)
    try:
        with pytest.raises(TargetSetupError) as caught:
            await client.check_ready()
    finally:
        await client.aclose()

    assert f"{base_url}/models" in str(caught.value)
    assert "unreachable" in str(caught.value)


@pytest.mark.anyio
async def test_max_connections_limits_in_flight(server: FakeLLMServer) -> None:
    server.reset(lambda body, attempt: Reply(content="ok", delay_s=0.1))
    client = OpenAICompatibleModel(
        "fake-model", base_url=server.base_url, api_key_env=None, max_connections=4
    )
    try:
        async with anyio.create_task_group() as group:
            for index in range(12):
                group.start_soon(partial(client.complete, timeout=5.0), ask(f"prompt {index}"))
    finally:
        await client.aclose()

    assert server.request_count == 12
    assert server.max_in_flight == 4


@pytest.mark.anyio
async def test_concurrent_requests_overlap(server: FakeLLMServer) -> None:
    server.reset(lambda body, attempt: Reply(content="ok", delay_s=0.2))
    client = OpenAICompatibleModel("fake-model", base_url=server.base_url, api_key_env=None)
    started = time.perf_counter()
    try:
        async with anyio.create_task_group() as group:
            for index in range(32):
                group.start_soon(partial(client.complete, timeout=5.0), ask(f"prompt {index}"))
    finally:
        await client.aclose()

    assert time.perf_counter() - started < 2.0
    assert server.max_in_flight == 32


def test_identity_names_endpoint_and_model() -> None:
    local = OpenAICompatibleModel("llama3", base_url="http://localhost:11434/v1/", api_key_env=None)
    default = OpenAICompatibleModel("gpt-4o-mini")

    assert local.identity() == "openai-compatible:http://localhost:11434/v1:llama3"
    assert default.identity() == "openai-compatible:https://api.openai.com/v1:gpt-4o-mini"
    assert local.provider == "openai-compatible"
    assert local.model == "llama3"


def test_rejects_zero_max_connections() -> None:
    with pytest.raises(ValueError, match="max_connections"):
        OpenAICompatibleModel("m", max_connections=0)


NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": " 1.5 "}, 1.5),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "Thu, 01 Jan 2026 12:00:30 GMT"}, 30.0),
        ({"retry-after": "Thu, 01 Jan 2026 11:59:00 GMT"}, 0.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "-5"}, None),
        ({"retry-after": "inf"}, None),
        ({}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers, now=NOW) == expected


@pytest.mark.anyio
async def test_stream_measures_ttft(server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, SECRET)
    reply = Reply(
        content="The capital is Paris", usage=(42, 7), delay_s=0.05, chunk_interval_s=0.05
    )
    server.reset(sequence_script([reply]))
    client = OpenAICompatibleModel(
        "fake-model", base_url=server.base_url, api_key_env=KEY_ENV, stream=True
    )
    try:
        response = await client.complete(ask("Capital of France?"), timeout=5)
    finally:
        await client.aclose()

    assert server.requests[-1]["stream"] is True
    assert response.text == "The capital is Paris"
    assert response.usage == Usage(input_tokens=42, output_tokens=7)
    assert response.ttft_ms is not None
    # The first word follows the role-only chunk: one delay and one interval.
    assert response.ttft_ms >= 90
    # Four more events follow it, 50 ms apart, before the stream ends.
    assert response.latency_ms - response.ttft_ms >= 190


@pytest.mark.anyio
async def test_unstreamed_reply_has_no_ttft(
    server: FakeLLMServer, model: OpenAICompatibleModel
) -> None:
    response = await model.complete(ask("hi"), timeout=5)

    assert response.ttft_ms is None


@pytest.mark.anyio
async def test_stream_error_status_maps(
    server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, SECRET)
    server.reset(sequence_script([Reply(status=429, headers={"retry-after": "2"})]))
    client = OpenAICompatibleModel(
        "fake-model", base_url=server.base_url, api_key_env=KEY_ENV, stream=True
    )
    try:
        with pytest.raises(TransientError) as error:
            await client.complete(ask("hi"), timeout=5)
    finally:
        await client.aclose()

    assert error.value.retry_after == 2
