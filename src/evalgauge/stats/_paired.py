"""Paired comparison of a candidate run with a baseline run on the same cases.

Both functions take the two runs' values for the same cases in the same order, as
returned by align_cases, and report the candidate minus the baseline. scipy.stats is
imported inside the functions that need it, because the import took about 0.8 s on a
2-vCPU virtual machine.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from evalgauge.stats._agreement import BinaryValues, as_binary_array
from evalgauge.stats._intervals import (
    _validate_confidence,
    bootstrap_mean_interval,
    wilson_interval,
)

McNemarTest = Literal["exact", "chi-square"]
"""The McNemar variant behind a p-value: the exact binomial test on the discordant pairs,
or the chi-square test with Edwards' continuity correction."""

PAIRED_BINARY_CI_METHOD = "newcombe-paired-score"
PAIRED_NUMERIC_CI_METHOD = "paired-bootstrap-percentile"

_MIN_DISCORDANT_FOR_CHI_SQUARE = 25
"""Discordant pairs below which the exact binomial test replaces the chi-square approximation."""

_MAX_DISTINCT_SHARE_FOR_COUNTS = 1 / 32
"""Largest share of distinct differences for which the bootstrap draws value counts.

With numpy 2.4 on a 2-vCPU AMD EPYC virtual machine, one binomial draw inside
Generator.multinomial took about 20 times as long as drawing and gathering one resampled
index. So the counts pay off only when values repeat a lot, and the share leaves a margin
below that break-even estimate.
"""

_MAX_COUNTS_PER_CHUNK = 2_000_000
"""Multinomial counts held at once by the counts bootstrap: 16 MB of int64."""


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


@dataclass(frozen=True, slots=True)
class NumericComparison:
    """Mean scores of a baseline and a candidate run on the same `n` cases, and their change.

    `delta` is the mean of the per-case differences `cand - base`. `ci_low` and `ci_high`
    bound its paired percentile bootstrap interval at `confidence`, from `iterations`
    draws seeded with `seed`. `wilcoxon_p` is the two-sided p-value of the Wilcoxon
    signed-rank test, which leaves out the `zero_differences` cases with equal scores.
    """

    n: int
    base_mean: float
    cand_mean: float
    delta: float
    ci_low: float
    ci_high: float
    confidence: float
    ci_method: str
    iterations: int
    seed: int
    wilcoxon_p: float
    zero_differences: int


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


def compare_numeric(
    base: Sequence[float] | NDArray[np.floating] | NDArray[np.integer],
    cand: Sequence[float] | NDArray[np.floating] | NDArray[np.integer],
    *,
    confidence: float = 0.95,
    iterations: int = 2000,
    seed: int = 0,
) -> NumericComparison:
    """Compare paired numeric values, such as scores, latencies or costs, of the same cases.

    The interval is a percentile bootstrap of the mean difference that resamples cases
    with replacement, so each draw keeps a case's two values together. Draws are seeded
    with numpy.random.default_rng(seed). When at most one in 32 differences is distinct,
    as with scores on a fixed scale, each draw samples the count of every distinct
    difference from a multinomial. That gives the same distribution as resampling indices
    at lower cost, but other draws than bootstrap_mean_interval for the same seed.
    Otherwise each draw resamples n indices with bootstrap_mean_interval.

    The p-value comes from scipy.stats.wilcoxon with its defaults, which drop the zero
    differences. In scipy 1.17 the p-value is then exact for up to 50 cases without ties
    or zeros, exact by permutation for up to 13 cases with them, and otherwise from the
    normal approximation. When every difference is zero the p-value is 1.0.

    NOTE: With continuous values the bootstrap draws n * iterations indices. For 100,000
    cases and 2000 draws that took about 2 s on a 2-vCPU virtual machine
    (benchmarks/paired_stats.py), so lower `iterations` where that is too slow.

    Raises ValueError when the inputs are empty, not one-dimensional, differ in length or
    contain NaN or infinity, or when an option is invalid.
    """
    _validate_confidence(confidence)
    _validate_bootstrap_options(iterations, seed)
    base_values = _as_finite_values(base, "base")
    cand_values = _as_finite_values(cand, "cand")
    if base_values.size != cand_values.size:
        raise ValueError(
            f"base has {base_values.size} values but cand has {cand_values.size}; pass "
            "the two runs' values on the same cases in the same order, e.g. from align_cases"
        )
    n = int(base_values.size)
    if n == 0:
        raise ValueError(
            "base and cand are empty, so there is no paired case to compare; check that "
            "both runs scored some of the same case ids"
        )

    differences = cand_values - base_values
    ci_low, ci_high = _bootstrap_mean_difference(differences, confidence, iterations, seed)
    nonzero = int(np.count_nonzero(differences))
    if nonzero == 0:
        wilcoxon_p = 1.0
    else:
        from scipy.stats import wilcoxon

        wilcoxon_p = float(wilcoxon(differences).pvalue)
    return NumericComparison(
        n=n,
        base_mean=float(np.mean(base_values)),
        cand_mean=float(np.mean(cand_values)),
        delta=float(np.mean(differences)),
        ci_low=ci_low,
        ci_high=ci_high,
        confidence=float(confidence),
        ci_method=PAIRED_NUMERIC_CI_METHOD,
        iterations=int(iterations),
        seed=int(seed),
        wilcoxon_p=wilcoxon_p,
        zero_differences=n - nonzero,
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


def _bootstrap_mean_difference(
    differences: NDArray[np.float64], confidence: float, iterations: int, seed: int
) -> tuple[float, float]:
    distinct, counts = np.unique(differences, return_counts=True)
    if distinct.size > _MAX_DISTINCT_SHARE_FOR_COUNTS * differences.size:
        return bootstrap_mean_interval(
            differences, confidence=confidence, iterations=iterations, seed=seed
        )

    # Resampling n cases with replacement only matters through how often each distinct
    # difference is drawn, and those counts follow Multinomial(n, observed shares).
    rng = np.random.default_rng(seed)
    n = differences.size
    shares = counts / n
    draws_per_chunk = max(1, min(iterations, _MAX_COUNTS_PER_CHUNK // distinct.size))
    means = np.empty(iterations, dtype=np.float64)
    for start in range(0, iterations, draws_per_chunk):
        draws = min(draws_per_chunk, iterations - start)
        drawn_counts = rng.multinomial(n, shares, size=draws)
        means[start : start + draws] = drawn_counts @ distinct / n

    alpha = 1 - confidence
    low, high = np.percentile(means, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return float(low), float(high)


def _validate_bootstrap_options(iterations: int, seed: int) -> None:
    if isinstance(iterations, bool) or not isinstance(iterations, int | np.integer):
        raise ValueError(f"iterations must be an integer, got {iterations!r}")
    if iterations <= 0:
        raise ValueError(
            f"iterations must be positive, got {iterations}; use e.g. 2000 bootstrap draws"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")


def _as_finite_values(
    values: Sequence[float] | NDArray[np.floating] | NDArray[np.integer], name: str
) -> NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got an array of shape {array.shape}")
    finite = np.isfinite(array)
    if not finite.all():
        index = int(np.flatnonzero(~finite)[0])
        raise ValueError(
            f"{name}[{index}] is {array[index]}; drop unscored cases first, e.g. with align_cases"
        )
    return array
