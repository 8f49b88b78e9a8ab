"""`evalgauge structured`: score structured outputs, and compare output format variants."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from evalgauge.cli import _options as o

if TYPE_CHECKING:
    from evalgauge.scorers.structured import Fields, StructuredEvaluator

structured_app = typer.Typer(
    help="Parse rate, schema validity and field accuracy of JSON outputs, per format variant."
)

Gold = Annotated[Path, typer.Option(help="Gold JSONL: one {id, expected} line per case.")]
Schema = Annotated[
    Path | None, typer.Option(help="JSON Schema file (.json or .yaml), draft 2020-12 by default.")
]
Model = Annotated[
    str | None, typer.Option("--model", help="Pydantic model as module:Class, instead of --schema.")
]
FieldsConfig = Annotated[
    Path | None,
    typer.Option("--fields", help="YAML field config: comparators per field path, a default."),
]
IdField = Annotated[str, typer.Option(help="Field with the case id in both files.")]
OutputField = Annotated[str, typer.Option(help="Field with the model output in output files.")]
GoldField = Annotated[str, typer.Option(help="Field with the gold JSON in the gold file.")]
NoRepair = Annotated[
    bool, typer.Option("--no-repair", help="Count only strictly valid JSON as parsed.")
]
MaxErrors = Annotated[
    int,
    typer.Option(
        min=1,
        help="Schema violations listed per case; 1 stops at the first, which is much faster.",
    ),
]
Workers = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="Worker processes. By default one per core, at most 4, for 20,000 lines or more.",
    ),
]


def _evaluator(
    schema: Path | None, model: str | None, fields: Path | None, no_repair: bool, max_errors: int
) -> StructuredEvaluator:
    from evalgauge.scorers.structured import (
        StructuredEvaluator,
        build_schema_check,
        load_field_config,
    )

    config = load_field_config(fields) if fields is not None else None
    check = build_schema_check(schema, model)
    return StructuredEvaluator(
        schema=check, fields=config, repair=not no_repair, max_errors=max_errors
    )


def _read_gold(path: Path, names: Fields) -> dict[str, Any]:
    """Read the gold file with the garbage collector paused, then freeze all live objects.

    The gold values live until the process exits and, read from JSON, contain no cycles, so
    scanning them finds no garbage. Frozen objects are never scanned, in forked workers
    too. On the 100,000 gold invoices of benchmarks/structured_100k.py this took the read
    from 0.53 s to 0.45 s, counting the collection that follows it.
    """
    import gc

    from evalgauge.scorers.structured import read_gold

    enabled = gc.isenabled()
    gc.disable()
    try:
        gold = read_gold(path, names)
        gc.freeze()
    finally:
        if enabled:
            gc.enable()
    return gold


def _names(id_field: str, output_field: str, gold_field: str) -> Fields:
    from evalgauge.scorers.structured import Fields

    return Fields(id=id_field, output=output_field, gold=gold_field)


def _emit(report: dict[str, Any], lines: list[str], json_output: bool) -> None:
    import sys

    from evalgauge.cli._console import write_json

    if json_output:
        write_json(report)
        stream = sys.stderr
    else:
        stream = sys.stdout
    for warning in _warnings(report):
        print(f"warning: {warning}", file=sys.stderr)
    if not json_output:
        print("\n".join(lines), file=stream)


def _warnings(report: dict[str, Any]) -> list[str]:
    if "variants" not in report:
        return list(report["warnings"])
    # A path counts as unused only when no variant reached it.
    sets = [set(variant["warnings"]) for variant in report["variants"].values()]
    return sorted(set.intersection(*sets))


@structured_app.command("eval")
def eval_command(
    outputs: Annotated[Path, typer.Option(help="Outputs JSONL: one {id, output} line per case.")],
    gold: Gold,
    schema: Schema = None,
    model: Model = None,
    fields: FieldsConfig = None,
    id_field: IdField = "id",
    output_field: OutputField = "output",
    gold_field: GoldField = "expected",
    no_repair: NoRepair = False,
    max_errors: MaxErrors = 1,
    workers: Workers = None,
    json_output: o.Json = False,
) -> None:
    """Score one set of outputs: parse rate, schema validity and field accuracy."""
    from evalgauge.scorers.structured import score_file
    from evalgauge.scorers.structured._render import render_set

    evaluator = _evaluator(schema, model, fields, no_repair, max_errors)
    names = _names(id_field, output_field, gold_field)
    run = score_file(outputs, evaluator, _read_gold(gold, names), fields=names, workers=workers)
    report = run.accumulator.summary(
        evaluator.plan,
        schema=evaluator.schema is not None,
        gold_without_output=run.gold_without_output,
    )
    _emit(report, render_set(report, title=str(outputs)), json_output)


@structured_app.command("compare")
def compare_command(
    variant: Annotated[
        list[str], typer.Option(help="NAME=FILE of one format variant's outputs (repeatable).")
    ],
    gold: Gold,
    schema: Schema = None,
    model: Model = None,
    fields: FieldsConfig = None,
    id_field: IdField = "id",
    output_field: OutputField = "output",
    gold_field: GoldField = "expected",
    no_repair: NoRepair = False,
    max_errors: MaxErrors = 1,
    confidence: Annotated[
        float, typer.Option(min=0.5, max=0.999, help="Confidence level of the intervals.")
    ] = 0.95,
    workers: Workers = None,
    json_output: o.Json = False,
) -> None:
    """Compare format variants of the same cases, paired by id, with intervals and tests."""
    from evalgauge.scorers.structured import compare_variants, parse_variant
    from evalgauge.scorers.structured._render import render_comparison

    variants = [parse_variant(text) for text in variant]
    evaluator = _evaluator(schema, model, fields, no_repair, max_errors)
    names = _names(id_field, output_field, gold_field)
    report = compare_variants(
        variants,
        evaluator,
        _read_gold(gold, names),
        fields=names,
        confidence=confidence,
        workers=workers,
    )
    _emit(report, render_comparison(report), json_output)
