"""Read Spider's evaluation files: gold lines `SQL<TAB>db_id`, predictions one per line."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalgauge.errors import DatasetError
from evalgauge.scorers.sql._hardness import hardness_from_tree


@dataclass(frozen=True, slots=True)
class SqlQuestion:
    """One question: its position in the files, database, gold and predicted SQL."""

    index: int
    db_id: str
    gold_sql: str
    pred_sql: str
    hardness: str | None = None
    features: tuple[str, ...] = ()
    question: str | None = None


def _read_lines(path: Path, kind: str) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(f"{kind} file not found", path=str(path)) from None
    except UnicodeDecodeError as exc:
        raise DatasetError(f"not UTF-8 text ({exc.reason})", path=str(path)) from None
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def read_gold(path: Path) -> list[tuple[str, str]]:
    """Parse `SQL<TAB>db_id` lines; each line is stripped first, as Spider's scripts do."""
    pairs: list[tuple[str, str]] = []
    for number, line in enumerate(_read_lines(path, "gold"), start=1):
        parts = line.strip().split("\t")
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise DatasetError(
                "expected `SQL<TAB>db_id`",
                path=str(path),
                line=number,
                hint="Spider's dev_gold.sql has this format",
            )
        pairs.append((parts[0], parts[1].strip()))
    return pairs


def read_predictions(path: Path) -> list[str]:
    """Read one prediction per line, stripped; text after a tab (a db_id) is dropped."""
    return [line.strip().split("\t")[0] for line in _read_lines(path, "predictions")]


def _read_dev(path: Path, count: int) -> list[dict[str, Any]]:
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetError("dev file not found", path=str(path)) from None
    except json.JSONDecodeError as exc:
        raise DatasetError(f"invalid JSON ({exc.msg})", path=str(path), line=exc.lineno) from None
    if not isinstance(rows, list) or len(rows) != count:
        raise DatasetError(
            f"expected a list of {count} questions aligned with the gold file",
            path=str(path),
        )
    return rows


def read_spider(
    gold_path: Path, pred_path: Path, dev_path: Path | None = None
) -> list[SqlQuestion]:
    """Pair gold and predicted SQL by line; hardness comes from dev.json's trees when given.

    Without dev.json, `hardness` and `features` stay empty: the worker processes compute them
    from the gold SQL with sqlglot (see `evaluate_tasks`).
    """
    gold = read_gold(gold_path)
    predictions = read_predictions(pred_path)
    if len(predictions) != len(gold):
        raise DatasetError(
            f"{len(predictions)} predictions for {len(gold)} gold queries",
            path=str(pred_path),
            hint="write one prediction per line, in the gold file's order (empty lines too)",
        )
    dev = _read_dev(dev_path, len(gold)) if dev_path is not None else None
    questions = []
    for index, ((gold_sql, db_id), pred_sql) in enumerate(zip(gold, predictions, strict=True)):
        level: str | None = None
        question: str | None = None
        if dev is not None:
            entry = dev[index]
            if not isinstance(entry, dict) or not isinstance(entry.get("sql"), dict):
                raise DatasetError(f"question {index} has no `sql` parse tree", path=str(dev_path))
            level = hardness_from_tree(entry["sql"])
            question = entry.get("question")
        questions.append(SqlQuestion(index, db_id, gold_sql, pred_sql, level, (), question))
    return questions
