"""Each kind of target end to end through `evalgauge run`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli._run import run_cli
from tests.fakes import FakeLLMServer, Reply, last_user_text
from tests.fakes.service import answer_service


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EVALGAUGE_TEST_KEY", "test-key")
    return tmp_path


def _dataset(path: Path, questions: list[str]) -> Path:
    lines = [json.dumps({"question": q, "expected": q.upper()}) for q in questions]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_http_target(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _dataset(project / "cases.jsonl", ["a", "busy", "broken", "bad request", "c"])
    with answer_service() as service:
        result = run_cli(
            capsys,
            "run",
            str(data),
            "--input",
            "question",
            "--expected",
            "expected",
            "--target",
            f"http:{service.url}",
            "--body",
            '{"question": "{question}", "tenant": "acme"}',
            "--response-path",
            "data.answer",
            "--scorer",
            "exact_match",
            "--retries",
            "2",
            "--json",
        )
        bodies = service.bodies
    card = json.loads(result.stdout)
    assert result.code == 0, result.stderr
    assert card["metrics"][0]["scored"] == 3
    assert card["metrics"][0]["mean"] == 1.0
    assert card["error_types"] == {"transient_error": 1, "target_error": 1}
    assert bodies[0]["tenant"] == "acme"
    assert card["latency_ms"]["p50"] is not None


ASYNC_TARGET = """
import asyncio

async def answer(question: str) -> str:
    await asyncio.sleep(0)
    return question.upper()

def sync_answer(question):
    return {"text": question.upper()}
"""


def test_python_targets(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "mybot.py").write_text(ASYNC_TARGET, encoding="utf-8")
    data = _dataset(project / "cases.jsonl", ["x", "y"])
    async_result = run_cli(
        capsys,
        "run",
        str(data),
        "--input",
        "question",
        "--expected",
        "expected",
        "--target",
        "python:mybot:answer",
        "--scorer",
        "exact_match",
        "--json",
    )
    sync_result = run_cli(
        capsys,
        "run",
        str(data),
        "--input",
        "question",
        "--expected",
        "expected",
        "--target",
        "python:mybot:sync_answer",
        "--scorer",
        "contains",
        "--json",
    )
    assert json.loads(async_result.stdout)["metrics"][0]["mean"] == 1.0
    assert json.loads(sync_result.stdout)["metrics"][0]["mean"] == 1.0


BLOCKING_TARGET = """
import threading
import time

lock = threading.Lock()
in_flight = 0
max_in_flight = 0


def blocking_upper(question: str) -> str:
    global in_flight, max_in_flight
    with lock:
        in_flight += 1
        max_in_flight = max(max_in_flight, in_flight)
    time.sleep(3.0 if question == "stuck" else 0.1)
    with lock:
        in_flight -= 1
    return question.upper()
"""


def _run_blocking(capsys: pytest.CaptureFixture[str], data: Path, *extra: str) -> dict[str, object]:
    result = run_cli(
        capsys,
        "run",
        str(data),
        "--input",
        "question",
        "--expected",
        "expected",
        "--target",
        "python:blockingbot:blocking_upper",
        "--scorer",
        "exact_match",
        "--json",
        *extra,
    )
    assert result.code == 0, result.stderr
    card: dict[str, object] = json.loads(result.stdout)
    return card


def test_sync_target_runs_concurrently(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    (project / "blockingbot.py").write_text(BLOCKING_TARGET, encoding="utf-8")
    data = _dataset(project / "cases.jsonl", [f"q{i}" for i in range(16)])

    card = _run_blocking(capsys, data, "--concurrency", "4")

    # A blocking call runs on its own thread, so four are in flight at once.
    assert sys.modules["blockingbot"].max_in_flight == 4
    assert card["metrics"][0]["mean"] == 1.0  # type: ignore[index]


def test_sync_target_timeout_applies(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "blockingbot.py").write_text(BLOCKING_TARGET, encoding="utf-8")
    data = _dataset(project / "cases.jsonl", ["a", "stuck", "b"])

    card = _run_blocking(capsys, data, "--timeout", "0.5", "--retries", "0")

    assert card["target_errors"] == 1
    assert "timed out" in json.dumps(card["error_examples"])


def test_missing_callable(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _dataset(project / "cases.jsonl", ["x"])
    result = run_cli(
        capsys,
        "run",
        str(data),
        "--target",
        "python:nosuchmodule:f",
        "--expected",
        "expected",
        "--scorer",
        "exact_match",
    )
    assert result.code == 2
    assert "nosuchmodule" in result.stderr


def test_openai_target_with_usage(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def script(body: dict[str, object], attempt: int) -> Reply:
        return Reply(last_user_text(body).upper(), usage=(11, 4), delay_s=0.02)

    data = _dataset(project / "cases.jsonl", ["p", "q", "r"])
    with FakeLLMServer(script) as server:
        result = run_cli(
            capsys,
            "run",
            str(data),
            "--input",
            "question",
            "--expected",
            "expected",
            "--target",
            "openai:small",
            "--base-url",
            server.base_url,
            "--api-key-env",
            "EVALGAUGE_TEST_KEY",
            "--scorer",
            "exact_match",
            "--json",
        )
        sent = server.requests
    card = json.loads(result.stdout)
    assert card["metrics"][0]["mean"] == 1.0
    assert card["tokens"] == {"input": 33, "output": 12}
    assert card["latency_ms"]["p50"] >= 20
    assert card["run"]["model"] == "small"
    assert sent[0]["temperature"] == 0


def test_anthropic_target(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def script(body: dict[str, object], attempt: int) -> Reply:
        return Reply(last_user_text(body).upper(), usage=(9, 2))

    data = _dataset(project / "cases.jsonl", ["s", "t"])
    with FakeLLMServer(script) as server:
        result = run_cli(
            capsys,
            "run",
            str(data),
            "--input",
            "question",
            "--expected",
            "expected",
            "--target",
            "anthropic:claude-test",
            "--base-url",
            server.anthropic_base_url,
            "--api-key-env",
            "EVALGAUGE_TEST_KEY",
            "--scorer",
            "exact_match",
            "--json",
        )
    card = json.loads(result.stdout)
    assert result.code == 0, result.stderr
    assert card["metrics"][0]["mean"] == 1.0
    assert card["tokens"]["input"] == 18
