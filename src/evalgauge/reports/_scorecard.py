"""Render a scorecard as a rich table or as Markdown."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from evalgauge.reports._format import fmt_interval, fmt_ms, fmt_rate
from evalgauge.scorecard import Scorecard


def scorecard_table(card: Scorecard) -> Group:
    run = card.run
    header = Text.assemble(
        ("run ", "bold"),
        run.run_id,
        f"  {run.name}  status={run.status}",
        f" ({run.stop_reason})" if run.stop_reason else "",
        f"\ndataset {run.dataset_version[:19]}  target {run.target}",
        f"  cases {card.cases}/{run.n_cases}  target errors {card.target_errors}",
    )
    table = Table(show_edge=False, pad_edge=False)
    level = f"{card.confidence:.0%} CI"
    for column in ("metric", "mean", level, "scored", "errored", "judge"):
        table.add_column(column, justify="left" if column in ("metric", "judge") else "right")
    for m in card.metrics:
        judge = m.judge_model or ""
        if m.prompt_hash:
            judge += f" #{m.prompt_hash[:8]}"
        table.add_row(
            m.name,
            fmt_rate(m.mean),
            fmt_interval(m.ci_low, m.ci_high),
            str(m.scored),
            str(m.errored),
            judge,
        )
    lat = card.latency_ms
    footer = Text(
        f"latency ms p50 {fmt_ms(lat.get('p50'))}  p95 {fmt_ms(lat.get('p95'))}  "
        f"p99 {fmt_ms(lat.get('p99'))}  cached {card.cached}  tokens in {card.input_tokens:,} "
        f"out {card.output_tokens:,}"
    )
    parts: list[Text | Table] = [header, table, footer]
    cost_line = _cost_line(card)
    if cost_line:
        parts.append(Text(cost_line))
    parts.extend(_breakdown_tables(card))
    if card.error_types:
        errors = ", ".join(f"{name} {count}" for name, count in card.error_types.items())
        parts.append(Text(f"errors: {errors}", style="yellow"))
        for example in card.error_examples:
            message = example["message"][:160]
            parts.append(Text(f"  {example['type']} on {example['case_id']}: {message}"))
    return Group(*parts)


TOOLS_SHOWN = 15


def _breakdown_tables(card: Scorecard) -> list[Text | Table]:
    """Per-tool pass rates (the weakest first) and failure categories of tool-call scorers."""
    parts: list[Text | Table] = []
    for scorer, breakdown in card.breakdowns.items():
        tools = sorted(breakdown["tools"].items(), key=lambda item: item[1]["pass_rate"])
        if tools:
            shown = tools[:TOOLS_SHOWN]
            title = f"{scorer}: per tool, the {len(shown)} weakest of {len(tools)}"
            table = Table(title=title, show_edge=False, pad_edge=False)
            for column in ("tool", "calls", "passed", "pass rate"):
                table.add_column(column, justify="left" if column == "tool" else "right")
            for tool, entry in shown:
                table.add_row(
                    tool, str(entry["calls"]), str(entry["passed"]), fmt_rate(entry["pass_rate"])
                )
            parts.append(table)
        if breakdown["categories"]:
            counts = ", ".join(f"{name} {n}" for name, n in breakdown["categories"].items())
            parts.append(Text(f"{scorer} failures: {counts}"))
    return parts


def _cost_line(card: Scorecard) -> str:
    """Return the cost and time-to-first-token line, or "" when the run has neither."""
    ops = card.operations
    cost = ops.get("cost") or {}
    pieces = []
    if cost.get("priced"):
        pieces.append(f"cost ${cost['total_usd']:.4f} total, ${cost['mean_usd']:.6f} per request")
    if cost.get("unpriced"):
        pieces.append(f"{cost['unpriced']} unpriced (no known price for the model)")
    ttft = ops.get("ttft_ms") or {}
    if ttft.get("n"):
        pieces.append(f"ttft ms p50 {fmt_ms(ttft.get('p50'))} p95 {fmt_ms(ttft.get('p95'))}")
    return "  ".join(pieces)


def print_scorecard(card: Scorecard, console: Console) -> None:
    console.print(scorecard_table(card))


def scorecard_markdown(card: Scorecard) -> str:
    run = card.run
    level = f"{card.confidence:.0%} CI"
    lines = [
        f"### evalgauge run `{run.run_id}` ({run.name})",
        "",
        f"Status **{run.status}**"
        + (f" ({run.stop_reason})" if run.stop_reason else "")
        + f", {card.cases}/{run.n_cases} cases, {card.target_errors} target errors. "
        f"Dataset `{run.dataset_version[:19]}`, target `{run.target}`"
        + (f", commit `{run.git_commit[:10]}`" if run.git_commit else "")
        + ".",
        "",
        f"| metric | mean | {level} | scored | errored | judge |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for m in card.metrics:
        judge = f"`{m.judge_model}`" if m.judge_model else ""
        lines.append(
            f"| {m.name} | {fmt_rate(m.mean)} | {fmt_interval(m.ci_low, m.ci_high)} | "
            f"{m.scored} | {m.errored} | {judge} |"
        )
    lat = card.latency_ms
    lines += [
        "",
        f"Latency p50 {fmt_ms(lat.get('p50'))} ms, p95 {fmt_ms(lat.get('p95'))} ms, "
        f"p99 {fmt_ms(lat.get('p99'))} ms; {card.cached} cached; tokens in "
        f"{card.input_tokens:,}, out {card.output_tokens:,}.",
    ]
    cost_line = _cost_line(card)
    if cost_line:
        lines += ["", cost_line[0].upper() + cost_line[1:] + "."]
    if card.error_types:
        lines.append("")
        lines.append(
            "Errors: " + ", ".join(f"`{name}` {count}" for name, count in card.error_types.items())
        )
        lines.append("")
        for example in card.error_examples:
            message = _one_line(example["message"][:160])
            case_id = _one_line(example["case_id"]).replace("`", "'")
            lines.append(f"- `{example['type']}` on `{case_id}`: {message}")
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    """Collapse line breaks, which would end a Markdown list item."""
    return " ".join(text.splitlines())
