"""Number formatting shared by the terminal and Markdown renderers."""

from __future__ import annotations


def fmt_rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def fmt_interval(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "n/a"
    return f"[{low:.3f}, {high:.3f}]"


def fmt_ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f}"
