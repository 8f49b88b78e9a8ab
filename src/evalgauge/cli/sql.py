"""`evalgauge sql`: score text-to-SQL predictions by executing them (`sql eval`)."""

from __future__ import annotations

import importlib
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from evalgauge.cli import _options as o

if TYPE_CHECKING:
    from evalgauge.scorers.sql._evaluate import Verdict
    from evalgauge.scorers.sql._spider import SqlQuestion

sql_app = typer.Typer(help="Score text-to-SQL predictions by execution.", no_args_is_help=True)


@sql_app.command("eval")
def eval_command(
    gold: Annotated[Path, typer.Option(help="Gold file: one `SQL<TAB>db_id` line per question.")],
    pred: Annotated[Path, typer.Option(help="Predictions: one SQL query per line, same order.")],
    db_dir: Annotated[
        Path | None,
        typer.Option(help="Databases as DIR/<db_id>/*.sqlite; every file there is an instance."),
    ] = None,
    suite: Annotated[
        Path | None,
        typer.Option(help="Test-suite databases, same layout; a prediction must match on all."),
    ] = None,
    preset: Annotated[
        str, typer.Option(help="Comparison preset: default, tse (test-suite-sql-eval) or bird.")
    ] = "default",
    dev: Annotated[
        Path | None, typer.Option(help="Spider dev.json: exact Spider hardness from its trees.")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds one predicted query may run.")] = 30.0,
    max_rows: Annotated[int, typer.Option(help="Rows one query may return.")] = 1_000_000,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes; one per CPU when unset.")
    ] = None,
    cache_dir: Annotated[
        Path | None, typer.Option(help="Folder where gold results are cached between runs.")
    ] = None,
    summary_only: Annotated[
        bool, typer.Option(help="Print only the aggregate, not one line per question.")
    ] = False,
    confidence: Annotated[float, typer.Option(help="Level of the confidence intervals.")] = 0.95,
    json_output: o.Json = False,
) -> None:
    """Execute gold and predicted SQL on every database instance and compare the results."""
    from evalgauge.errors import UsageError
    from evalgauge.scorers.sql._evaluate import find_instances
    from evalgauge.scorers.sql._executor import ExecutionLimits
    from evalgauge.scorers.sql._pool import evaluate_tasks
    from evalgauge.scorers.sql._presets import get_preset
    from evalgauge.scorers.sql._spider import read_spider

    roots = [root for root in (db_dir, suite) if root is not None]
    if not roots:
        raise UsageError("no databases given: pass --db-dir DIR or --suite DIR")
    for root in roots:
        if not root.is_dir():
            raise UsageError(f"database folder {str(root)!r} not found")
    if not 0 < confidence < 1:
        raise UsageError(f"--confidence must be between 0 and 1, got {confidence}")
    if timeout <= 0 or max_rows <= 0 or (workers is not None and workers <= 0):
        raise UsageError("--timeout, --max-rows and --workers must be positive")
    chosen = get_preset(preset)
    questions = read_spider(gold, pred, dev)
    if not questions:
        raise UsageError(f"gold file {str(gold)!r} has no questions; check the path")
    instances: dict[str, tuple[str, ...]] = {}
    for question in questions:
        if question.db_id not in instances:
            found = [p for root in roots for p in find_instances(root, question.db_id)]
            instances[question.db_id] = tuple(str(p) for p in dict.fromkeys(found))
    if not any(instances.values()):
        where = " or ".join(repr(str(root)) for root in roots)
        example = next(iter(instances))
        raise UsageError(
            f"none of the gold file's {len(instances)} databases was found under {where}, so "
            f"nothing can be scored; the folder must hold DB_ID/DB_ID.sqlite, for example "
            f"{example}/{example}.sqlite"
        )
    tasks = [(q.gold_sql, q.pred_sql, instances[q.db_id]) for q in questions]
    outcomes = evaluate_tasks(
        tasks,
        chosen,
        limits=ExecutionLimits(timeout_s=timeout, max_rows=max_rows),
        workers=workers,
        cache_dir=cache_dir,
        while_waiting=_import_report,
    )
    questions = [
        replace(q, hardness=q.hardness or o.hardness, features=o.features)
        for q, o in zip(questions, outcomes, strict=True)
    ]
    verdicts = [outcome.verdict for outcome in outcomes]
    _emit(questions, verdicts, chosen.name, confidence, json_output, summary_only)


def _import_report() -> None:
    # The report module imports numpy (about 50 ms), which the workers do not need, so it
    # is imported while they run.
    importlib.import_module("evalgauge.scorers.sql._report")


def _emit(
    questions: list[SqlQuestion],
    verdicts: list[Verdict],
    preset: str,
    confidence: float,
    json_output: bool,
    summary_only: bool,
) -> None:
    from evalgauge.cli._console import write_json
    from evalgauge.scorers.sql._report import (
        format_question,
        format_summary,
        question_record,
        summarize,
    )

    summary = summarize(questions, verdicts, preset=preset, confidence=confidence)
    if json_output:
        records = (
            []
            if summary_only
            else [question_record(q, v) for q, v in zip(questions, verdicts, strict=True)]
        )
        write_json({"summary": summary, "questions": records})
        return
    out = sys.stdout
    if not summary_only:
        for question, verdict in zip(questions, verdicts, strict=True):
            out.write(format_question(question, verdict) + "\n")
    out.write(format_summary(summary) + "\n")


from evalgauge.cli.sql_suite import suite_app  # noqa: E402

sql_app.add_typer(suite_app, name="suite")
