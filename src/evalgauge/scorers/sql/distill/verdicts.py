"""Verdicts of predictions on a built suite and on the original database alone.

Both verdicts come from the SQL scorer's `ExecutionSession`, so they follow the chosen preset
(by default `tse`, test-suite-sql-eval's rules). The suite builder's tests and benchmark use
this to show what the extra instances change.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evalgauge.scorers.sql._evaluate import ExecutionSession
from evalgauge.scorers.sql._executor import ExecutionLimits
from evalgauge.scorers.sql._presets import get_preset
from evalgauge.scorers.sql.distill.suite import suite_databases


@dataclass(frozen=True)
class SuiteVerdict:
    """Whether a prediction matched gold on the original database and on the whole suite."""

    index: int
    db_id: str
    single: bool
    suite: bool


def suite_verdicts(
    suite_dir: Path,
    items: list[tuple[int, str, str, str]],
    *,
    preset: str = "tse",
    timeout_s: float = 10.0,
) -> list[SuiteVerdict]:
    """Score (index, db_id, gold, predicted) items on the original and on every instance."""
    session = ExecutionSession(get_preset(preset), ExecutionLimits(timeout_s=timeout_s))
    verdicts = []
    try:
        for index, db_id, gold, predicted in items:
            databases = suite_databases(suite_dir, db_id)
            single = session.evaluate(gold, predicted, databases[:1]).passed
            suite = single and session.evaluate(gold, predicted, databases).passed
            verdicts.append(SuiteVerdict(index, db_id, single, suite))
    finally:
        session.close()
    return verdicts
