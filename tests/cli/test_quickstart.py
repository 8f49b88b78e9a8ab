"""`evalgauge quickstart` writes a project, runs the first eval, and its config runs again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli._run import run_cli


def test_quickstart_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "quickstart", "demo", "--json")
    output = json.loads(result.stdout)
    alignment = output["alignment"]
    assert result.code in (0, 1)
    assert (tmp_path / "demo" / "evalgauge.yaml").exists()
    assert alignment["split"]["train"]["cases"] == 30
    assert alignment["split"]["unlabeled"]["cases"] == 40
    assert alignment["test"]["n"] == 18
    assert alignment["judge"]["judge_model"] == "offline:tfidf-logreg"
    assert output["scorecard"]["cases"] == 70
    assert (tmp_path / "demo" / ".evalgauge" / "evalgauge.db").exists()


def test_quickstart_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "traces.jsonl").write_text("mine\n", encoding="utf-8")
    result = run_cli(capsys, "quickstart", "demo")
    assert result.code == 2
    assert "--force" in result.stderr
    assert (tmp_path / "demo" / "traces.jsonl").read_text(encoding="utf-8") == "mine\n"


def test_run_with_offline_judge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run_cli(capsys, "quickstart", "demo", "--json")
    result = run_cli(capsys, "run", "--config", "demo/evalgauge.yaml", "--json")
    card = json.loads(result.stdout)
    runs = run_cli(
        capsys,
        "runs",
        "list",
        "--json",
        "--database",
        f"sqlite:///{tmp_path / 'demo' / '.evalgauge' / 'evalgauge.db'}",
    )
    assert result.code == 0
    assert card["cases"] == 100
    assert card["metrics"][0]["name"] == "grounded"
    assert card["metrics"][0]["scored"] == 100
    assert len(json.loads(runs.stdout)) == 2


def test_runs_read_store_beside_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EVALGAUGE_DATABASE_URL", raising=False)
    run_cli(capsys, "quickstart", "demo", "--json")

    listed = run_cli(capsys, "runs", "list", "--config", "demo/evalgauge.yaml", "--json")
    shown = run_cli(capsys, "runs", "show", "latest", "--config", "demo/evalgauge.yaml", "--json")
    nowhere = run_cli(capsys, "runs", "list")

    assert listed.code == 0
    assert len(json.loads(listed.stdout)) == 1
    assert shown.code == 0
    assert json.loads(shown.stdout)["cases"] == 70
    assert nowhere.code == 2
    assert "pass that file with --config" in nowhere.stderr
    assert not (tmp_path / ".evalgauge").exists()
