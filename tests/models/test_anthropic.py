"""Tests for AnthropicModel over real HTTP against the fake LLM server."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from evalgauge.errors import TargetError, TargetSetupError, TransientError
from evalgauge.models import AnthropicModel, ChatMessage, ChatRequest, Usage
from tests.fakes import FakeLLMServer, Reply, echo_script, sequence_script

KEY_ENV = "EVALGAUGE_TEST_ANTHROPIC_KEY"
SECRET = "sk-ant-test-0123456789abcdef"


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
) -> AsyncIterator[AnthropicModel]:
    monkeypatch.setenv(KEY_ENV, SECRET)
    client = AnthropicModel("claude-test", base_url=server.anthropic_base_url, api_key_env=KEY_ENV)
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
    server: FakeLLMServer, model: AnthropicModel
) -> None:
    server.reset(sequence_script([Reply(content="Paris", usage=(42, 7))]))

    response = await model.complete(ask("Capital of France?"), timeout=5)

    assert response.text == "Paris"
    assert response.usage == Usage(input_tokens=42, output_tokens=7)
    assert response.model == "claude-test"
    assert response.latency_ms > 0


@pytest.mark.anyio
async def test_cache_reads_count_as_input(server: FakeLLMServer, model: AnthropicModel) -> None:
    server.reset(sequence_script([Reply(content="ok", usage=(10, 4), cached_tokens=90)]))

    response = await model.complete(ask("hi"), timeout=5)

    assert response.usage.input_tokens == 100
    assert response.usage.cached_input_tokens == 90
    assert response.usage.output_tokens == 4


@pytest.mark.anyio
async def test_system_messages_move_to_system(server: FakeLLMServer, model: AnthropicModel) -> None:
    request = ChatRequest(
        messages=(
            ChatMessage(role="system", content="Answer tersely."),
            ChatMessage(role="system", content="Use British spelling."),
            ChatMessage(role="user", content="colour?"),
            ChatMessage(role="assistant", content="COLOUR?"),
            ChatMessage(role="user", content="again"),
        ),
        temperature=0.0,
    )

    response = await model.complete(request, timeout=5)

    assert response.text == "AGAIN"
    body = server.requests[0]
    assert body["system"] == "Answer tersely.\n\nUse British spelling."
    assert body["messages"] == [
        {"role": "user", "content": "colour?"},
        {"role": "assistant", "content": "COLOUR?"},
        {"role": "user", "content": "again"},
    ]
    assert body["model"] == "claude-test"


@pytest.mark.anyio
async def test_request_fields_sent(server: FakeLLMServer, model: AnthropicModel) -> None:
    await model.complete(ask("hi"), timeout=5)
    request = ChatRequest(
        messages=(ChatMessage(role="user", content="hello"),), max_tokens=16, extra={"top_k": 5}
    )
    await model.complete(request, timeout=5)

    default_body, explicit_body = server.requests
    assert default_body["max_tokens"] == 1024
    assert "system" not in default_body
    assert "temperature" not in default_body
    assert explicit_body["max_tokens"] == 16
    assert explicit_body["top_k"] == 5
    headers = server.request_headers[0]
    assert SECRET in (headers.get("x-api-key", "") + headers.get("authorization", ""))


@pytest.mark.anyio
async def test_complete_without_timeout(server: FakeLLMServer, model: AnthropicModel) -> None:
    response = await model.complete(ask("no timeout given"))

    assert response.text == "NO TIMEOUT GIVEN"


@pytest.mark.anyio
async def test_rate_limit_retry_after_seconds(server: FakeLLMServer, model: AnthropicModel) -> None:
    server.reset(sequence_script([Reply(status=429, headers={"retry-after": "2"})]))

    with pytest.raises(TransientError) as caught:
        await model.complete(ask("hi"), timeout=5)

    assert caught.value.retry_after == 2.0
    assert "429" in str(caught.value)


@pytest.mark.anyio
async def test_rate_limit_retry_after_http_date(
    server: FakeLLMServer, model: AnthropicModel
) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    server.reset(sequence_script([Reply(status=429, headers={"Retry-After": when})]))

    with pytest.raises(TransientError) as caught:
        await model.complete(ask("hi"), timeout=5)

    assert caught.value.retry_after is not None
    assert 15.0 <= caught.value.retry_after <= 20.0


@pytest.mark.anyio
@pytest.mark.parametrize("status", [500, 503, 529])
async def test_server_error_is_transient(
    server: FakeLLMServer, model: AnthropicModel, status: int
) -> None:
    server.reset(sequence_script([Reply(status=status, content="Overloaded")]))

    with pytest.raises(TransientError) as caught:
        await model.complete(ask("hi"), timeout=5)

    assert str(status) in str(caught.value)
    assert "Overloaded" in str(caught.value)


@pytest.mark.anyio
@pytest.mark.parametrize(("status", "hint"), [(400, ""), (401, KEY_ENV), (404, "claude-test")])
async def test_client_error_is_target_error(
    server: FakeLLMServer, model: AnthropicModel, status: int, hint: str
) -> None:
    server.reset(sequence_script([Reply(status=status, content="messages: field required")]))

    with pytest.raises(TargetError) as caught:
        await model.complete(ask("hi"), timeout=5)

    assert not isinstance(caught.value, TransientError)
    assert f"HTTP {status}" in str(caught.value)
    assert "messages: field required" in str(caught.value)
    assert hint in str(caught.value)


@pytest.mark.anyio
async def test_error_message_hides_key(server: FakeLLMServer, model: AnthropicModel) -> None:
    server.reset(sequence_script([Reply(status=401, content=f"invalid x-api-key {SECRET}")]))

    with pytest.raises(TargetError) as caught:
        await model.complete(ask("hi"), timeout=5)

    assert SECRET not in str(caught.value)


@pytest.mark.anyio
async def test_client_timeout_is_transient(server: FakeLLMServer, model: AnthropicModel) -> None:
    server.reset(sequence_script([Reply(content="late", delay_s=5.0)]))

    started = time.perf_counter()
    with pytest.raises(TransientError) as caught:
        await model.complete(ask("hi"), timeout=0.3)

    assert time.perf_counter() - started < 3.0
    assert "timed out" in str(caught.value)


@pytest.mark.anyio
@pytest.mark.parametrize("raw_body", [b"<html>Gateway</html>", b"", b'{"content": ['])
async def test_garbage_body_is_target_error(
    server: FakeLLMServer, model: AnthropicModel, raw_body: bytes
) -> None:
    server.reset(sequence_script([Reply(raw_body=raw_body)]))

    with pytest.raises(TargetError) as caught:
        await model.complete(ask("hi"), timeout=5)

    assert not isinstance(caught.value, TransientError)
    assert "not JSON" in str(caught.value)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("raw_body", "missing"),
    [
        (b'{"type": "message", "content": []}', "no content blocks"),
        (b'{"type": "message"}', "no content blocks"),
        (
            b'{"content": [{"type": "thinking", "thinking": "hmm", "signature": "s"}]}',
            "no text block",
        ),
    ],
)
async def test_incomplete_reply_is_target_error(
    server: FakeLLMServer, model: AnthropicModel, raw_body: bytes, missing: str
) -> None:
    server.reset(sequence_script([Reply(raw_body=raw_body)]))

    with pytest.raises(TargetError) as caught:
        await model.complete(ask("hi"), timeout=5)

    assert missing in str(caught.value)


@pytest.mark.anyio
async def test_text_blocks_are_joined(server: FakeLLMServer, model: AnthropicModel) -> None:
    raw_body = (
        b'{"model": "claude-test", "content": [{"type": "thinking", "thinking": "x"},'
        b' {"type": "text", "text": "Hel"}, {"type": "text", "text": "lo"}],'
        b' "usage": {"input_tokens": 3, "output_tokens": 2}}'
    )
    server.reset(sequence_script([Reply(raw_body=raw_body)]))

    response = await model.complete(ask("hi"), timeout=5)

    assert response.text == "Hello"
    assert response.usage == Usage(input_tokens=3, output_tokens=2)


@pytest.mark.anyio
async def test_check_ready_passes(model: AnthropicModel, server: FakeLLMServer) -> None:
    await model.check_ready()

    assert server.paths["GET /v1/models"] == 1


@pytest.mark.anyio
async def test_check_ready_missing_key(
    server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EVALGAUGE_TEST_MISSING_KEY", raising=False)
    client = AnthropicModel(
        "claude-test",
        base_url=server.anthropic_base_url,
        api_key_env="EVALGAUGE_TEST_MISSING_KEY",
    )
    try:
        with pytest.raises(TargetSetupError) as caught:
            await client.check_ready()
    finally:
        await client.aclose()

    assert "EVALGAUGE_TEST_MISSING_KEY" in str(caught.value)
    assert "export EVALGAUGE_TEST_MISSING_KEY=" in str(caught.value)
    assert server.request_count == 0


@pytest.mark.anyio
async def test_no_key_sends_placeholder(
    server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    client = AnthropicModel("claude-test", base_url=server.anthropic_base_url, api_key_env=None)
    try:
        await client.check_ready()
        response = await client.complete(ask("local"), timeout=5)
    finally:
        await client.aclose()

    assert response.text == "LOCAL"


@pytest.mark.anyio
async def test_check_ready_unreachable_url() -> None:
    base_url = f"http://127.0.0.1:{closed_port()}"
    client = AnthropicModel("claude-test", base_url=base_url, api_key_env=None)
    try:
        with pytest.raises(TargetSetupError) as caught:
            await client.check_ready()
    finally:
        await client.aclose()

    assert f"{base_url}/v1/models" in str(caught.value)


@pytest.mark.anyio
async def test_connection_refused_is_transient() -> None:
    client = AnthropicModel(
        "claude-test", base_url=f"http://127.0.0.1:{closed_port()}", api_key_env=None
    )
    try:
        with pytest.raises(TransientError, match="connection"):
            await client.complete(ask("hi"), timeout=2)
    finally:
        await client.aclose()


def test_identity_names_endpoint_and_model() -> None:
    default = AnthropicModel("claude-haiku")
    custom = AnthropicModel("claude-haiku", base_url="http://127.0.0.1:9000/")

    assert default.identity() == "anthropic:https://api.anthropic.com:claude-haiku"
    assert custom.identity() == "anthropic:http://127.0.0.1:9000:claude-haiku"
    assert default.provider == "anthropic"


def test_rejects_bad_limits() -> None:
    with pytest.raises(ValueError, match="max_tokens"):
        AnthropicModel("claude-haiku", max_tokens=0)
    with pytest.raises(ValueError, match="max_connections"):
        AnthropicModel("claude-haiku", max_connections=0)


@pytest.mark.anyio
async def test_cache_writes_counted_apart(server: FakeLLMServer, model: AnthropicModel) -> None:
    reply = Reply(content="ok", usage=(10, 4), cached_tokens=90, cache_write_tokens=50)
    server.reset(sequence_script([reply]))

    response = await model.complete(ask("hi"), timeout=5)

    assert response.usage.input_tokens == 150
    assert response.usage.cache_write_tokens == 50
    assert response.usage.cached_input_tokens == 90


@pytest.mark.anyio
async def test_stream_measures_ttft(server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, SECRET)
    reply = Reply(
        content="Bonjour tout le monde",
        usage=(12, 6),
        cached_tokens=30,
        delay_s=0.05,
        chunk_interval_s=0.05,
    )
    server.reset(sequence_script([reply]))
    client = AnthropicModel(
        "claude-test", base_url=server.anthropic_base_url, api_key_env=KEY_ENV, stream=True
    )
    try:
        response = await client.complete(ask("hi"), timeout=5)
    finally:
        await client.aclose()

    assert server.requests[-1]["stream"] is True
    assert response.text == "Bonjour tout le monde"
    assert response.usage.input_tokens == 42
    assert response.usage.cached_input_tokens == 30
    assert response.usage.output_tokens == 6
    assert response.ttft_ms is not None
    # message_start and content_block_start come before the first text delta.
    assert response.ttft_ms >= 140
    assert response.latency_ms - response.ttft_ms >= 190
