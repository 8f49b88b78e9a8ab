"""`evalgauge align` on the real labeled traces, through the field mapping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli._run import run_cli


def _strip_labels(source: Path, target: Path) -> Path:
    """Write the TSV with its label column emptied: the same traffic, unlabeled."""
    lines = source.read_text(encoding="utf-8").splitlines()
    out = [lines[0]] + ["\t".join([*line.split("\t")[:-1], ""]) for line in lines[1:]]
    target.write_text("\n".join(out) + "\n", encoding="utf-8")
    return target


def test_align_begin_tsv(
    begin_tsv: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    unlabeled = _strip_labels(begin_tsv, tmp_path / "unlabeled.tsv")
    result = run_cli(
        capsys,
        "align",
        str(begin_tsv),
        "--input",
        "knowledge,message",
        "--output",
        "response",
        "--label",
        "begin_label",
        "--pass-value",
        "Fully attributable",
        "--unlabeled",
        str(unlabeled),
        "--iterations",
        "2000",
        "--json",
    )
    report = json.loads(result.stdout)
    test = report["test"]
    assert result.code == 0, result.stderr
    assert report["split"]["train"]["cases"] + report["split"]["dev"]["cases"] + test["n"] == 430
    assert test["tp"] + test["fn"] == report["split"]["test"]["pass"]
    assert test["balanced_accuracy"] > 0.75
    assert report["corrected_pass_rate"]["n_unlabeled"] == 430
    assert 0.25 < report["corrected_pass_rate"]["corrected"] < 0.6
    assert len(report["verdicts"]) == report["split"]["dev"]["cases"] + test["n"] + 430


def test_align_recipe_jsonl(
    recipe_jsonl: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli(
        capsys,
        "align",
        str(recipe_jsonl),
        "--input",
        "query,dietary_restriction",
        "--output",
        "response",
        "--label",
        "label",
        "--id-field",
        "trace_id",
        "--iterations",
        "2000",
        "--json",
    )
    report = json.loads(result.stdout)
    assert result.code in (0, 1), result.stderr
    assert report["test"]["n"] == report["split"]["test"]["cases"]
    assert report["split"]["test"]["fail"] >= 3
    assert report["corrected_pass_rate"] is None
    assert "unlabeled" in report["corrected_pass_rate_error"]
    verdict = report["verdicts"][0]
    assert set(verdict) == {"case_id", "split", "label", "verdict", "reason", "error"}


def test_align_markdown(
    begin_tsv: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli(
        capsys,
        "align",
        str(begin_tsv),
        "--input",
        "knowledge,message",
        "--output",
        "response",
        "--label",
        "begin_label",
        "--pass-value",
        "Fully attributable",
        "--markdown",
    )
    assert result.code == 0
    assert "| judge pass |" in result.stdout
    assert "Cohen's kappa" in result.stdout
