"""Bad input: one clear message, exit 2, nothing half-written in the store."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from tests.cli._run import run_cli
from tests.fakes import FakeLLMServer, echo_script


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _runs_in_store(root: Path) -> int:
    db = root / ".evalgauge" / "evalgauge.db"
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM runs").fetchone()[0])


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


CASES = [
    (
        "malformed line",
        '{"input": "a", "output": "A", "expected": "A"}\n{"input": "b", "output": \n',
        "line 2",
    ),
    ("missing field", '{"input": "a", "expected": "A"}\n', "'output'"),
    ("empty dataset", "", "no cases"),
]


@pytest.mark.parametrize(("problem", "content", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_dataset_exit_2(
    project: Path, capsys: pytest.CaptureFixture[str], problem: str, content: str, expected: str
) -> None:
    data = _write(project / "cases.jsonl", content)
    result = run_cli(
        capsys,
        "run",
        str(data),
        "--output",
        "output",
        "--expected",
        "expected",
        "--scorer",
        "exact_match",
    )
    assert result.code == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert _runs_in_store(project) == 0


def test_label_maps_to_neither(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = "".join(
        f'{{"q": "q{i}", "a": "a{i}", "l": "{"pass" if i % 2 else "fail"}"}}\n' for i in range(20)
    )
    data = _write(project / "cases.jsonl", lines + '{"q": "x", "a": "y", "l": "maybe"}\n')
    result = run_cli(
        capsys,
        "align",
        str(data),
        "--input",
        "q",
        "--output",
        "a",
        "--label",
        "l",
        "--pass-value",
        "pass",
        "--fail-value",
        "fail",
    )
    assert result.code == 2
    assert "maybe" in result.stderr
    assert "line 21" in result.stderr
    assert _runs_in_store(project) == 0


def test_duplicate_case_ids(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _write(
        project / "cases.jsonl",
        '{"id": "a", "output": "x", "expected": "x"}\n'
        '{"id": "a", "output": "y", "expected": "y"}\n',
    )
    result = run_cli(
        capsys,
        "run",
        str(data),
        "--id-field",
        "id",
        "--output",
        "output",
        "--expected",
        "expected",
        "--scorer",
        "exact_match",
    )
    assert result.code == 2
    assert "duplicate" in result.stderr.lower()
    assert _runs_in_store(project) == 0


def test_missing_api_key_named(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EVALGAUGE_NO_SUCH_KEY", raising=False)
    data = _write(project / "cases.jsonl", '{"input": "a", "expected": "A"}\n')
    with FakeLLMServer(echo_script) as server:
        result = run_cli(
            capsys,
            "run",
            str(data),
            "--target",
            "openai:m",
            "--base-url",
            server.base_url,
            "--api-key-env",
            "EVALGAUGE_NO_SUCH_KEY",
            "--expected",
            "expected",
            "--scorer",
            "exact_match",
        )
    assert result.code == 2
    assert "EVALGAUGE_NO_SUCH_KEY" in result.stderr
    assert _runs_in_store(project) == 0


def test_unreachable_base_url(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("EVALGAUGE_TEST_KEY", "k")
    data = _write(project / "cases.jsonl", '{"input": "a", "expected": "A"}\n')
    url = f"http://127.0.0.1:{port}/v1"
    result = run_cli(
        capsys,
        "run",
        str(data),
        "--target",
        "openai:m",
        "--base-url",
        url,
        "--api-key-env",
        "EVALGAUGE_TEST_KEY",
        "--expected",
        "expected",
        "--scorer",
        "exact_match",
    )
    assert result.code == 2
    assert url in result.stderr
    # Nothing listens on the port: a refused connection, not a timeout.
    assert "ConnectionRefusedError" in result.stderr
    assert "no response within" not in result.stderr
    assert _runs_in_store(project) == 0


def test_malformed_base_url(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _write(project / "cases.jsonl", '{"input": "a", "expected": "A"}\n')
    result = run_cli(
        capsys,
        "run",
        str(data),
        "--target",
        "openai:m",
        "--base-url",
        "notaurl",
        "--expected",
        "expected",
        "--scorer",
        "exact_match",
    )
    assert result.code == 2
    assert "invalid base URL 'notaurl'" in result.stderr
    assert "unreachable" not in result.stderr
    assert _runs_in_store(project) == 0


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_store_rejected(
    project: Path, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    data = _write(project / "cases.jsonl", '{"input": "a", "output": "A", "expected": "A"}\n')
    result = run_cli(
        capsys,
        "run",
        str(data),
        "--output",
        "output",
        "--expected",
        "expected",
        "--scorer",
        "exact_match",
        "--database",
        url,
    )
    assert result.code == 2
    assert "names no file" in result.stderr


def test_misspelled_placeholder_warned(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EVALGAUGE_TEST_KEY", "k")
    _write(project / "cases.jsonl", '{"question": "a", "expected": "A"}\n')
    config = {
        "dataset": {"path": "cases.jsonl", "input": ["question"], "expected": "expected"},
        "target": {
            "kind": "openai",
            "model": "m",
            "base_url": "http://127.0.0.1:1/v1",
            "api_key_env": "EVALGAUGE_TEST_KEY",
            "prompt": 'Answer {qestion} as JSON like {"a": 1}',
        },
        "scorers": [{"kind": "exact_match"}],
    }
    path = _write(project / "evalgauge.yaml", json.dumps(config))

    with FakeLLMServer(echo_script) as server:
        config["target"]["base_url"] = server.base_url
        _write(path, json.dumps(config))
        result = run_cli(capsys, "run", "--config", str(path))

    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert result.code == 0, result.stderr
    assert len(warnings) == 1
    assert warnings[0].startswith("target.prompt: {qestion} names no field of case")
    assert warnings[0].endswith("the fields are case_id, input, question")
    assert server.requests[0]["messages"][0]["content"] == 'Answer {qestion} as JSON like {"a": 1}'


def test_unknown_config_key(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(project / "cases.jsonl", '{"input": "a", "output": "A"}\n')
    config = _write(project / "evalgauge.yaml", "dataset:\n  path: cases.jsonl\n  ouptut: output\n")
    result = run_cli(capsys, "run", "--config", str(config))
    assert result.code == 2
    assert "dataset.ouptut" in result.stderr


def test_misspelled_scorer_kind(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(project / "cases.jsonl", '{"input": "a", "output": "A"}\n')
    config = _write(
        project / "evalgauge.yaml",
        "dataset:\n  path: cases.jsonl\n  output: output\nscorers:\n  - kind: exact_mach\n",
    )
    result = run_cli(capsys, "run", "--config", str(config))
    assert result.code == 2
    assert "scorers.0: unknown kind 'exact_mach'; did you mean 'exact_match'?" in result.stderr
    assert "tool_calls" in result.stderr


def test_bad_target_spec(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _write(project / "cases.jsonl", '{"input": "a"}\n')
    result = run_cli(capsys, "run", str(data), "--target", "gpt4")
    assert result.code == 2
    assert "--target" in result.stderr


def test_unknown_flag_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "run", "--no-such-flag")
    assert result.code == 2


def test_garbage_mid_run_goes_on(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fakes import Reply, last_user_text

    def script(body: dict[str, object], attempt: int) -> Reply:
        text = last_user_text(body)
        if text == "b":
            return Reply(raw_body=b"\x00\xffgarbage")
        return Reply(text.upper())

    monkeypatch.setenv("EVALGAUGE_TEST_KEY", "k")
    data = _write(
        project / "cases.jsonl",
        "".join(f'{{"input": "{c}", "expected": "{c.upper()}"}}\n' for c in "abcd"),
    )
    with FakeLLMServer(script) as server:
        result = run_cli(
            capsys,
            "run",
            str(data),
            "--target",
            "openai:m",
            "--base-url",
            server.base_url,
            "--api-key-env",
            "EVALGAUGE_TEST_KEY",
            "--expected",
            "expected",
            "--scorer",
            "exact_match",
            "--json",
        )
    import json

    card = json.loads(result.stdout)
    assert result.code == 0
    assert card["target_errors"] == 1
    assert card["metrics"][0]["scored"] == 3
    assert os.path.exists(project / ".evalgauge" / "evalgauge.db")


def test_recorded_target_needs_output(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _write(project / "cases.jsonl", '{"input": "a", "expected": "A"}\n')
    result = run_cli(capsys, "run", str(data), "--expected", "expected", "--scorer", "exact_match")
    assert result.code == 2
    assert "--output" in result.stderr
    assert _runs_in_store(project) == 0


def test_text_scorer_needs_expected(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _write(project / "cases.jsonl", '{"input": "a", "output": "A"}\n')
    result = run_cli(capsys, "run", str(data), "--output", "output", "--scorer", "contains")
    assert result.code == 2
    assert "--expected" in result.stderr
    assert _runs_in_store(project) == 0


def test_failing_judge_exits_1(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fakes import Reply

    monkeypatch.setenv("EVALGAUGE_TEST_KEY", "k")
    data = _write(
        project / "cases.jsonl", '{"input": "a", "output": "A"}\n{"input": "b", "output": "B"}\n'
    )
    rubric = _write(project / "rubric.md", "Pass good answers.")
    with FakeLLMServer(lambda body, attempt: Reply(raw_body=b"garbage")) as server:
        result = run_cli(
            capsys,
            "run",
            str(data),
            "--output",
            "output",
            "--scorer",
            "judge",
            "--judge",
            "openai:j",
            "--rubric",
            str(rubric),
            "--base-url",
            server.base_url,
            "--api-key-env",
            "EVALGAUGE_TEST_KEY",
            "--json",
        )
    import json

    card = json.loads(result.stdout)
    assert result.code == 1
    assert card["target_errors"] == 0
    assert card["error_types"] == {"judge:target_error": 2}
    assert card["error_examples"][0]["case_id"]
    assert (
        "not JSON" in card["error_examples"][0]["message"] or card["error_examples"][0]["message"]
    )


def test_bad_flag_value_names_flag(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _write(project / "cases.jsonl", '{"input": "a", "output": "A", "expected": "A"}\n')
    args = ("run", str(data), "--output", "output", "--expected", "expected")
    result = run_cli(capsys, *args, "--scorer", "exact_match", "--rpm", "-1")
    assert result.code == 2
    assert "engine.requests_per_minute (--rpm):" in result.stderr
    unknown = run_cli(capsys, *args, "--scorer", "exakt_match")
    assert unknown.code == 2
    assert "did you mean 'exact_match'? The allowed values are" in unknown.stderr
    assert _runs_in_store(project) == 0
