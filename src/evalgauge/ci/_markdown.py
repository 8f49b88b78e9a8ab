"""The gate's decision as GitHub-flavoured Markdown, for a pull-request comment or step summary."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from evalgauge.gate import GateReport, Override, RuleOutcome

STATUS_LABELS = {
    "fail": "FAIL",
    "warn": "WARN",
    "overridden": "OVERRIDDEN",
    "skipped": "SKIPPED",
    "pass": "PASS",
}
# Table rows go in this order, so the rules that need a reviewer come first.
_STATUS_ORDER = {status: index for index, status in enumerate(STATUS_LABELS)}


def format_number(value: float) -> str:
    """Format a rate or score with 3 decimals, and a large figure as a grouped integer."""
    if not math.isfinite(value):
        return str(value)
    if abs(value) < 1000:
        return f"{value:.3f}"
    return f"{value:,.0f}"


def format_ms(value: float) -> str:
    """Format milliseconds as a grouped integer, without the unit."""
    if not math.isfinite(value):
        return str(value)
    return f"{value:,.0f}"


def format_count(value: float) -> str:
    """Format a count as a grouped integer."""
    return f"{value:,.0f}" if math.isfinite(value) else str(value)


def format_usd(value: float) -> str:
    """Format US dollars: cents from $1 up, else 4 significant digits ($0.001235)."""
    if not math.isfinite(value):
        return str(value)
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if magnitude == 0:
        return "$0.00"
    if magnitude >= 1:
        return f"{sign}${magnitude:,.2f}"
    decimals = 3 - math.floor(math.log10(magnitude))
    digits = f"{magnitude:.{decimals}f}".rstrip("0")
    # Keep at least cents, so $0.5 reads $0.50.
    whole, _, fraction = digits.partition(".")
    return f"{sign}${whole}.{fraction.ljust(2, '0')}"


def format_value(metric: str, value: float | None) -> str:
    """Format a rule's figure by its metric's unit suffix: `_ms`, `_usd`, or a plain number."""
    if value is None:
        return "n/a"
    if metric.endswith("_ms"):
        return f"{format_ms(value)} ms"
    if metric.endswith("_usd"):
        return format_usd(value)
    return format_number(value)


# Only `<` before a letter, `/`, `!` or `?` can open HTML in CommonMark, and only `&` before
# a name or number and `;` forms an entity, so "0.81 < 0.83" and "R&D" stay as written.
_HTML_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY = re.compile(r"&(?=#?\w+;)")


def escape_html(text: str) -> str:
    """Escape what would open an HTML tag or an entity, so the text shows as written."""
    return _HTML_OPEN.sub("&lt;", _ENTITY.sub("&amp;", text))


def escape_cell(text: str) -> str:
    """Escape text for a table cell: `|`, HTML tags and entities, and line breaks as `<br>`."""
    text = escape_html(text)
    text = text.replace("|", "\\|")
    return "<br>".join(text.splitlines()) if text else ""


def code_span(text: str, *, table: bool = True) -> str:
    """Put text in a code span, for a table cell unless `table` is False.

    A code span shows `<br>` and entities literally, so line breaks become spaces.
    GitHub splits table cells on `|` even inside a code span unless it is written `\\|`,
    but outside a table that backslash would show.
    """
    text = " ".join(text.splitlines())
    if not text:
        return ""
    if table:
        text = text.replace("|", "\\|")
    fence = "`"
    while fence in text:
        fence += "`"
    # CommonMark strips one space on each side when both are present, so a text that
    # starts or ends with a backtick is padded.
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _verdict(report: GateReport) -> str:
    counts = {status: 0 for status in STATUS_LABELS}
    for outcome in report.outcomes:
        counts[outcome.status] += 1
    if report.passed:
        head = "**Gate passed**"
    else:
        head = f"**Gate failed: {_plural(counts['fail'], 'hard rule')}**"
    notes = []
    if counts["warn"]:
        notes.append(f"{_plural(counts['warn'], 'soft rule')} warned")
    if counts["overridden"]:
        notes.append(f"{_plural(counts['overridden'], 'rule')} overridden")
    if counts["skipped"]:
        notes.append(f"{_plural(counts['skipped'], 'rule')} skipped")
    if notes:
        head += " (" + ", ".join(notes) + ")"
    tier = code_span(report.tier, table=False) if report.tier else "n/a"
    commit = code_span(report.commit, table=False) if report.commit else "n/a"
    return f"{head} · tier {tier} · commit {commit}"


def _rules_table(outcomes: list[RuleOutcome]) -> list[str]:
    lines = [
        "| Status | Rule | Suite | Severity | Observed | Threshold | Basis | Message |",
        "|---|---|---|---|---|---|---|---|",
    ]
    ordered = sorted(outcomes, key=lambda outcome: _STATUS_ORDER[outcome.status])
    for outcome in ordered:
        cells = [
            f"**{STATUS_LABELS[outcome.status]}**",
            code_span(outcome.text),
            escape_cell(outcome.suite),
            outcome.severity,
            format_value(outcome.metric, outcome.observed),
            f"{escape_cell(outcome.op)} {format_value(outcome.metric, outcome.threshold)}",
            outcome.basis,
            escape_cell(outcome.message),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _number(mapping: Mapping[str, Any], key: str) -> float | None:
    value = mapping.get(key)
    # bool is an int subclass, but a flag is no figure.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _mapping(scorecard: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = scorecard.get(key)
    return value if isinstance(value, Mapping) else {}


def _metric_cell(metric: Mapping[str, Any]) -> str:
    name = metric.get("name")
    label = code_span(str(name)) if name is not None else "metric"
    mean = _number(metric, "mean")
    if mean is None:
        text = f"{label} n/a"
    else:
        text = f"{label} {format_number(mean)}"
        low, high = _number(metric, "ci_low"), _number(metric, "ci_high")
        if low is not None and high is not None:
            text += f" [{format_number(low)}, {format_number(high)}]"
    counts = []
    scored = _number(metric, "scored")
    if scored is not None:
        counts.append(f"{format_count(scored)} scored")
    errored = _number(metric, "errored")
    if errored:
        counts.append(f"{format_count(errored)} errored")
    if counts:
        text += " (" + ", ".join(counts) + ")"
    return text


def _scorecard_row(suite: str, scorecard: Mapping[str, Any]) -> str:
    cases = _number(scorecard, "cases")
    metrics = scorecard.get("metrics")
    metric_cells = [_metric_cell(metric) for metric in metrics or [] if isinstance(metric, Mapping)]
    latency = _mapping(scorecard, "latency_ms")
    percentiles = [_number(latency, key) for key in ("p50", "p95", "p99")]
    cost = _mapping(scorecard, "cost")
    total, mean = _number(cost, "total_usd"), _number(cost, "mean_usd")
    unpriced = _number(cost, "unpriced")
    stop_reason = scorecard.get("stop_reason")
    cells = [
        escape_cell(suite),
        format_count(cases) if cases is not None else "n/a",
        "<br>".join(metric_cells) or "none",
        " / ".join(format_ms(value) if value is not None else "n/a" for value in percentiles),
        format_usd(total) if total is not None else "n/a",
        format_usd(mean) if mean is not None else "n/a",
        format_count(unpriced) if unpriced is not None else "n/a",
        escape_cell(f"stopped: {stop_reason}") if stop_reason else "none",
    ]
    return "| " + " | ".join(cells) + " |"


def _scorecards_table(scorecards: Mapping[str, Mapping[str, Any]]) -> list[str]:
    lines = [
        "| Suite | Cases | Metrics (mean [CI]) | Latency p50 / p95 / p99 (ms) "
        "| Cost total | Cost per request | Unpriced | Stop reason |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines.extend(_scorecard_row(suite, card) for suite, card in scorecards.items())
    return lines


def _signed(metric: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    text = format_value(metric, abs(value))
    return ("-" if value < 0 else "+") + text


def _comparisons_table(comparisons: Mapping[str, list[dict[str, Any]]]) -> list[str]:
    lines = [
        "| Suite | Metric | Baseline | Candidate | Delta | Interval | Test | p |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for suite, entries in comparisons.items():
        for entry in entries:
            metric = str(entry["metric"])
            low, high = entry.get("ci_low"), entry.get("ci_high")
            interval = (
                "n/a"
                if low is None or high is None
                else (f"[{_signed(metric, low)}, {_signed(metric, high)}]")
            )
            p_value = entry.get("p_value")
            cells = [
                escape_cell(suite),
                code_span(metric),
                format_value(metric, entry.get("baseline")),
                format_value(metric, entry.get("candidate")),
                _signed(metric, entry.get("delta")),
                interval,
                escape_cell(str(entry.get("test", "none"))),
                "n/a" if p_value is None else f"{p_value:.3g}",
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def _overrides_table(overrides: list[Override]) -> list[str]:
    lines = [
        "| Rule | Approver | Reason | Expires | Created | Commit |",
        "|---|---|---|---|---|---|",
    ]
    for override in overrides:
        cells = [
            code_span(override.rule),
            escape_cell(override.approver),
            escape_cell(override.reason),
            override.expires.isoformat(),
            override.created_at.isoformat(timespec="seconds"),
            code_span(override.commit) if override.commit else "n/a",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _bullet(text: str) -> str:
    # Indented continuation lines stay inside the list item.
    return "- " + "\n  ".join(escape_html(text).splitlines() or [""])


def _regressions(regressions: Mapping[str, list[str]], max_regressions: int) -> list[str]:
    lines = []
    for suite, case_ids in regressions.items():
        if not case_ids:
            continue
        listed = case_ids[:max_regressions]
        id_list = ", ".join(code_span(case_id, table=False) for case_id in listed)
        hidden = len(case_ids) - max_regressions
        if hidden > 0:
            id_list = f"{id_list} and {hidden} more" if id_list else f"{hidden} cases"
        label = code_span(suite, table=False)
        lines.append(f"- {label} ({_plural(len(case_ids), 'case')}): {id_list}")
    return lines


def gate_markdown(report: GateReport, *, max_regressions: int = 20) -> str:
    """Render the gate's decision as Markdown: verdict, rules, scorecards, the comparison with
    the baseline, overrides, warnings and regressions.

    The pass-to-fail regressions list at most `max_regressions` case ids per suite, then
    "and N more". Raises ValueError when `max_regressions` is negative.
    """
    if max_regressions < 0:
        raise ValueError(f"max_regressions must be 0 or more, got {max_regressions}")
    sections = [[_verdict(report)]]

    if report.outcomes:
        sections.append(["### Rules", "", *_rules_table(report.outcomes)])
    else:
        sections.append(["### Rules", "", "No rule was judged."])

    if report.scorecards:
        sections.append(["### Scorecards", "", *_scorecards_table(report.scorecards)])

    if any(report.comparisons.values()):
        table = _comparisons_table(report.comparisons)
        sections.append(["### Compared with the baseline", "", *table])

    if report.overrides:
        sections.append(["### Overrides honored", "", *_overrides_table(report.overrides)])

    if report.warnings:
        sections.append(["### Warnings", "", *(_bullet(w) for w in report.warnings)])

    regression_lines = _regressions(report.regressions, max_regressions)
    if regression_lines:
        sections.append(["### Regressions (pass to fail)", "", *regression_lines])

    return "\n\n".join("\n".join(section) for section in sections) + "\n"
