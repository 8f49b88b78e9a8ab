"""`evalgauge run --tier` budgets against the local OpenAI-compatible server, and tag filters.

The chat suite sends every case to the fake server, which reports scripted usage, so the
cost of each case is known in advance and a tier's envelope or time budget stops the run
part of the way through. The Spider suite replays recorded SQL predictions.
"""

from __future__ import annotations

import copy
import json
import sqlite3
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import genai_prices
import pytest
import yaml

from tests._env import require_file
from tests.cli._run import Result, run_cli
from tests.fakes import FakeLLMServer, Reply, last_user_text

KEY_ENV = "EVALGAUGE_TEST_KEY"
MODEL = "gpt-4o-mini"
N_CASES = 60
CONCURRENCY = 4
# Usage the server reports for every reply. The projection before the run does not see it.
# With no earlier run, the projection assumes prompt length / 4 input tokens and max_tokens
# output tokens, so it stays under the envelope that the real usage overspends.
USAGE = (1000, 500)
MAX_TOKENS = 4


def _case_cost() -> float:
    usage = genai_prices.Usage(input_tokens=USAGE[0], output_tokens=USAGE[1])
    return float(genai_prices.calc_price(usage, MODEL).total_price)


def _upper_with_usage(body: dict[str, Any], attempt: int) -> Reply:
    return Reply(last_user_text(body).upper(), usage=USAGE)


@pytest.fixture(scope="module")
def module_server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(_upper_with_usage) as running:
        yield running


@pytest.fixture
def server(module_server: FakeLLMServer) -> FakeLLMServer:
    module_server.reset(_upper_with_usage)
    return module_server


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(KEY_ENV, "test-key")
    rows = [{"id": f"q{i:02d}", "question": f"q{i}", "expected": f"Q{i}"} for i in range(N_CASES)]
    lines = "".join(json.dumps(row) + "\n" for row in rows)
    (tmp_path / "questions.jsonl").write_text(lines, encoding="utf-8")
    return tmp_path


def _chat_contract(
    folder: Path,
    server: FakeLLMServer,
    tier: dict[str, Any],
    *,
    stream: bool = False,
    gates: list[dict[str, Any]] | None = None,
) -> Path:
    contract = {
        "suites": {
            "chat": {
                "dataset": {
                    "path": "questions.jsonl",
                    "id": "id",
                    "input": ["question"],
                    "expected": "expected",
                },
                "target": {
                    "kind": "openai",
                    "model": MODEL,
                    "base_url": server.base_url,
                    "api_key_env": KEY_ENV,
                    "max_tokens": MAX_TOKENS,
                    "stream": stream,
                },
                "scorers": [{"kind": "exact_match"}],
            }
        },
        "tiers": {"capped": {"concurrency": CONCURRENCY, **tier}},
        "gates": gates or [{"rule": "exact_match >= 0.9"}],
    }
    path = folder / "evalgauge.yaml"
    path.write_text(yaml.safe_dump(contract, sort_keys=False), encoding="utf-8")
    return path


def _run_tier(capsys: pytest.CaptureFixture[str], folder: Path, tier: str, *args: str) -> Result:
    database = f"sqlite:///{folder / 'store.db'}"
    return run_cli(capsys, "run", "--tier", tier, "--database", database, *args)


def _stored_runs(folder: Path) -> list[tuple[str, str | None]]:
    with sqlite3.connect(folder / "store.db") as conn:
        return [tuple(row) for row in conn.execute("SELECT status, stop_reason FROM runs")]


def test_envelope_stops_run_midway(
    project: Path, server: FakeLLMServer, capsys: pytest.CaptureFixture[str]
) -> None:
    case_cost = _case_cost()
    envelope = round(20 * case_cost, 6)
    _chat_contract(project, server, {"cost_envelope_usd": envelope})

    result = _run_tier(capsys, project, "capped", "--json")
    gate = run_cli(
        capsys, "gate", "--tier", "capped", "--database", f"sqlite:///{project / 'store.db'}"
    )

    card = json.loads(result.stdout)["suites"]["chat"]
    spent = card["operations"]["cost"]["total_usd"]
    assert result.code == 1
    assert "stopped: budget; partial results kept" in result.stderr
    assert card["run"]["status"] == "stopped"
    assert card["stop_reason"] == "budget"
    assert card["cases"] > 0
    assert card["cases"] < N_CASES
    assert len(server.requests) == card["cases"]
    assert card["operations"]["cost"]["priced"] == card["cases"]
    assert spent == pytest.approx(card["cases"] * case_cost)
    assert spent <= envelope + CONCURRENCY * case_cost
    assert spent >= envelope - CONCURRENCY * case_cost
    assert card["metrics"][0]["mean"] == 1.0
    assert _stored_runs(project) == [("stopped", "budget")]
    assert gate.code == 0, gate.stderr
    assert "the run stopped early (budget)" in gate.stdout


def test_streamed_run_reports_ttft(
    project: Path, server: FakeLLMServer, capsys: pytest.CaptureFixture[str]
) -> None:
    def slow_words(body: dict[str, Any], attempt: int) -> Reply:
        text = f"{last_user_text(body).upper()} and more words"
        return Reply(text, usage=USAGE, delay_s=0.02, chunk_interval_s=0.02)

    server.reset(slow_words)
    gates = [{"rule": "p95_ttft_ms <= 1"}, {"rule": "p95_latency_ms <= 10000"}]
    _chat_contract(project, server, {}, stream=True, gates=gates)

    result = _run_tier(capsys, project, "capped", "--json")
    gate = run_cli(
        capsys,
        "gate",
        "--tier",
        "capped",
        "--database",
        f"sqlite:///{project / 'store.db'}",
        "--json",
    )

    card = json.loads(result.stdout)["suites"]["chat"]
    ttft, latency = card["operations"]["ttft_ms"], card["operations"]["latency_ms"]
    outcomes = {o["rule"]: o["status"] for o in json.loads(gate.stdout)["outcomes"]}
    assert result.code == 0, result.stderr
    assert ttft["n"] == N_CASES
    assert ttft["p50"] >= 35
    assert latency["p50"] - ttft["p50"] >= 80
    assert outcomes == {"p95_ttft_ms <= 1": "fail", "p95_latency_ms <= 10000": "pass"}
    assert gate.code == 1


def _judged_contract(project: Path, server: FakeLLMServer, envelope: float) -> None:
    """A suite of recorded answers with no model, graded by an LLM judge on the server."""
    rows = [{"id": f"r{i:02d}", "question": f"q{i}", "answer": f"A{i}"} for i in range(N_CASES)]
    (project / "recorded.jsonl").write_text(
        "".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8"
    )
    (project / "rubric.md").write_text("Pass when the answer is non-empty.\n", encoding="utf-8")
    judge = {
        "kind": "judge",
        "judge": "openai",
        "model": MODEL,
        "base_url": server.base_url,
        "api_key_env": KEY_ENV,
        "rubric": "rubric.md",
    }
    dataset = {"path": "recorded.jsonl", "id": "id", "input": ["question"], "output": "answer"}
    contract = {
        "suites": {"judged": {"dataset": dataset, "scorers": [judge]}},
        "tiers": {"capped": {"concurrency": CONCURRENCY, "cost_envelope_usd": envelope}},
    }
    (project / "evalgauge.yaml").write_text(yaml.safe_dump(contract), encoding="utf-8")


def test_judge_spend_counts_in_envelope(
    project: Path, server: FakeLLMServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.reset(lambda body, attempt: Reply("PASS: matches", usage=USAGE))
    envelope = round(20 * _case_cost(), 6)
    _judged_contract(project, server, envelope)

    result = _run_tier(capsys, project, "capped", "--json")

    assert result.stdout, result.stderr
    card = json.loads(result.stdout)["suites"]["judged"]
    cost = card["operations"]["cost"]
    assert result.code == 1, result.stderr
    assert card["stop_reason"] == "budget"
    assert 0 < card["cases"] < N_CASES
    assert len(server.requests) == card["cases"]
    assert cost["total_usd"] is None
    assert cost["judge_total_usd"] == pytest.approx(card["cases"] * _case_cost())
    assert cost["judge_total_usd"] <= envelope + CONCURRENCY * _case_cost()


def test_judge_projection_over_envelope(
    project: Path, server: FakeLLMServer, capsys: pytest.CaptureFixture[str]
) -> None:
    _judged_contract(project, server, 0.0001)

    result = _run_tier(capsys, project, "capped")

    assert result.code == 1
    assert "over the tier's envelope of $0.0001" in result.stderr
    assert "judge judge: prompt length at 4 characters per token" in result.stderr
    assert server.request_count == 0


def test_projection_uses_earlier_usage(
    project: Path, server: FakeLLMServer, capsys: pytest.CaptureFixture[str]
) -> None:
    envelope = round(20 * _case_cost(), 6)
    _chat_contract(project, server, {"cost_envelope_usd": envelope})
    first = _run_tier(capsys, project, "capped")
    server.reset()

    second = _run_tier(capsys, project, "capped")

    assert first.code == 1
    assert second.code == 1
    assert "from the mean usage of run" in second.stderr
    assert f"{N_CASES} cases at ${_case_cost():.6f}" in second.stderr
    assert server.request_count == 0
    assert _stored_runs(project) == [("stopped", "budget")]


def test_later_suite_over_remaining_envelope(
    project: Path, server: FakeLLMServer, capsys: pytest.CaptureFixture[str]
) -> None:
    short = [{"id": f"s{i}", "question": f"q{i}", "expected": f"Q{i}"} for i in range(10)]
    # About 500 tokens per prompt at 4 characters per token, so the second suite's projection
    # is over what the first suite leaves of the envelope.
    long = [{"id": f"l{i}", "question": "x" * 2000 + str(i), "expected": "-"} for i in range(10)]
    for name, rows in (("short", short), ("long", long)):
        lines = "".join(json.dumps(row) + "\n" for row in rows)
        (project / f"{name}.jsonl").write_text(lines, encoding="utf-8")
    path = _chat_contract(project, server, {"cost_envelope_usd": round(11 * _case_cost(), 6)})
    contract = yaml.safe_load(path.read_text(encoding="utf-8"))
    chat = contract["suites"].pop("chat")
    for name in ("short", "long"):
        suite = copy.deepcopy(chat)
        suite["dataset"]["path"] = f"{name}.jsonl"
        contract["suites"][name] = suite
    path.write_text(yaml.safe_dump(contract, sort_keys=False), encoding="utf-8")
    saved = project / "scorecards.json"

    result = _run_tier(capsys, project, "capped", "--save-scorecard", str(saved))

    assert result.code == 1
    assert _stored_runs(project) == [("completed", None)]
    assert saved.exists()
    assert list(json.loads(saved.read_text(encoding="utf-8"))["suites"]) == ["short"]


def _slow_upper(body: dict[str, Any], attempt: int) -> Reply:
    return Reply(last_user_text(body).upper(), usage=USAGE, delay_s=0.1)


def test_time_budget_stops_run(
    project: Path, server: FakeLLMServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # 60 cases, 4 at a time at 0.1 s each, take 1.5 s, so a 0.4 s budget stops the run.
    server.reset(_slow_upper)
    _chat_contract(project, server, {"time_budget_s": 0.4})

    result = _run_tier(capsys, project, "capped", "--json")

    card = json.loads(result.stdout)["suites"]["chat"]
    assert result.code == 1
    assert "stopped: time budget; partial results kept" in result.stderr
    assert card["run"]["status"] == "stopped"
    assert card["stop_reason"] == "time budget"
    assert card["cases"] > 0
    assert card["cases"] < N_CASES
    assert len(server.requests) == card["cases"]
    assert card["metrics"][0]["scored"] == card["cases"]
    assert _stored_runs(project) == [("stopped", "time budget")]


def _two_suite_contract(project: Path, server: FakeLLMServer, tier: dict[str, Any]) -> None:
    """Suites `first` and `second` on the same questions; the tier samples `first` down."""
    _chat_contract(project, server, {})
    contract = yaml.safe_load((project / "evalgauge.yaml").read_text(encoding="utf-8"))
    chat = contract["suites"].pop("chat")
    contract["suites"] = {"first": chat, "second": copy.deepcopy(chat)}
    contract["tiers"] = {"capped": {"concurrency": CONCURRENCY, **tier}}
    contract["gates"] = []
    (project / "evalgauge.yaml").write_text(yaml.safe_dump(contract), encoding="utf-8")


def _slower_upper(body: dict[str, Any], attempt: int) -> Reply:
    return Reply(last_user_text(body).upper(), usage=USAGE, delay_s=0.2)


def test_time_budget_covers_whole_tier(
    project: Path, server: FakeLLMServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # `first` runs 8 cases in two waves of 0.2 s; `second` gets the 0.4 s or so that is left,
    # about two waves, where a budget of its own would allow four.
    server.reset(_slower_upper)
    sample = {"sample": {"size": 8, "seed": 0}}
    _two_suite_contract(project, server, {"time_budget_s": 0.8, "slices": {"first": sample}})

    result = _run_tier(capsys, project, "capped", "--json")

    cards = json.loads(result.stdout)["suites"]
    assert result.code == 1, result.stderr
    assert cards["first"]["cases"] == 8
    assert cards["first"]["run"]["status"] == "completed"
    assert cards["second"]["stop_reason"] == "time budget"
    assert 0 < cards["second"]["cases"] <= 3 * CONCURRENCY


def test_spent_time_budget_skips_suites(
    project: Path, server: FakeLLMServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # `first` starts its only wave at once and ends after the budget, so `second` never runs.
    server.reset(_slower_upper)
    sample = {"sample": {"size": CONCURRENCY, "seed": 0}}
    _two_suite_contract(project, server, {"time_budget_s": 0.1, "slices": {"first": sample}})

    result = _run_tier(capsys, project, "capped", "--json")

    cards = json.loads(result.stdout)["suites"]
    assert result.code == 1
    assert "time budget spent before suite(s) second; not run" in result.stderr
    assert list(cards) == ["first"]
    assert len(server.requests) == CONCURRENCY


def _normalize_sql(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@pytest.fixture(scope="module")
def spider_rows(shared_data: Path) -> list[dict[str, Any]]:
    """Spider dev: the gold SQL and database of each question, with C3SQL's prediction."""
    folder = shared_data / "spider-dev"
    gold = require_file(folder / "dev_gold.sql").read_text(encoding="utf-8").splitlines()
    predictions_file = folder / "predictions" / "c3sql_gpt-3.5-turbo_dev_predicted_sql.txt"
    predicted = require_file(predictions_file).read_text(encoding="utf-8").splitlines()
    assert len(gold) == len(predicted)
    rows = []
    for number, (line, prediction) in enumerate(zip(gold, predicted, strict=True), start=1):
        sql, db = line.rsplit("\t", 1)
        rows.append({"id": number, "db": db, "output": prediction, "expected": sql})
    return rows


@pytest.mark.parametrize("databases", [["concert_singer"], ["concert_singer", "pets_1"]])
def test_tag_filter_selects_databases(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    spider_rows: list[dict[str, Any]],
    databases: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    lines = "".join(json.dumps(row) + "\n" for row in spider_rows)
    (tmp_path / "spider.jsonl").write_text(lines, encoding="utf-8")
    contract = {
        "suites": {
            "spider": {
                "dataset": {
                    "path": "spider.jsonl",
                    "id": "id",
                    "output": "output",
                    "expected": "expected",
                    "input": ["id"],
                },
                "target": {"kind": "recorded"},
                "scorers": [{"kind": "exact_match", "normalize": True}],
                "slices": ["db"],
            }
        },
        "tiers": {"by_db": {"slices": {"spider": {"tags": {"db": databases}}}}},
    }
    (tmp_path / "evalgauge.yaml").write_text(yaml.safe_dump(contract), encoding="utf-8")
    selected = [row for row in spider_rows if row["db"] in databases]
    matches = [_normalize_sql(r["output"]) == _normalize_sql(r["expected"]) for r in selected]

    result = _run_tier(capsys, tmp_path, "by_db", "--json")

    card = json.loads(result.stdout)["suites"]["spider"]
    slices = card["slices"]["db"]
    assert result.code == 0, result.stderr
    assert card["cases"] == len(selected)
    assert card["run"]["n_cases"] == len(selected)
    assert sorted(slices) == sorted(databases)
    for db in databases:
        assert slices[db]["cases"] == sum(1 for row in selected if row["db"] == db), db
    assert card["metrics"][0]["mean"] == pytest.approx(sum(matches) / len(matches))
    assert card["cached"] == 0
