"""Comparison of the pass rates of two runs whose case sets differ."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

from evalgauge.stats._intervals import _validate_confidence, wilson_interval

UnpairedTest = Literal["z-test", "fisher-exact"]
"""The test behind a p-value: the pooled two-proportion z-test, or Fisher's exact test."""

UNPAIRED_CI_METHOD = "newcombe-hybrid-score"

_MIN_EXPECTED_COUNT_FOR_Z_TEST = 5
"""Cochran's rule: the z-test needs an expected count of at least 5 in every cell."""


@dataclass(frozen=True, slots=True)
class UnpairedComparison:
    """Pass rates of a baseline and a candidate run on separate cases, and their change.

    `delta` is `cand_rate - base_rate`, and `ci_low` and `ci_high` bound its Newcombe
    hybrid score interval at `confidence`. `p_value` is the two-sided p-value of the test
    named in `test`.
    """

    base_passed: int
    base_n: int
    cand_passed: int
    cand_n: int
    base_rate: float
    cand_rate: float
    delta: float
    ci_low: float
    ci_high: float
    confidence: float
    ci_method: str
    p_value: float
    test: UnpairedTest


def compare_unpaired_rates(
    base_passed: int,
    base_n: int,
    cand_passed: int,
    cand_n: int,
    confidence: float = 0.95,
) -> UnpairedComparison:
    """Compare two independent pass rates, for runs that did not score the same cases.

    The interval for `cand_rate - base_rate` is method 10 of Newcombe, "Interval estimation
    for the difference between independent proportions: comparison of eleven methods",
    Statistics in Medicine 17, 873-890, 1998. It combines the Wilson interval of each rate and
    stays within [-1, 1]. The p-value is the pooled two-proportion z-test, unless an
    expected cell count of the 2x2 table is below 5, in which case it is Fisher's exact
    test (scipy.stats.fisher_exact). A table without any pass or without any fail always
    takes Fisher's test and gives p = 1.

    Raises ValueError when a count is not an integer, when base_n or cand_n is not
    positive, when a pass count is outside [0, n], or when confidence is not strictly
    between 0 and 1.
    """
    _validate_confidence(confidence)
    _validate_counts(base_passed, base_n, "base")
    _validate_counts(cand_passed, cand_n, "cand")
    base_low, base_high = wilson_interval(base_passed, base_n, confidence)
    cand_low, cand_high = wilson_interval(cand_passed, cand_n, confidence)
    base_rate = base_passed / base_n
    cand_rate = cand_passed / cand_n

    delta = cand_rate - base_rate
    low = delta - math.hypot(cand_rate - cand_low, base_high - base_rate)
    high = delta + math.hypot(cand_high - cand_rate, base_rate - base_low)
    p_value, test = _two_proportion_p_value(base_passed, base_n, cand_passed, cand_n)
    return UnpairedComparison(
        base_passed=int(base_passed),
        base_n=int(base_n),
        cand_passed=int(cand_passed),
        cand_n=int(cand_n),
        base_rate=base_rate,
        cand_rate=cand_rate,
        delta=delta,
        ci_low=max(low, -1.0),
        ci_high=min(high, 1.0),
        confidence=float(confidence),
        ci_method=UNPAIRED_CI_METHOD,
        p_value=p_value,
        test=test,
    )


def _two_proportion_p_value(
    base_passed: int, base_n: int, cand_passed: int, cand_n: int
) -> tuple[float, UnpairedTest]:
    total = base_n + cand_n
    passed = base_passed + cand_passed
    failed = total - passed
    smallest_expected = min(base_n, cand_n) * min(passed, failed) / total
    if smallest_expected < _MIN_EXPECTED_COUNT_FOR_Z_TEST:
        from scipy.stats import fisher_exact

        table = [[base_passed, base_n - base_passed], [cand_passed, cand_n - cand_passed]]
        return float(fisher_exact(table).pvalue), "fisher-exact"

    # Every expected count is at least 5 here, so the pooled rate is strictly between 0 and 1.
    pooled = passed / total
    standard_error = math.sqrt(pooled * (1 - pooled) * (1 / base_n + 1 / cand_n))
    z = (cand_passed / cand_n - base_passed / base_n) / standard_error
    return 2 * NormalDist().cdf(-abs(z)), "z-test"


def _validate_counts(passed: int, n: int, name: str) -> None:
    for label, value in ((f"{name}_passed", passed), (f"{name}_n", n)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ValueError(f"{label} must be an integer count, got {value!r}")
    if n <= 0:
        raise ValueError(f"{name}_n must be positive, got {n}; a pass rate of 0 cases is undefined")
    if not 0 <= passed <= n:
        raise ValueError(f"{name}_passed must be between 0 and {name}_n = {n}, got {passed}")
