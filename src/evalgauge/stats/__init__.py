"""Statistics for judge alignment: agreement rates, corrected pass rates, intervals, splits."""

from evalgauge.stats._agreement import ConfusionMatrix, confusion_matrix
from evalgauge.stats._correction import CorrectedPassRate, corrected_pass_rate
from evalgauge.stats._intervals import bootstrap_mean_interval, percentiles, wilson_interval
from evalgauge.stats._split import Split, stratified_split

__all__ = [
    "ConfusionMatrix",
    "CorrectedPassRate",
    "Split",
    "bootstrap_mean_interval",
    "confusion_matrix",
    "corrected_pass_rate",
    "percentiles",
    "stratified_split",
    "wilson_interval",
]
