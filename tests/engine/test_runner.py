"""The run loop on real components: SQLite store, the local LLM server, real callables."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from evalgauge.cases import Case
from evalgauge.engine import (
    CachePolicy,
    EngineSettings,
    ResilientModel,
    ResponseCache,
    RunPlan,
    execute_run,
)
from evalgauge.models import OpenAICompatibleModel
from evalgauge.scorecard import build_scorecard
from evalgauge.scorers._text import ExactMatch
from evalgauge.store import Store
from evalgauge.targets import CallableTarget, ChatTarget, RecordedTarget
from evalgauge.targets._base import TargetOutput
from tests.fakes import FakeLLMServer, Reply, echo_script, last_user_text

FAST = {"backoff_base_s": 0.01, "backoff_max_s": 0.05}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    yield s
    s.close()


def _cases(n: int) -> list[Case]:
    return [
        Case(f"c{i}", {"input": f"case {i}"}, output=f"CASE {i}", expected=f"CASE {i}")
        for i in range(n)
    ]


def _plan(cases: list[Case], target: object, **settings: object) -> RunPlan:
    return RunPlan(
        name="t",
        cases=lambda: cases,
        n_cases=len(cases),
        dataset_version="sha256:test",
        target=target,  # type: ignore[arg-type]
        scorers=[ExactMatch()],
        settings=EngineSettings(**settings),  # type: ignore[arg-type]
    )


def test_recorded_exact_match(store: Store) -> None:
    cases = _cases(500)
    cases[7] = Case("c7", {"input": "x"}, output="wrong", expected="right")
    summary = asyncio.run(execute_run(_plan(cases, RecordedTarget()), store, progress=False))
    card = build_scorecard(store, summary.run_id)
    assert summary.status == "completed"
    assert card.cases == 500
    assert card.metrics[0].scored == 500
    assert card.metrics[0].mean == pytest.approx(499 / 500)
    assert card.metrics[0].ci_low is not None and card.metrics[0].ci_low < 499 / 500


def failing_target(input: str) -> str:
    if input.endswith("3"):
        raise ValueError(f"no answer for {input}")
    return input.upper()


def test_target_errors_recorded(store: Store) -> None:
    target = CallableTarget("tests.engine.test_runner:failing_target")
    summary = asyncio.run(execute_run(_plan(_cases(30), target), store, progress=False))
    card = build_scorecard(store, summary.run_id)
    assert summary.errored == 3
    assert card.target_errors == 3
    assert card.metrics[0].scored == 27
    assert card.metrics[0].errored == 3
    assert card.error_types == {"target_error": 3}


def _chat_target(
    server: FakeLLMServer, settings: EngineSettings, cache: ResponseCache | None = None
) -> ChatTarget:
    os.environ["EVALGAUGE_TEST_KEY"] = "test-key"
    inner = OpenAICompatibleModel(
        "fake-model", base_url=server.base_url, api_key_env="EVALGAUGE_TEST_KEY"
    )
    return ChatTarget(ResilientModel(inner, settings, cache=cache), prompt="{input}")


def _run_chat(store: Store, server: FakeLLMServer, cases: list[Case], **settings: object) -> object:
    engine_settings = EngineSettings(**(FAST | settings))  # type: ignore[arg-type]
    cache = (
        ResponseCache(Path(str(settings.get("cache_path", "/nonexistent"))))
        if "cache_path" in settings
        else None
    )

    async def go() -> object:
        target = _chat_target(server, engine_settings, cache)
        try:
            plan = _plan(cases, target)
            plan = RunPlan(**{**plan.__dict__, "settings": engine_settings})
            return await execute_run(plan, store, progress=False)
        finally:
            await target.aclose()

    return asyncio.run(go())


def test_retry_after_honored(store: Store) -> None:
    def script(body: dict[str, object], attempt: int) -> Reply:
        if attempt == 1:
            return Reply("slow down", status=429, headers={"Retry-After": "0.3"})
        return Reply(last_user_text(body).upper())

    with FakeLLMServer(script) as server:
        started = time.perf_counter()
        summary = _run_chat(store, server, _cases(4), concurrency=4)
        elapsed = time.perf_counter() - started
        requests = server.request_count
    card = build_scorecard(store, summary.run_id)  # type: ignore[attr-defined]
    assert card.metrics[0].mean == 1.0
    assert requests == 8
    assert elapsed >= 0.3


def test_server_errors_retried_then_recorded(store: Store) -> None:
    def script(body: dict[str, object], attempt: int) -> Reply:
        text = last_user_text(body)
        if text == "case 1":
            return Reply("boom", status=500)  # never recovers
        if text == "case 2" and attempt < 3:
            return Reply("busy", status=503)
        if text == "case 3":
            return Reply(raw_body=b"<html>not json</html>")
        return Reply(text.upper(), usage=(7, 3))

    with FakeLLMServer(script) as server:
        summary = _run_chat(store, server, _cases(6), max_retries=3)
    card = build_scorecard(store, summary.run_id)  # type: ignore[attr-defined]
    rows = {r["case_id"]: r for r in store.iter_case_results(summary.run_id)}  # type: ignore[attr-defined]
    assert rows["c2"]["error_type"] is None
    assert rows["c1"]["error_type"] == "transient_error"
    assert "4 attempts" in rows["c1"]["error_message"]
    assert rows["c3"]["error_type"] == "target_error"
    assert card.metrics[0].scored == 4
    assert card.input_tokens == 28


def test_timeout_is_transient(store: Store) -> None:
    def script(body: dict[str, object], attempt: int) -> Reply:
        return Reply(last_user_text(body).upper(), delay_s=2.0 if attempt == 1 else 0.0)

    with FakeLLMServer(script) as server:
        summary = _run_chat(store, server, _cases(2), timeout_s=0.3)
    card = build_scorecard(store, summary.run_id)  # type: ignore[attr-defined]
    assert card.metrics[0].mean == 1.0


def test_concurrency_bounded(store: Store) -> None:
    def script(body: dict[str, object], attempt: int) -> Reply:
        return Reply(last_user_text(body).upper(), delay_s=0.05)

    with FakeLLMServer(script) as server:
        _run_chat(store, server, _cases(40), concurrency=5)
        peak = server.max_in_flight
    assert 1 < peak <= 5


def test_cache_replay_keeps_latency(store: Store, tmp_path: Path) -> None:
    cache_path = tmp_path / "cache.sqlite"

    def script(body: dict[str, object], attempt: int) -> Reply:
        return Reply(last_user_text(body).upper(), delay_s=0.05)

    with FakeLLMServer(script) as server:
        first = _run_chat(
            store, server, _cases(5), cache=CachePolicy.READ_WRITE, cache_path=cache_path
        )
        replay = _run_chat(
            store, server, _cases(5), cache=CachePolicy.REPLAY, cache_path=cache_path
        )
        requests = server.request_count
    recorded = {r["case_id"]: r for r in store.iter_case_results(first.run_id)}  # type: ignore[attr-defined]
    replayed = {r["case_id"]: r for r in store.iter_case_results(replay.run_id)}  # type: ignore[attr-defined]
    assert requests == 5
    assert all(r["cached"] for r in replayed.values())
    assert replayed["c1"]["latency_ms"] == recorded["c1"]["latency_ms"]
    assert replayed["c1"]["latency_ms"] >= 50


def test_replay_miss_is_case_error(store: Store, tmp_path: Path) -> None:
    with FakeLLMServer(echo_script) as server:
        summary = _run_chat(
            store, server, _cases(3), cache=CachePolicy.REPLAY, cache_path=tmp_path / "empty.sqlite"
        )
        requests = server.request_count
    card = build_scorecard(store, summary.run_id)  # type: ignore[attr-defined]
    assert requests == 0
    assert card.error_types == {"cache_miss": 3}


def test_sigint_saves_then_resume(store: Store) -> None:
    seen: list[str] = []

    async def slow(input: str) -> str:
        seen.append(input)
        if len(seen) == 10:
            os.kill(os.getpid(), signal.SIGINT)
        await asyncio.sleep(0.01)
        return input.upper()

    globals()["slow_target"] = slow
    target = CallableTarget("tests.engine.test_runner:slow_target")
    cases = _cases(200)
    first = asyncio.run(execute_run(_plan(cases, target, concurrency=4), store, progress=False))
    stored = store.count_case_results(first.run_id)
    second = asyncio.run(
        execute_run(_plan(cases, target, concurrency=4), store, resume=first.run_id, progress=False)
    )
    card = build_scorecard(store, first.run_id)
    assert first.status == "interrupted"
    assert 10 <= stored < 200
    assert second.skipped == stored
    assert second.status == "completed"
    assert card.cases == 200
    assert card.metrics[0].scored == 200


def test_resume_rejects_changed_dataset(store: Store) -> None:
    from evalgauge.errors import UsageError

    first = asyncio.run(execute_run(_plan(_cases(3), RecordedTarget()), store, progress=False))
    changed = RunPlan(
        **{**_plan(_cases(3), RecordedTarget()).__dict__, "dataset_version": "sha256:other"}
    )
    with pytest.raises(UsageError, match="dataset version"):
        asyncio.run(execute_run(changed, store, resume=first.run_id, progress=False))


def test_resume_unknown_run(store: Store) -> None:
    from evalgauge.errors import UsageError

    with pytest.raises(UsageError, match="not found"):
        asyncio.run(
            execute_run(_plan(_cases(3), RecordedTarget()), store, resume="nope", progress=False)
        )


def test_failed_write_marks_run_failed(store: Store) -> None:
    from sqlalchemy.exc import IntegrityError

    cases = _cases(20)
    cases[5] = Case(None, {"input": "x"}, output="X", expected="X")  # type: ignore[arg-type]

    async def go() -> None:
        await asyncio.wait_for(
            execute_run(_plan(cases, RecordedTarget()), store, progress=False), timeout=30
        )

    with pytest.raises(IntegrityError):
        asyncio.run(go())
    run = store.list_runs(1)[0]
    assert run.status == "failed"
    assert run.stop_reason is not None and "IntegrityError" in run.stop_reason


class _AwaitedRecorded:
    """A recorded target without `generate_now`, so the engine awaits it per case."""

    kind = "recorded"
    retries = False

    def __init__(self) -> None:
        self._recorded = RecordedTarget()

    def identity(self) -> dict[str, str]:
        return self._recorded.identity()

    async def generate(self, case: Case) -> TargetOutput:
        return await self._recorded.generate(case)

    async def check_ready(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


def _stored(store: Store, run_id: str) -> list[tuple[object, ...]]:
    keys = ("case_id", "output", "error_type", "error_message", "cached", "scores")
    return [tuple(row[k] for k in keys) for row in store.iter_case_results(run_id)]


def test_inline_path_matches_awaited_path(store: Store) -> None:
    from evalgauge.engine._process import runs_inline

    cases = _cases(600)
    cases[3] = Case("c3", {"input": "x"}, output=None, expected="X")  # no recorded output
    cases[4] = Case("c4", {"input": "x"}, output="X", expected=None)  # nothing to compare
    cases[5] = Case("c5", {"input": "x"}, output="wrong", expected="right")
    inline, awaited = RecordedTarget(), _AwaitedRecorded()
    assert runs_inline(inline, [ExactMatch()])
    assert not runs_inline(awaited, [ExactMatch()])
    first = asyncio.run(execute_run(_plan(cases, inline), store, progress=False))
    second = asyncio.run(execute_run(_plan(cases, awaited), store, progress=False))
    assert (first.processed, first.errored) == (second.processed, second.errored) == (600, 1)
    rows = _stored(store, first.run_id)
    assert rows == _stored(store, second.run_id)
    assert rows[3][2] == "target_error"
    assert rows[4][5]["exact_match"]["error_type"] == "exact_match:scorer_error"
    assert rows[5][5]["exact_match"]["passed"] is False


def test_inline_sigint_stops_within_a_chunk(store: Store) -> None:
    cases = _cases(20_000)

    def interrupting() -> Iterator[Case]:
        for i, case in enumerate(cases):
            if i == 1_000:
                os.kill(os.getpid(), signal.SIGINT)
            yield case

    plan = RunPlan(**{**_plan(cases, RecordedTarget()).__dict__, "cases": interrupting})
    first = asyncio.run(execute_run(plan, store, progress=False))
    stored = store.count_case_results(first.run_id)
    second = asyncio.run(
        execute_run(_plan(cases, RecordedTarget()), store, resume=first.run_id, progress=False)
    )
    assert first.status == "interrupted"
    assert 1_000 <= stored < 2_000
    assert second.skipped == stored
    assert build_scorecard(store, first.run_id).metrics[0].scored == 20_000


def test_computing_scorers_run_inline() -> None:
    from evalgauge.engine._process import runs_inline
    from evalgauge.scorers._text import Contains
    from evalgauge.scorers.sql import SqlExecutionScorer
    from evalgauge.scorers.structured._scorers import JsonParse
    from evalgauge.scorers.toolcalls._check_scorers import ToolStateScorer
    from evalgauge.scorers.toolcalls._scorer import ToolCallScorer

    computing = [ExactMatch(), Contains(), JsonParse(), ToolCallScorer()]
    assert runs_inline(RecordedTarget(), computing)
    # Scorers that execute SQL or call a backend wait on I/O, so they stay awaited.
    assert not hasattr(SqlExecutionScorer, "score_now")
    assert not hasattr(ToolStateScorer, "score_now")


def test_cancel_before_handler_saves_and_marks(store: Store) -> None:
    # asyncio.run turns a Ctrl-C that comes before the engine's handler into a cancellation.
    cases = _cases(50_000)

    async def go() -> None:
        task = asyncio.create_task(
            execute_run(_plan(cases, RecordedTarget()), store, progress=False)
        )
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(go())
    run = store.list_runs(1)[0]
    stored = store.count_case_results(run.run_id)
    assert run.status == "interrupted"
    assert stored < 50_000
    resumed = asyncio.run(
        execute_run(_plan(cases, RecordedTarget()), store, resume=run.run_id, progress=False)
    )
    assert resumed.skipped == stored
    assert store.count_case_results(run.run_id) == 50_000


def returns_none(input: str) -> None:
    return None


def test_callable_returning_none_is_target_error(store: Store) -> None:
    target = CallableTarget("tests.engine.test_runner:returns_none")
    summary = asyncio.run(execute_run(_plan(_cases(3), target), store, progress=False))
    rows = list(store.iter_case_results(summary.run_id))
    assert summary.errored == 3
    assert rows[0]["error_type"] == "target_error"
    assert "returned None" in rows[0]["error_message"]
