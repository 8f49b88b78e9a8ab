"""Render an alignment report as rich tables or as Markdown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from evalgauge.reports._format import fmt_rate

if TYPE_CHECKING:
    from evalgauge.alignment import AlignmentReport
    from evalgauge.stats import ConfusionMatrix

_RATES = (
    ("TPR (recall on pass)", "tpr"),
    ("TNR (recall on fail)", "tnr"),
    ("precision", "precision"),
    ("accuracy", "accuracy"),
    ("balanced accuracy", "balanced_accuracy"),
    ("Cohen's kappa", "kappa"),
    ("Youden's J", "youden_j"),
)


def _matrix_table(cm: ConfusionMatrix, title: str) -> Table:
    table = Table(title=title, show_edge=False, pad_edge=False)
    table.add_column("")
    table.add_column("human pass", justify="right")
    table.add_column("human fail", justify="right")
    table.add_row("judge pass", f"TP {cm.tp}", f"FP {cm.fp}")
    table.add_row("judge fail", f"FN {cm.fn}", f"TN {cm.tn}")
    return table


def _rates_table(report: AlignmentReport) -> Table:
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("metric")
    table.add_column("test", justify="right")
    table.add_column("dev (tuning)", justify="right")
    for label, attribute in _RATES:
        dev = fmt_rate(getattr(report.dev, attribute)) if report.dev else "n/a"
        table.add_row(label, fmt_rate(getattr(report.test, attribute)), dev)
    return table


def alignment_view(report: AlignmentReport) -> Group:
    sizes = report.split_sizes
    split_line = "  ".join(
        f"{name} {sizes[name]['cases']} ({sizes[name]['pass']} pass / {sizes[name]['fail']} fail)"
        for name in ("train", "dev", "test")
    )
    parts: list[Text | Table] = [
        Text.assemble(
            ("judge ", "bold"),
            report.judge.get("judge_model", "?"),
            f"  prompt #{report.judge.get('prompt_hash', '')[:8]}",
        ),
        Text(f"split (seed {report.seed}): {split_line}  unlabeled {sizes['unlabeled']['cases']}"),
        _matrix_table(report.test, f"test: judge vs human ({report.test.n} cases)"),
        _rates_table(report),
    ]
    c = report.corrected
    if c is not None:
        parts.append(
            Text.assemble(
                ("pass rate of the unlabeled cases: ", "bold"),
                f"observed {c.observed:.3f}, corrected {c.corrected:.3f} "
                f"[{c.ci_low:.3f}, {c.ci_high:.3f}] at {c.confidence:.0%} "
                f"({c.n_unlabeled} cases, {c.valid_draws:,} bootstrap draws, "
                f"{c.skipped_draws} skipped)",
            )
        )
    elif report.corrected_error:
        parts.append(
            Text(f"corrected pass rate: not computed: {report.corrected_error}", style="yellow")
        )
    for warning in report.warnings:
        parts.append(Text(f"warning: {warning}", style="yellow"))
    return Group(*parts)


def print_alignment(report: AlignmentReport, console: Console) -> None:
    console.print(alignment_view(report))


def alignment_markdown(report: AlignmentReport) -> str:
    cm = report.test
    lines = [
        f"### Judge alignment (run `{report.run_id}`)",
        "",
        f"Judge `{report.judge.get('judge_model')}`, prompt `{report.judge.get('prompt_hash')}`,"
        f" seed {report.seed}, test cases {cm.n}.",
        "",
        "| | human pass | human fail |",
        "|---|---:|---:|",
        f"| judge pass | {cm.tp} | {cm.fp} |",
        f"| judge fail | {cm.fn} | {cm.tn} |",
        "",
        "| metric | test | dev |",
        "|---|---:|---:|",
    ]
    for label, attribute in _RATES:
        dev = fmt_rate(getattr(report.dev, attribute)) if report.dev else "n/a"
        lines.append(f"| {label} | {fmt_rate(getattr(cm, attribute))} | {dev} |")
    c = report.corrected
    lines.append("")
    if c is not None:
        lines.append(
            f"Corrected pass rate of {c.n_unlabeled} unlabeled cases: **{c.corrected:.3f}** "
            f"[{c.ci_low:.3f}, {c.ci_high:.3f}] at {c.confidence:.0%} (observed {c.observed:.3f})."
        )
    elif report.corrected_error:
        lines.append(f"Corrected pass rate not computed: {report.corrected_error}")
    for warning in report.warnings:
        lines.append(f"- warning: {warning}")
    return "\n".join(lines) + "\n"
