"""Renderers of scorecards and alignment reports for terminals, Markdown and JSON."""

from evalgauge.reports._alignment import alignment_markdown, alignment_view, print_alignment
from evalgauge.reports._scorecard import print_scorecard, scorecard_markdown, scorecard_table

__all__ = [
    "alignment_markdown",
    "alignment_view",
    "print_alignment",
    "print_scorecard",
    "scorecard_markdown",
    "scorecard_table",
]
