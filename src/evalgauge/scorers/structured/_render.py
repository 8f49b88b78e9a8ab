"""Plain-text rendering of a structured-output report for a terminal."""

from __future__ import annotations

from typing import Any

from evalgauge.scorers.structured._parse import REPAIR_KINDS


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def render_set(report: dict[str, Any], title: str = "outputs") -> list[str]:
    """Lines describing one set: parse rates by repair kind, schema validity, field accuracy."""
    parse = report["parse"]
    n = report["records"]
    lines = [f"{title}: {n} records, {report['errors']} with errors"]
    for example in report.get("examples", {}).get("error", []):
        lines.append(f"  error on id {example['id']!r}: {example['reason']}")
    lines.append(
        f"  parse   strict {_percent(parse['strict_rate'])}, after repair "
        f"{_percent(parse['parsed_rate'])} ({parse['repaired']} repaired, {parse['failed']} failed)"
    )
    kinds = [f"{kind} {parse['repairs'][kind]}" for kind in REPAIR_KINDS if parse["repairs"][kind]]
    if kinds:
        lines.append("          repairs: " + ", ".join(kinds))
    if parse["failures"]:
        failures = ", ".join(f"{kind} {count}" for kind, count in parse["failures"].items())
        lines.append(f"          failures: {failures}")

    schema = report["schema"]
    if schema is not None:
        lines.append(f"  schema  valid {_percent(schema['valid_rate'])}")
        for rule, count in list(schema["top_violations"].items())[:5]:
            lines.append(f"          {count:>6}  {rule}")

    lines.append(
        f"  fields  exact records {_percent(report['exact_record_rate'])}, mean field accuracy "
        f"{_percent(report['mean_field_accuracy'])}"
    )
    for name, field in report["fields"].items():
        lines.append(
            f"          {name:<32} {_percent(field['accuracy']):>7}  missing {field['missing']}"
            f"  wrong {field['wrong']}  extra {field['extra']}"
        )
    if report["gold_without_output"]:
        lines.append(f"  {report['gold_without_output']} gold records have no output")
    lines.extend(f"  warning: {warning}" for warning in report["warnings"])
    return lines


def render_comparison(report: dict[str, Any]) -> list[str]:
    """Lines for every variant, then the paired deltas of every pair of variants."""
    lines: list[str] = []
    for name, variant in report["variants"].items():
        lines.extend(render_set(variant, title=name))
        lines.append("")
    for pair in report["comparisons"]:
        level = round(100 * pair["confidence"])
        lines.append(
            f"{pair['candidate']} - {pair['base']} on {pair['paired_cases']} paired cases "
            f"({level}% CI, paired test):"
        )
        for metric, result in pair["metrics"].items():
            if result is None:
                continue
            low, high = result["ci"]
            lines.append(
                f"  {metric:<9} {100 * result['delta']:+6.1f} pts  "
                f"[{100 * low:+.1f}, {100 * high:+.1f}]  p={result['p_value']:.3g} "
                f"({result['test']})"
            )
    return lines
