"""Judge alignment: the judge's agreement with human labels and the corrected pass rate."""

from evalgauge.alignment._align import run_alignment
from evalgauge.alignment._report import AlignmentReport, Verdict

__all__ = ["AlignmentReport", "Verdict", "run_alignment"]
