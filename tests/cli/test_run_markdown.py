"""`evalgauge run --markdown`: the scorecard as Markdown."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli._run import run_cli


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_error_example_stays_one_item(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = project / "cases.jsonl"
    data.write_text(
        '{"id": "ok", "output": "A", "expected": "A"}\n'
        '{"id": "two\\nlines `x`", "output": null, "expected": "B"}\n',
        encoding="utf-8",
    )
    args = ("--output", "output", "--expected", "expected", "--id-field", "id")
    result = run_cli(capsys, "run", str(data), *args, "--scorer", "exact_match", "--markdown")
    item = next(line for line in result.stdout.splitlines() if line.startswith("- `target"))
    assert item.startswith("- `target_error` on `two lines 'x'`:")
    assert "has no recorded output" in item
