"""GitHub Actions output: workflow-command annotations and the job's step summary."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from evalgauge.gate import GateReport, RuleOutcome

STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


def escape_data(text: str) -> str:
    """Escape a workflow command's message, as `escapeData` in @actions/core does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value, as `escapeProperty` in @actions/core does."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _annotation(command: str, outcome: RuleOutcome) -> str:
    title = escape_property(f"evalgauge gate: {outcome.rule} [{outcome.suite}]")
    message = escape_data(outcome.message or outcome.text)
    return f"::{command} title={title}::{message}"


def github_annotations(report: GateReport) -> list[str]:
    """Return one workflow command per failed rule (`::error`) and warned rule (`::warning`).

    Print each on its own line of the job's stdout, so the runner turns it into an
    annotation. Passed, overridden and skipped rules get none.
    """
    commands = []
    for outcome in report.outcomes:
        if outcome.status == "fail":
            commands.append(_annotation("error", outcome))
        elif outcome.status == "warn":
            commands.append(_annotation("warning", outcome))
    return commands


def write_step_summary(markdown: str, environ: Mapping[str, str]) -> bool:
    """Append Markdown to the file named by GITHUB_STEP_SUMMARY, or return False when unset.

    OSError from opening or writing that file propagates.
    """
    path = environ.get(STEP_SUMMARY_ENV)
    if not path:
        return False
    text = markdown if markdown.endswith("\n") else markdown + "\n"
    with Path(path).open("a", encoding="utf-8") as summary:
        summary.write(text)
    return True
