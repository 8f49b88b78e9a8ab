"""A killed process loses at most the cases in flight; --resume finishes the run."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli._run import run_cli

TARGET = """
import asyncio

async def slow_upper(input: str) -> str:
    await asyncio.sleep(0.02)
    return input.upper()
"""


def _count(db: Path, table: str) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db, timeout=10) as conn:
        try:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        except sqlite3.OperationalError:
            return 0  # the tables do not exist yet


def test_kill_then_resume(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "slowtarget.py").write_text(TARGET, encoding="utf-8")
    data = tmp_path / "cases.jsonl"
    data.write_text(
        "".join(
            f'{{"id": "c{i}", "input": "case {i}", "expected": "CASE {i}"}}\n' for i in range(400)
        ),
        encoding="utf-8",
    )
    args = [
        "run",
        str(data),
        "--id-field",
        "id",
        "--expected",
        "expected",
        "--target",
        "python:slowtarget:slow_upper",
        "--scorer",
        "exact_match",
        "--concurrency",
        "4",
    ]
    db = tmp_path / ".evalgauge" / "evalgauge.db"
    process = subprocess.Popen(
        [sys.executable, "-c", "from evalgauge.cli.main import main; main()", *args],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while _count(db, "case_results") < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    stored = _count(db, "case_results")
    with sqlite3.connect(db) as conn:
        run_id = conn.execute("SELECT run_id FROM runs").fetchone()[0]
        status = conn.execute("SELECT status FROM runs").fetchone()[0]

    result = run_cli(capsys, *args, "--resume", run_id, "--json")
    card = json.loads(result.stdout)
    assert 40 <= stored < 400
    assert status == "running"
    assert result.code == 0
    assert card["invocation"]["skipped"] == stored
    assert card["cases"] == 400
    assert _count(db, "scores") == 400
    assert card["metrics"][0]["mean"] == 1.0
    assert card["run"]["status"] == "completed"


def test_ctrl_c_saves_and_exits_130(tmp_path: Path) -> None:
    (tmp_path / "slowtarget.py").write_text(TARGET, encoding="utf-8")
    data = tmp_path / "cases.jsonl"
    data.write_text(
        "".join(
            f'{{"id": "c{i}", "input": "case {i}", "expected": "CASE {i}"}}\n' for i in range(2000)
        ),
        encoding="utf-8",
    )
    db = tmp_path / ".evalgauge" / "evalgauge.db"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from evalgauge.cli.main import main; main()",
            "run",
            str(data),
            "--id-field",
            "id",
            "--expected",
            "expected",
            "--target",
            "python:slowtarget:slow_upper",
            "--scorer",
            "exact_match",
            "--concurrency",
            "4",
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while _count(db, "case_results") < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    with sqlite3.connect(db) as conn:
        status = conn.execute("SELECT status FROM runs").fetchone()[0]
    stored = _count(db, "case_results")
    assert process.returncode == 130
    assert "--resume" in stderr
    assert status == "interrupted"
    assert 20 <= stored < 2000
    assert _count(db, "scores") == stored


def test_resume_accepts_engine_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "cases.jsonl"
    data.write_text('{"id": "a", "output": "x", "expected": "x"}\n', encoding="utf-8")
    base = ["run", str(data), "--id-field", "id", "--output", "output", "--expected", "expected"]
    first = json.loads(run_cli(capsys, *base, "--scorer", "exact_match", "--json").stdout)
    run_id = first["run"]["run_id"]
    faster = run_cli(
        capsys, *base, "--scorer", "exact_match", "--concurrency", "4", "--resume", run_id, "--json"
    )
    other = run_cli(capsys, *base, "--scorer", "contains", "--resume", run_id)
    assert faster.code == 0
    assert json.loads(faster.stdout)["invocation"]["skipped"] == 1
    assert other.code == 2
    assert "scorers" in other.stderr


STUCK_TARGET = """
import asyncio

async def stuck_after_40(input: str) -> str:
    await asyncio.sleep(0.01 if int(input.split()[1]) < 40 else 60)
    return input.upper()
"""


def test_second_ctrl_c_aborts_cleanly(tmp_path: Path) -> None:
    (tmp_path / "stucktarget.py").write_text(STUCK_TARGET, encoding="utf-8")
    data = tmp_path / "cases.jsonl"
    data.write_text(
        "".join(
            f'{{"id": "c{i}", "input": "case {i}", "expected": "CASE {i}"}}\n' for i in range(100)
        ),
        encoding="utf-8",
    )
    db = tmp_path / ".evalgauge" / "evalgauge.db"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from evalgauge.cli.main import main; main()",
            "run",
            str(data),
            "--id-field",
            "id",
            "--expected",
            "expected",
            "--target",
            "python:stucktarget:stuck_after_40",
            "--scorer",
            "exact_match",
            "--concurrency",
            "4",
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while _count(db, "case_results") < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    # The first Ctrl-C waits for the four stuck cases in flight; the second gives up on them.
    process.send_signal(signal.SIGINT)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)

    assert process.returncode == 130
    assert "interrupted; the cases saved so far are kept" in stderr
    assert "Traceback" not in stderr
    assert "never retrieved" not in stderr
    assert _count(db, "case_results") == 40
