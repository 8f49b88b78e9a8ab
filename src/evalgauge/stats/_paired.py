"""Paired comparison of pass/fail verdicts of a candidate run and a baseline run.

compare_binary takes the two runs' verdicts on the same cases in the same order, as
returned by align_cases, and reports the candidate minus the baseline. scipy.stats is
imported inside the functions that need it, because the import took about 0.8 s on a
2-vCPU virtual machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from evalgauge.stats._agreement import BinaryValues, as_binary_array
from evalgauge.stats._intervals import _validate_confidence, wilson_interval

McNemarTest = Literal["exact", "chi-square"]
"""The McNemar variant behind a p-value: the exact binomial test on the discordant pairs,
or the chi-square test with Edwards' continuity correction."""

PAIRED_BINARY_CI_METHOD = "newcombe-paired-score"

_MIN_DISCORDANT_FOR_CHI_SQUARE = 25
"""Discordant pairs below which the exact binomial test replaces the chi-square approximation."""


@dataclass(frozen=True, eq=False)
class BinaryComparison:
    """Pass rates of a baseline and a candidate run on the same `n` cases, and their change.

    `delta` is `cand_rate - base_rate`, and `ci_low` and `ci_high` bound its interval at
    `confidence` by Newcombe's paired score method. `b` counts the cases that the baseline
    passed and the candidate failed, and `c` the cases that went from fail to pass.
    `p_value` is McNemar's two-sided p-value by the variant named in `test`.
    `regressed_indices` is a read-only, sorted array of the `b` positions that went from
    pass to fail. The dataclass compares by identity because numpy arrays have no single
    truth value.
    """

    n: int
    base_rate: float
    cand_rate: float
    delta: float
    ci_low: float
    ci_high: float
    confidence: float
    ci_method: str
    b: int
    c: int
    p_value: float
    test: McNemarTest
    regressed_indices: NDArray[np.intp]


def compare_binary(
    base: BinaryValues, cand: BinaryValues, *, confidence: float = 0.95
) -> BinaryComparison:
    """Compare paired pass/fail verdicts and find the cases that went from pass to fail.

    `base[i]` and `cand[i]` are the two runs' verdicts on case i, as True/False or 1/0.
    The interval for the change in pass rate is method 10 of Newcombe, "Improved confidence
    intervals for the difference between binomial proportions based on paired data",
    Statistics in Medicine 17(22), 2635-2650, 1998. It combines the Wilson intervals of
    the two rates with the continuity-corrected phi correlation of the paired table, and
    it stays within [-1, 1] at the boundaries.

    McNemar's test uses only the discordant cases. Below 25 of them it is the exact
    two-sided binomial test of b out of b + c with p = 0.5 (scipy.stats.binomtest).
    Otherwise it is the chi-square test with one degree of freedom on
    max(|b - c| - 1, 0)^2 / (b + c), whose max keeps b = c at p = 1 as in the exact test.
    Without discordant cases p is 1.0 and `test` is "exact".

    Raises ValueError when the inputs are empty, differ in length or contain values other
    than 0/1 or True/False, or when confidence is not strictly between 0 and 1.
    """
    _validate_confidence(confidence)
    base_passed = as_binary_array(base, "base")
    cand_passed = as_binary_array(cand, "cand")
    if base_passed.size != cand_passed.size:
        raise ValueError(
            f"base has {base_passed.size} verdicts but cand has {cand_passed.size}; pass "
            "the two runs' verdicts on the same cases in the same order, e.g. from align_cases"
        )
    n = int(base_passed.size)
    if n == 0:
        raise ValueError(
            "base and cand are empty, so there is no paired case to compare; check that "
            "both runs scored some of the same case ids"
        )

    regressed_indices = np.flatnonzero(base_passed & ~cand_passed)
    regressed_indices.setflags(write=False)
    b = int(regressed_indices.size)
    c = int(np.count_nonzero(~base_passed & cand_passed))
    both = int(np.count_nonzero(base_passed & cand_passed))
    neither = n - both - b - c
    ci_low, ci_high = _newcombe_paired_interval(both, c, b, neither, confidence)
    p_value, test = _mcnemar_p_value(b, c)
    return BinaryComparison(
        n=n,
        base_rate=(both + b) / n,
        cand_rate=(both + c) / n,
        delta=(c - b) / n,
        ci_low=ci_low,
        ci_high=ci_high,
        confidence=float(confidence),
        ci_method=PAIRED_BINARY_CI_METHOD,
        b=b,
        c=c,
        p_value=p_value,
        test=test,
        regressed_indices=regressed_indices,
    )


def _newcombe_paired_interval(
    both: int, fixed: int, regressed: int, neither: int, confidence: float
) -> tuple[float, float]:
    """Return Newcombe's method 10 interval for the candidate rate minus the baseline rate.

    `fixed` cases failed in the baseline and passed in the candidate, and `regressed`
    cases did the opposite.
    """
    n = both + fixed + regressed + neither
    cand_passed = both + fixed
    base_passed = both + regressed
    cand_rate = cand_passed / n
    base_rate = base_passed / n
    cand_low, cand_high = wilson_interval(cand_passed, n, confidence)
    base_low, base_high = wilson_interval(base_passed, n, confidence)
    phi = _corrected_phi(both, fixed, regressed, neither)

    delta = (fixed - regressed) / n
    # The lower bound combines the room below the candidate rate with the room above the
    # baseline rate, and the upper bound the reverse.
    below_cand, above_base = cand_rate - cand_low, base_high - base_rate
    above_cand, below_base = cand_high - cand_rate, base_rate - base_low
    lower_spread = below_cand**2 - 2 * phi * below_cand * above_base + above_base**2
    upper_spread = above_cand**2 - 2 * phi * above_cand * below_base + below_base**2
    # |phi| <= 1 keeps both spreads non-negative, and max() removes rounding noise.
    low = delta - math.sqrt(max(lower_spread, 0.0))
    high = delta + math.sqrt(max(upper_spread, 0.0))
    return max(low, -1.0), min(high, 1.0)


def _corrected_phi(both: int, fixed: int, regressed: int, neither: int) -> float:
    """Return the phi correlation of the paired table with Newcombe's continuity correction.

    A positive numerator both·neither − fixed·regressed is reduced by n/2 and floored
    at 0, and a negative one is kept. Phi is 0 when a margin of the table is empty.
    """
    n = both + fixed + regressed + neither
    margins = (both + fixed) * (regressed + neither) * (both + regressed) * (fixed + neither)
    if margins == 0:
        return 0.0
    numerator = both * neither - fixed * regressed
    corrected = max(numerator - n / 2, 0.0) if numerator > 0 else float(numerator)
    return corrected / math.sqrt(margins)


def _mcnemar_p_value(b: int, c: int) -> tuple[float, McNemarTest]:
    """Return McNemar's two-sided p-value for `b` and `c` discordant cases, and its variant."""
    discordant = b + c
    if discordant == 0:
        return 1.0, "exact"
    if discordant < _MIN_DISCORDANT_FOR_CHI_SQUARE:
        from scipy.stats import binomtest

        return float(binomtest(b, discordant, 0.5).pvalue), "exact"
    return mcnemar_chi_square_p_value(b, c), "chi-square"


def mcnemar_chi_square_p_value(b: int, c: int) -> float:
    """Return the p-value of McNemar's chi-square test with Edwards' continuity correction.

    The statistic max(|b - c| - 1, 0)^2 / (b + c) has one degree of freedom. Raises
    ZeroDivisionError when b + c is 0.
    """
    from scipy.stats import chi2

    statistic = max(abs(b - c) - 1, 0) ** 2 / (b + c)
    return float(chi2.sf(statistic, df=1))
