"""`evalgauge align` with an LLM judge behind the local OpenAI-compatible server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli._run import run_cli
from tests.fakes import FakeLLMServer, Reply, last_user_text


def _labeled(path: Path, n: int) -> Path:
    rows = []
    for i in range(n):
        good = i % 3 != 0
        answer = "the limit is 300" if good else "the limit is 3000"
        verdict = "pass" if good else "fail"
        label = "" if i >= n - 10 else verdict  # the last ten are unlabeled traffic
        rows.append(
            {
                "id": f"t{i}",
                "question": f"q{i}",
                "context": "limit 300",
                "answer": answer,
                "label": label,
            }
        )
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _judge_script(body: dict[str, object], attempt: int) -> Reply:
    prompt = last_user_text(body)
    if "q5\n" in prompt and attempt == 1:
        return Reply("rate limited", status=429, headers={"Retry-After": "0.1"})
    if "q7\n" in prompt:
        return Reply("I am not sure what to say here.")  # no verdict
    verdict = "fail" if "3000" in prompt else "pass"
    if "q4\n" in prompt:
        return Reply(f'```json\n{{"verdict": "{verdict.upper()}", "reason": "fenced"}}\n```')
    return Reply(json.dumps({"verdict": verdict, "reason": "compared with the context"}))


def test_llm_judge_align(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EVALGAUGE_TEST_KEY", "k")
    data = _labeled(tmp_path / "traces.jsonl", 70)
    rubric = tmp_path / "rubric.md"
    rubric.write_text("Pass when the answer agrees with the context.", encoding="utf-8")
    with FakeLLMServer(_judge_script) as server:
        result = run_cli(
            capsys,
            "align",
            str(data),
            "--id-field",
            "id",
            "--input",
            "question,context",
            "--output",
            "answer",
            "--label",
            "label",
            "--pass-value",
            "pass",
            "--fail-value",
            "fail",
            "--judge",
            "openai:judge-model",
            "--base-url",
            server.base_url,
            "--api-key-env",
            "EVALGAUGE_TEST_KEY",
            "--rubric",
            str(rubric),
            "--iterations",
            "1000",
            "--json",
        )
        first_prompt = last_user_text(server.requests[0])
    report = json.loads(result.stdout)
    errors = [v for v in report["verdicts"] if v["error"]]
    assert result.code == 0, result.stderr
    assert report["judge"]["judge_model"].endswith("judge-model")
    assert len(report["judge"]["prompt_hash"]) == 16
    assert report["test"]["youden_j"] == 1.0
    assert report["corrected_pass_rate"]["n_unlabeled"] == 10
    assert "Pass when the answer agrees" in first_prompt
    assert all(v["error"] is None or "q7" in v["case_id"] or v["case_id"] == "t7" for v in errors)
    assert sum(report["judge_errors"].values()) == len(errors)


def test_judge_no_better_than_chance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EVALGAUGE_TEST_KEY", "k")
    data = _labeled(tmp_path / "traces.jsonl", 40)
    rubric = tmp_path / "rubric.md"
    rubric.write_text("Pass everything.", encoding="utf-8")
    always_pass = Reply(json.dumps({"verdict": "pass", "reason": "looks fine"}))
    with FakeLLMServer(lambda body, attempt: always_pass) as server:
        result = run_cli(
            capsys,
            "align",
            str(data),
            "--id-field",
            "id",
            "--input",
            "question,context",
            "--output",
            "answer",
            "--label",
            "label",
            "--pass-value",
            "pass",
            "--fail-value",
            "fail",
            "--judge",
            "openai:judge-model",
            "--base-url",
            server.base_url,
            "--api-key-env",
            "EVALGAUGE_TEST_KEY",
            "--rubric",
            str(rubric),
            "--json",
        )
    report = json.loads(result.stdout)
    assert result.code == 1
    assert "no better than chance" in result.stderr
    assert report["test"]["tnr"] == 0.0
    assert report["test"]["kappa"] == 0.0
    assert report["corrected_pass_rate"] is None
    assert "no better than chance" in report["corrected_pass_rate_error"]


def test_judge_always_failing_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EVALGAUGE_TEST_KEY", "k")
    data = _labeled(tmp_path / "traces.jsonl", 40)
    rubric = tmp_path / "rubric.md"
    rubric.write_text("Pass good answers.", encoding="utf-8")
    with FakeLLMServer(lambda body, attempt: Reply("no verdict here")) as server:
        result = run_cli(
            capsys,
            "align",
            str(data),
            "--id-field",
            "id",
            "--input",
            "question,context",
            "--output",
            "answer",
            "--label",
            "label",
            "--pass-value",
            "pass",
            "--fail-value",
            "fail",
            "--judge",
            "openai:judge-model",
            "--base-url",
            server.base_url,
            "--api-key-env",
            "EVALGAUGE_TEST_KEY",
            "--rubric",
            str(rubric),
        )
    assert result.code == 1
    assert "no usable verdict" in result.stderr
    assert "evalgauge runs show" in result.stderr
