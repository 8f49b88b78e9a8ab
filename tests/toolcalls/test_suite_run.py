"""The tool-call scorers inside `evalgauge run`: config keys, paths, the per-tool breakdown."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli._run import run_cli
from tests.toolcalls._orders import EXAMPLE_DIR, case_rows


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the orders example, with a suite file that names its paths relatively."""
    folder = tmp_path / "orders"
    shutil.copytree(EXAMPLE_DIR, folder)
    suite = {
        "name": "orders",
        "dataset": {
            "path": "cases.jsonl",
            "id": "id",
            "input": ["prompt"],
            "output": "output",
            "expected": "expected",
        },
        "scorers": [
            {"kind": "tool_schema", "tools": "openapi.yaml"},
            {"kind": "tool_sequence"},
            {
                "kind": "tool_state",
                "backend": {"backend": "python", "class": "backend.py:OrdersBackend"},
            },
        ],
    }
    (folder / "evalgauge.yaml").write_text(yaml.safe_dump(suite), encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # paths must resolve against the suite file, not here
    return folder


def _case_verdicts(folder: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    database = f"sqlite:///{folder / 'store.db'}"
    result = run_cli(
        capsys, "run", "--config", str(folder / "evalgauge.yaml"), "--database", database, "--json"
    )
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


def test_checks_match_annotations(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    card = _case_verdicts(project, capsys)
    rows = case_rows()

    means = {m["name"]: m["mean"] for m in card["metrics"]}
    for check in ("schema", "sequence", "state"):
        expected = sum(row["checks"][check] for row in rows) / len(rows)
        assert means[f"tool_{check}"] == pytest.approx(expected), check


def test_breakdown_per_tool(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    card = _case_verdicts(project, capsys)

    schema = card["breakdowns"]["tool_schema"]
    assert {"create_order", "add_item", "cancel_order"} <= set(schema["tools"])
    assert schema["tools"]["add_item"]["calls"] >= schema["tools"]["add_item"]["passed"]
    assert schema["categories"]["wrong_tool"] == 1
    assert schema["categories"]["missing_required"] == 1
    assert card["breakdowns"]["tool_sequence"]["categories"]["wrong_order"] == 2


def test_state_backend_error_names_key(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = yaml.safe_load((project / "evalgauge.yaml").read_text(encoding="utf-8"))
    suite["scorers"][2]["backend"] = {"backend": "python", "class": "backend.py:NoSuchClass"}
    (project / "evalgauge.yaml").write_text(yaml.safe_dump(suite), encoding="utf-8")

    result = run_cli(capsys, "run", "--config", str(project / "evalgauge.yaml"))

    assert result.code == 2
    assert "scorers.tool_state.backend.class" in result.stderr
    assert "NoSuchClass" in result.stderr


def test_tools_and_module_exclusive(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = yaml.safe_load((project / "evalgauge.yaml").read_text(encoding="utf-8"))
    suite["scorers"][0]["tools_module"] = "json:loads"
    (project / "evalgauge.yaml").write_text(yaml.safe_dump(suite), encoding="utf-8")

    result = run_cli(capsys, "run", "--config", str(project / "evalgauge.yaml"))

    assert result.code == 2
    assert "not both" in result.stderr
