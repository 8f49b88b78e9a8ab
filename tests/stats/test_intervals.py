import numpy as np
import pytest
from scipy.stats import binomtest

from evalgauge.stats import bootstrap_mean_interval, percentiles, wilson_interval


def test_wilson_eight_of_ten():
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=5e-4)
    assert high == pytest.approx(0.9433, abs=5e-4)


@pytest.mark.parametrize(
    ("successes", "n", "confidence"),
    [(0, 5, 0.95), (3, 7, 0.9), (50, 100, 0.99), (999, 1000, 0.95), (12, 12, 0.8)],
)
def test_wilson_matches_scipy(successes, n, confidence):
    expected = binomtest(successes, n).proportion_ci(confidence, method="wilson")
    low, high = wilson_interval(successes, n, confidence)
    assert low == pytest.approx(expected.low, abs=1e-12)
    assert high == pytest.approx(expected.high, abs=1e-12)


def test_wilson_extremes_stay_in_unit_interval():
    zero_low, _ = wilson_interval(0, 20)
    _, full_high = wilson_interval(20, 20)
    assert zero_low == 0.0
    assert full_high == 1.0


def test_wilson_higher_confidence_is_wider():
    narrow = wilson_interval(30, 100, 0.8)
    wide = wilson_interval(30, 100, 0.99)
    assert wide[0] < narrow[0]
    assert wide[1] > narrow[1]


@pytest.mark.parametrize(
    ("successes", "n", "confidence", "fragment"),
    [
        (0, 0, 0.95, "n must be positive"),
        (5, 4, 0.95, "successes must be between 0 and n = 4"),
        (-1, 4, 0.95, "successes must be between 0 and n = 4"),
        (1, 4, 1.0, "confidence must be strictly between 0 and 1"),
    ],
)
def test_wilson_invalid_raises(successes, n, confidence, fragment):
    with pytest.raises(ValueError, match=fragment):
        wilson_interval(successes, n, confidence)


def test_bootstrap_brackets_mean():
    values = np.random.default_rng(0).normal(10.0, 2.0, size=300)
    low, high = bootstrap_mean_interval(values)
    assert low < values.mean() < high
    assert high - low < 1.0


def test_bootstrap_width_near_normal_theory():
    values = np.random.default_rng(1).normal(0.0, 1.0, size=400)
    low, high = bootstrap_mean_interval(values, iterations=5000)
    expected_width = 2 * 1.96 * values.std() / np.sqrt(values.size)
    assert high - low == pytest.approx(expected_width, rel=0.1)


def test_bootstrap_seeded():
    values = np.random.default_rng(4).normal(size=30)
    assert bootstrap_mean_interval(values, seed=3) == bootstrap_mean_interval(values, seed=3)
    assert bootstrap_mean_interval(values, seed=3) != bootstrap_mean_interval(values, seed=4)


def test_bootstrap_chunked_large_input():
    values = np.random.default_rng(2).exponential(1.0, size=50_000)
    low, high = bootstrap_mean_interval(values, iterations=200)
    assert low < values.mean() < high


def test_bootstrap_single_value():
    assert bootstrap_mean_interval([3.5]) == (3.5, 3.5)


@pytest.mark.parametrize(
    ("values", "options", "fragment"),
    [
        ([], {}, "values is empty"),
        ([1.0, float("nan")], {}, r"values\[1\] is nan"),
        ([1.0], {"iterations": 0}, "iterations must be positive"),
        ([1.0], {"confidence": 0.0}, "confidence must be strictly between 0 and 1"),
    ],
)
def test_bootstrap_invalid_raises(values, options, fragment):
    with pytest.raises(ValueError, match=fragment):
        bootstrap_mean_interval(values, **options)


def test_percentiles_default_keys():
    result = percentiles(np.arange(1, 101, dtype=float))
    assert list(result) == ["p50", "p95", "p99"]
    assert result["p50"] == pytest.approx(50.5)
    assert result["p95"] == pytest.approx(95.05)
    assert result["p99"] == pytest.approx(99.01)


def test_percentiles_custom_keys():
    result = percentiles([10, 20, 30], (0, 99.9, 100))
    assert result == {"p0": 10.0, "p99.9": pytest.approx(29.98), "p100": 30.0}


def test_percentiles_empty_gives_none():
    assert percentiles([]) == {"p50": None, "p95": None, "p99": None}


def test_percentiles_invalid_raises():
    with pytest.raises(ValueError, match="outside"):
        percentiles([1.0], (101,))
    with pytest.raises(ValueError, match="NaN"):
        percentiles([1.0, float("nan")])
