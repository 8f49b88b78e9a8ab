"""Paired comparison of numeric values of a candidate run and a baseline run.

compare_numeric takes the two runs' values for the same cases in the same order, as
returned by align_cases, and reports the candidate minus the baseline. scipy.stats is
imported inside the function, because the import took about 0.8 s on a 2-vCPU virtual
machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from evalgauge.stats._intervals import _validate_confidence, bootstrap_mean_interval

PAIRED_NUMERIC_CI_METHOD = "paired-bootstrap-percentile"
PAIRED_NUMERIC_NORMAL_METHOD = "paired-normal"

LARGE_SAMPLE = 20_000
"""Paired cases from which continuous differences get the normal interval, not the bootstrap.

The percentile bootstrap of a mean converges to the normal interval as n grows; at 20,000
cases the two differ by far less than the interval's own width, and the bootstrap of
100,000 continuous differences took about 1.7 s (benchmarks/paired_stats.py).
"""

_MAX_DISTINCT_SHARE_FOR_COUNTS = 1 / 32
"""Largest share of distinct differences for which the bootstrap draws value counts.

With numpy 2.4 on a 2-vCPU AMD EPYC virtual machine, one binomial draw inside
Generator.multinomial took about 20 times as long as drawing and gathering one resampled
index. So the counts pay off only when values repeat a lot, and the share leaves a margin
below that break-even estimate.
"""

_MAX_COUNTS_PER_CHUNK = 2_000_000
"""Multinomial counts held at once by the counts bootstrap: 16 MB of int64."""


@dataclass(frozen=True, slots=True)
class NumericComparison:
    """Mean values of a baseline and a candidate run on the same `n` cases, and their change.

    `delta` is the mean of the per-case differences `cand - base`. `ci_low` and `ci_high`
    bound its paired percentile bootstrap interval at `confidence`, from `iterations`
    draws seeded with `seed`. `wilcoxon_p` is the two-sided p-value of the Wilcoxon
    signed-rank test, which leaves out the `zero_differences` cases with equal values.
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
    Otherwise each draw resamples n indices with bootstrap_mean_interval, unless there are
    LARGE_SAMPLE cases or more: then the interval is the normal one, mean ± z · sd / sqrt(n),
    and `ci_method` says so.

    The p-value comes from scipy.stats.wilcoxon with its defaults, which drop the zero
    differences. In scipy 1.17 the p-value is then exact for up to 50 cases without ties
    or zeros, exact by permutation for up to 13 cases with them, and otherwise from the
    normal approximation. When every difference is zero the p-value is 1.0.

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
    ci_method = PAIRED_NUMERIC_CI_METHOD
    if n >= LARGE_SAMPLE and np.unique(differences).size > _MAX_DISTINCT_SHARE_FOR_COUNTS * n:
        ci_method = PAIRED_NUMERIC_NORMAL_METHOD
        ci_low, ci_high = _normal_mean_interval(differences, confidence)
    else:
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
        ci_method=ci_method,
        iterations=int(iterations),
        seed=int(seed),
        wilcoxon_p=wilcoxon_p,
        zero_differences=n - nonzero,
    )


def _normal_mean_interval(
    differences: NDArray[np.float64], confidence: float
) -> tuple[float, float]:
    from statistics import NormalDist

    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    mean = float(np.mean(differences))
    half = z * float(np.std(differences, ddof=1)) / float(np.sqrt(differences.size))
    return mean - half, mean + half


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
