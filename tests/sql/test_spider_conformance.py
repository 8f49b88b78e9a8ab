"""The `tse` preset against test-suite-sql-eval's exec match on Spider dev (972 questions)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from evalgauge.scorers.sql._evaluate import find_instances
from evalgauge.scorers.sql._pool import evaluate_tasks
from evalgauge.scorers.sql._presets import TSE
from evalgauge.scorers.sql._spider import read_spider
from tests._env import require_file, shared_data_dir

DATA = Path(__file__).parent / "data"
REPO_ROOT = Path(__file__).resolve().parents[2]
PREDICTIONS = "c3sql_gpt-3.5-turbo_dev_predicted_sql.txt"


def _perturb(index: int, sql: str) -> str:
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    try:
        from spider_perturbations import perturb
    finally:
        sys.path.pop(0)
    return str(perturb(index, sql))


def _spider() -> Path:
    spider = shared_data_dir() / "spider-dev"
    require_file(spider / "dev_gold.sql")
    require_file(spider / "predictions" / PREDICTIONS)
    return spider


def _our_verdicts(spider: Path, perturbed: bool = False) -> dict[int, int]:
    questions = read_spider(spider / "dev_gold.sql", spider / "predictions" / PREDICTIONS)
    database = spider / "database"
    tasks = [
        (
            q.gold_sql,
            _perturb(q.index, q.gold_sql) if perturbed else q.pred_sql,
            tuple(str(p) for p in find_instances(database, q.db_id)),
        )
        for q in questions
    ]
    outcomes = evaluate_tasks(tasks, TSE, workers=2)
    return {
        q.index: int(o.verdict.passed)
        for q, o in zip(questions, outcomes, strict=True)
        if o.verdict.kind != "database_missing"
    }


def _differences(reference: list[dict[str, Any]], ours: dict[int, int]) -> list[str]:
    wrong = []
    for record in reference:
        got = ours.get(record["index"])
        if got != record["verdict"]:
            wrong.append(
                f"#{record['index']} {record['db_id']}: tse {record['verdict']}, ours {got}"
            )
    return wrong


@pytest.mark.parametrize(
    ("reference_file", "perturbed"),
    [("tse_reference_verdicts.json", False), ("tse_reference_verdicts_perturbed.json", True)],
    ids=["c3sql", "perturbed_gold"],
)
def test_tse_preset_all_questions(reference_file: str, perturbed: bool) -> None:
    spider = _spider()
    document = json.loads((DATA / reference_file).read_text(encoding="utf-8"))
    reference = document["verdicts"]
    ours = _our_verdicts(spider, perturbed)
    assert len(reference) == 972
    assert set(ours) == {record["index"] for record in reference}
    wrong = _differences(reference, ours)
    assert not wrong, f"{len(wrong)} verdicts differ: " + "; ".join(wrong)


def test_tse_reference_live(tmp_path: Path) -> None:
    checkout = os.environ.get("EVALGAUGE_TSE_PATH")
    if not checkout:
        pytest.skip("EVALGAUGE_TSE_PATH is not set to a test-suite-sql-eval checkout")
    spider = _spider()
    out = tmp_path / "verdicts.json"
    python = os.environ.get("EVALGAUGE_TSE_PYTHON", sys.executable)
    completed = subprocess.run(
        [
            python,
            str(REPO_ROOT / "scripts" / "tse_reference_verdicts.py"),
            checkout,
            "--spider",
            str(spider),
            "--pred",
            str(spider / "predictions" / PREDICTIONS),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    reference = json.loads(out.read_text(encoding="utf-8"))["verdicts"]
    wrong = _differences(reference, _our_verdicts(spider))
    assert not wrong, f"{len(wrong)} verdicts differ: " + "; ".join(wrong)
