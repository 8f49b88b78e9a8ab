"""Statistics for judge alignment: agreement rates, corrected pass rates, intervals, splits."""

from evalgauge.stats._agreement import ConfusionMatrix, confusion_matrix
from evalgauge.stats._correction import CorrectedPassRate, corrected_pass_rate
from evalgauge.stats._intervals import bootstrap_mean_interval, percentiles, wilson_interval
from evalgauge.stats._paired import BinaryComparison, compare_binary
from evalgauge.stats._paired_numeric import NumericComparison, compare_numeric
from evalgauge.stats._pairing import AlignedCases, align_cases
from evalgauge.stats._split import Split, stratified_split
from evalgauge.stats._unpaired import UnpairedComparison, compare_unpaired_rates

__all__ = [
    "AlignedCases",
    "BinaryComparison",
    "ConfusionMatrix",
    "CorrectedPassRate",
    "NumericComparison",
    "Split",
    "UnpairedComparison",
    "align_cases",
    "bootstrap_mean_interval",
    "compare_binary",
    "compare_numeric",
    "compare_unpaired_rates",
    "confusion_matrix",
    "corrected_pass_rate",
    "percentiles",
    "stratified_split",
    "wilson_interval",
]
