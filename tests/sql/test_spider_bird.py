"""The `bird` preset against BIRD's EX rule, restated here, on Spider dev's C3SQL predictions.

BIRD's evaluation_ex.py executes the prediction, then the gold query, on one plain sqlite3
connection and scores 1 when `set(pred_rows) == set(gold_rows)`, and 0 on any exception.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from evalgauge.scorers.sql import evaluate_tasks, find_instances, get_preset
from evalgauge.scorers.sql._spider import read_spider
from tests._env import require_file, shared_data_dir

PREDICTIONS = "c3sql_gpt-3.5-turbo_dev_predicted_sql.txt"


def _bird_ex(db: Path, pred: str, gold: str) -> int:
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        pred_rows = connection.execute(pred).fetchall()
        gold_rows = connection.execute(gold).fetchall()
    except (sqlite3.Error, ValueError):
        return 0
    finally:
        connection.close()
    return int(set(pred_rows) == set(gold_rows))


def test_bird_preset_all_questions() -> None:
    spider = shared_data_dir() / "spider-dev"
    require_file(spider / "predictions" / PREDICTIONS)
    questions = read_spider(spider / "dev_gold.sql", spider / "predictions" / PREDICTIONS)
    database = spider / "database"
    instances = {q.db_id: find_instances(database, q.db_id) for q in questions}
    tasks = [(q.gold_sql, q.pred_sql, tuple(map(str, instances[q.db_id]))) for q in questions]
    outcomes = evaluate_tasks(tasks, get_preset("bird"), workers=2)
    wrong = []
    scored = 0
    for question, outcome in zip(questions, outcomes, strict=True):
        if not instances[question.db_id]:
            continue
        scored += 1
        expected = _bird_ex(instances[question.db_id][0], question.pred_sql, question.gold_sql)
        if int(outcome.verdict.passed) != expected:
            wrong.append(f"#{question.index}: bird {expected}, ours {outcome.verdict.kind}")
    assert scored == 972
    assert not wrong, f"{len(wrong)} verdicts differ: " + "; ".join(wrong)
