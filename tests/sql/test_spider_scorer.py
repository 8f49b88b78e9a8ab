"""The `sql_execution` scorer built from its config, scoring Spider cases in worker processes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from evalgauge.cases import Case
from evalgauge.config._build import build_text_scorers
from evalgauge.config._scorers import SqlExecutionScorerConfig
from evalgauge.errors import ScorerError
from evalgauge.scorers._base import Score
from evalgauge.scorers.sql import SqlExecutionScorer
from tests._env import require_file, shared_data_dir


@pytest.fixture
def database() -> Path:
    folder = shared_data_dir() / "spider-dev" / "database"
    require_file(folder / "concert_singer" / "concert_singer.sqlite")
    return folder


def _case(case_id: str, gold: str | None, db_id: str) -> Case:
    return Case(case_id, inputs={"question": "?"}, metadata={"gold_sql": gold, "db_id": db_id})


async def _score_all(scorer: SqlExecutionScorer, pairs: list[tuple[Case, str]]) -> list[Score]:
    try:
        return await asyncio.gather(*(scorer.score(case, output) for case, output in pairs))
    finally:
        scorer.close()


def test_scorer_from_config(database: Path) -> None:
    config = SqlExecutionScorerConfig(kind="sql_execution", db_dir=database, preset="tse")
    [scorer] = build_text_scorers([config])
    assert isinstance(scorer, SqlExecutionScorer)
    assert scorer.name == "sql_execution"
    assert scorer.identity() == {"sql_preset": "tse"}
    gold = "SELECT name FROM singer ORDER BY age"
    pairs = [
        (_case("match", gold, "concert_singer"), "SELECT Name FROM singer ORDER BY Age;"),
        (_case("order", gold, "concert_singer"), "SELECT name FROM singer ORDER BY age DESC"),
        (_case("error", gold, "concert_singer"), "SELECT nope FROM singer"),
    ]
    match, order, error = asyncio.run(_score_all(scorer, pairs))
    assert (match.value, match.passed, match.reason) == (1.0, True, "match")
    assert match.details is not None
    assert match.details["hardness"] == "easy"
    assert match.details["features"] == ["ordering"]
    assert order.passed is False
    assert order.details is not None
    assert order.details["reason"] == "order"
    assert order.reason is not None
    assert order.reason.startswith("mismatch: same rows in another order")
    assert error.details is not None
    assert (error.passed, error.details["verdict"]) == (False, "prediction_error")


def test_unscorable_cases(database: Path) -> None:
    scorer = SqlExecutionScorer(db_dir=database, workers=1)
    with pytest.raises(ScorerError, match="database missing") as missing:
        asyncio.run(_score_all(scorer, [(_case("w", "SELECT 1", "wta_1"), "SELECT 1")]))
    assert repr(str(database / "wta_1")) in str(missing.value)
    scorer = SqlExecutionScorer(db_dir=database, workers=1)
    with pytest.raises(ScorerError, match="no gold SQL in field 'gold_sql'"):
        asyncio.run(_score_all(scorer, [(_case("g", None, "concert_singer"), "SELECT 1")]))
