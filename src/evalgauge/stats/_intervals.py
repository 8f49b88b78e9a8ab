"""Confidence intervals for proportions and means, and percentiles for latency."""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

import numpy as np
from numpy.typing import NDArray

_MAX_RESAMPLED_VALUES_PER_CHUNK = 2_000_000
"""Resampled values held at once by the bootstrap: 16 MB of int64 indices plus 16 MB of values."""


def _validate_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(
            f"confidence must be strictly between 0 and 1, got {confidence!r}; "
            "use e.g. 0.95 for a 95% interval"
        )


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Return the Wilson score interval for `successes` out of `n` trials.

    Raises ValueError when n is 0 or negative, when successes is outside [0, n], or when
    confidence is not strictly between 0 and 1.
    """
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}; a proportion of 0 trials is undefined")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n = {n}, got {successes}")
    _validate_confidence(confidence)
    # The stdlib normal quantile: importing scipy.stats would cost about half a second.
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    proportion = successes / n
    z_squared_over_n = z * z / n
    denominator = 1 + z_squared_over_n
    center = (proportion + z_squared_over_n / 2) / denominator
    half_width = (
        z * math.sqrt(proportion * (1 - proportion) / n + z_squared_over_n / (4 * n)) / denominator
    )
    # When successes is 0 or n the exact bound is 0 or 1; floating point misses it by 1e-17.
    low = 0.0 if successes == 0 else max(0.0, center - half_width)
    high = 1.0 if successes == n else min(1.0, center + half_width)
    return low, high


def bootstrap_mean_interval(
    values: Sequence[float] | NDArray[np.floating] | NDArray[np.integer],
    *,
    confidence: float = 0.95,
    iterations: int = 2000,
    seed: int = 0,
) -> tuple[float, float]:
    """Return a percentile bootstrap interval for the mean of `values`.

    Draws are seeded with numpy.random.default_rng(seed) and processed in chunks that hold
    at most about two million resampled values. The percentiles use numpy's default linear
    interpolation. Raises ValueError when values is empty or not finite, or when an option
    is invalid.
    """
    _validate_confidence(confidence)
    if iterations <= 0:
        raise ValueError(f"iterations must be positive, got {iterations}")
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"values must be one-dimensional, got an array of shape {array.shape}")
    if array.size == 0:
        raise ValueError("values is empty; the mean of no values has no interval")
    if not np.all(np.isfinite(array)):
        index = int(np.flatnonzero(~np.isfinite(array))[0])
        raise ValueError(f"values[{index}] is {array[index]}; drop missing values first")

    rng = np.random.default_rng(seed)
    draws_per_chunk = max(1, min(iterations, _MAX_RESAMPLED_VALUES_PER_CHUNK // array.size))
    means = np.empty(iterations, dtype=np.float64)
    for start in range(0, iterations, draws_per_chunk):
        draws = min(draws_per_chunk, iterations - start)
        indices = rng.integers(0, array.size, size=(draws, array.size))
        means[start : start + draws] = array[indices].mean(axis=1)

    alpha = 1 - confidence
    low, high = np.percentile(means, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return float(low), float(high)


def percentiles(
    values: Sequence[float] | NDArray[np.floating] | NDArray[np.integer],
    qs: Sequence[float] = (50, 95, 99),
) -> dict[str, float | None]:
    """Return the percentiles `qs` of `values`, keyed "p50", "p95", "p99.9" and so on.

    Uses numpy's default linear interpolation. Empty values give None for every key.
    Raises ValueError when a q is outside [0, 100] or a value is NaN.
    """
    keys = [f"p{q:g}" for q in qs]
    for q in qs:
        if not 0 <= q <= 100:
            raise ValueError(f"percentile {q!r} is outside [0, 100]")
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"values must be one-dimensional, got an array of shape {array.shape}")
    if array.size == 0:
        return dict.fromkeys(keys)
    if np.any(np.isnan(array)):
        index = int(np.flatnonzero(np.isnan(array))[0])
        raise ValueError(f"values[{index}] is NaN; drop missing values first")
    results = np.percentile(array, list(qs))
    return {key: float(result) for key, result in zip(keys, results, strict=True)}
