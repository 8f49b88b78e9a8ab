import math

import numpy as np
import pytest
from scipy.stats import binomtest, chi2, fisher_exact, norm, wilcoxon

from evalgauge.stats import (
    align_cases,
    bootstrap_mean_interval,
    compare_binary,
    compare_numeric,
    compare_unpaired_rates,
    wilson_interval,
)
from evalgauge.stats._paired import mcnemar_chi_square_p_value

NAN = float("nan")


def paired_table(both: int, fixed: int, regressed: int, neither: int):
    """Build baseline and candidate verdicts with the given counts of each pair.

    `fixed` cases fail in the baseline and pass in the candidate, `regressed` the reverse.
    """
    base = np.array([True] * both + [False] * fixed + [True] * regressed + [False] * neither)
    cand = np.array([True] * both + [True] * fixed + [False] * regressed + [False] * neither)
    return base, cand


# Alignment


def test_align_pairs_common_scored_ids():
    aligned = align_cases(
        np.array(["a", "b", "c", "d", "e"], dtype=object),
        np.array([0.1, 0.2, NAN, 0.4, 0.5]),
        np.array(["e", "c", "x", "a", "b", "y"], dtype=object),
        np.array([0.55, 0.35, 0.9, 0.15, NAN, 0.8]),
    )
    assert aligned.ids.tolist() == ["a", "e"]
    assert aligned.base.tolist() == [0.1, 0.5]
    assert aligned.cand.tolist() == [0.15, 0.55]
    assert aligned.n == 2
    assert aligned.only_in_base == 1
    assert aligned.only_in_candidate == 2
    assert aligned.unscored == 2


def test_align_keeps_baseline_order():
    base_ids = np.array(["z", "m", "a", "q"])
    cand_ids = np.array(["a", "q", "z", "m"])
    aligned = align_cases(base_ids, [1.0, 2.0, 3.0, 4.0], cand_ids, [30.0, 40.0, 10.0, 20.0])
    assert aligned.ids.tolist() == ["z", "m", "a", "q"]
    assert aligned.base.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert aligned.cand.tolist() == [10.0, 20.0, 30.0, 40.0]


def test_align_mixes_object_and_str_ids():
    aligned = align_cases(
        np.array(["case-1", "case-2"], dtype=object),
        [1.0, 0.0],
        np.array(["case-2", "case-1"], dtype=np.str_),
        [1.0, 1.0],
    )
    assert aligned.ids.tolist() == ["case-1", "case-2"]
    assert aligned.cand.tolist() == [1.0, 1.0]


def test_align_accepts_python_lists():
    aligned = align_cases(["a", "b"], [1.0, 2.0], ["b"], [3.0])
    assert aligned.ids.tolist() == ["b"]
    assert aligned.base.tolist() == [2.0]
    assert aligned.only_in_base == 1


def test_align_no_common_ids():
    aligned = align_cases(["a", "b"], [1.0, 2.0], ["c"], [3.0])
    assert aligned.n == 0
    assert aligned.base.size == 0
    assert aligned.only_in_base == 2
    assert aligned.only_in_candidate == 1
    assert aligned.unscored == 0


def test_align_empty_runs():
    aligned = align_cases(np.array([], dtype=object), [], np.array([], dtype=object), [])
    assert aligned.n == 0
    assert aligned.only_in_base == 0
    assert aligned.only_in_candidate == 0


def test_align_empty_candidate():
    aligned = align_cases(["a", "b"], [1.0, 2.0], [], [])
    assert aligned.n == 0
    assert aligned.only_in_base == 2
    assert aligned.only_in_candidate == 0


def test_align_results_read_only():
    aligned = align_cases(["a"], [1.0], ["a"], [2.0])
    with pytest.raises(ValueError, match="read-only"):
        aligned.base[0] = 5.0
    with pytest.raises(ValueError, match="read-only"):
        aligned.ids[0] = "b"


@pytest.mark.parametrize("side", ["base", "cand"])
def test_align_rejects_duplicate_ids(side):
    unique = np.array(["a", "b", "c"], dtype=object)
    repeated = np.array(["a", "b", "a"], dtype=object)
    values = np.array([1.0, 2.0, 3.0])
    if side == "base":
        arguments = (repeated, values, unique, values)
    else:
        arguments = (unique, values, repeated, values)
    with pytest.raises(ValueError, match=rf"{side}_ids contains the id 'a' more than once"):
        align_cases(*arguments)


def test_align_counts_repeated_ids():
    with pytest.raises(ValueError, match=r"2 id\(s\) repeated"):
        align_cases(["a", "b", "a", "b", "b"], [1.0] * 5, ["a"], [1.0])


def test_align_rejects_length_mismatch():
    with pytest.raises(ValueError, match="cand_values has 1 values but cand_ids has 2 ids"):
        align_cases(["a"], [1.0], ["a", "b"], [1.0])


def test_align_rejects_non_numeric_values():
    with pytest.raises(ValueError, match="base_values must contain numbers"):
        align_cases(["a"], ["high"], ["a"], [1.0])


def test_align_rejects_two_dimensional_ids():
    with pytest.raises(ValueError, match="base_ids must be one-dimensional"):
        align_cases(np.array([["a"]]), [1.0], ["a"], [1.0])


# McNemar's test


@pytest.mark.parametrize(("b", "c"), [(1, 0), (0, 3), (5, 2), (12, 5), (3, 9), (12, 12), (24, 0)])
def test_mcnemar_exact_matches_scipy(b, c):
    base, cand = paired_table(both=40, fixed=c, regressed=b, neither=10)
    result = compare_binary(base, cand)
    expected = binomtest(b, b + c, 0.5).pvalue
    assert result.b == b
    assert result.c == c
    assert result.test == "exact"
    assert result.p_value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("b", "c"), [(25, 0), (13, 12), (20, 10), (150, 86), (40, 40), (7, 60)])
def test_mcnemar_chi_square_matches_scipy(b, c):
    base, cand = paired_table(both=100, fixed=c, regressed=b, neither=30)
    result = compare_binary(base, cand)
    statistic = max(abs(b - c) - 1, 0) ** 2 / (b + c)
    assert result.test == "chi-square"
    assert result.p_value == pytest.approx(chi2.sf(statistic, 1), rel=1e-12)


def test_mcnemar_switches_at_25_discordant():
    below = compare_binary(*paired_table(both=10, fixed=4, regressed=20, neither=10))
    at = compare_binary(*paired_table(both=10, fixed=5, regressed=20, neither=10))
    assert below.test == "exact"
    assert at.test == "chi-square"


def test_mcnemar_textbook_tuberculosis_media():
    # Armitage and Berry (1994, p. 127), as worked by StatsDirect's McNemar help page:
    # 50 sputum specimens on two media, 12 grew on A only and 2 on B only. The exact
    # two-sided p is 2 * (1 + 14 + 91) / 2^14 = 0.0129, and the continuity-corrected
    # chi-square 5.785714 gives P = 0.0162.
    base, cand = paired_table(both=20, fixed=2, regressed=12, neither=16)
    result = compare_binary(base, cand)
    assert result.test == "exact"
    assert result.p_value == pytest.approx(212 / 2**14, rel=1e-12)
    assert round(result.p_value, 4) == 0.0129
    assert round(mcnemar_chi_square_p_value(12, 2), 4) == 0.0162
    assert chi2.isf(mcnemar_chi_square_p_value(12, 2), 1) == pytest.approx(5.785714, abs=1e-6)


def test_mcnemar_chi_square_equal_counts_gives_one():
    assert mcnemar_chi_square_p_value(30, 30) == 1.0


# Newcombe's paired interval


@pytest.mark.parametrize(
    ("both", "fixed", "regressed", "neither", "low", "high"),
    [
        # Newcombe (1998, Statistics in Medicine 17, 2635-2650), method 10, as checked
        # by the test suite of the R package propint.
        (36, 12, 2, 0, 0.0569, 0.3404),
        (18, 12, 2, 18, 0.0562, 0.3290),
        (53, 0, 0, 1, -0.0729, 0.0729),
        (0, 30, 0, 0, 0.8395, 1.0),
        # Cavo et al. (2012) in Fagerland, Lydersen and Laake, "Statistical Analysis of
        # Contingency Tables" (2017), as checked by the R package contingencytables.
        (59, 6, 16, 80, -0.1186, -0.0046),
    ],
)
def test_newcombe_paired_published_examples(both, fixed, regressed, neither, low, high):
    result = compare_binary(*paired_table(both, fixed, regressed, neither))
    assert result.delta == pytest.approx((fixed - regressed) / (both + fixed + regressed + neither))
    assert result.ci_low == pytest.approx(low, abs=5e-5)
    assert result.ci_high == pytest.approx(high, abs=5e-5)
    assert result.ci_method == "newcombe-paired-score"


def test_binary_rates_and_delta():
    result = compare_binary(*paired_table(both=50, fixed=5, regressed=15, neither=30))
    assert result.n == 100
    assert result.base_rate == pytest.approx(0.65)
    assert result.cand_rate == pytest.approx(0.55)
    assert result.delta == pytest.approx(-0.10)
    assert result.ci_low < result.delta < result.ci_high
    assert result.confidence == 0.95


def test_binary_higher_confidence_is_wider():
    base, cand = paired_table(both=50, fixed=5, regressed=15, neither=30)
    narrow = compare_binary(base, cand, confidence=0.8)
    wide = compare_binary(base, cand, confidence=0.99)
    assert wide.ci_low < narrow.ci_low
    assert wide.ci_high > narrow.ci_high


def test_binary_regressed_indices():
    base = np.array([1, 1, 0, 1, 0, 1], dtype=bool)
    cand = np.array([1, 0, 1, 0, 0, 1], dtype=bool)
    result = compare_binary(base, cand)
    assert result.regressed_indices.tolist() == [1, 3]
    assert result.b == 2
    assert result.c == 1
    with pytest.raises(ValueError, match="read-only"):
        result.regressed_indices[0] = 0


def test_binary_regressed_ids_from_alignment():
    aligned = align_cases(
        ["q1", "q2", "q3", "q4"],
        [1.0, 1.0, 0.0, 1.0],
        ["q4", "q3", "q2", "q1"],
        [0.0, 1.0, 1.0, 0.0],
    )
    result = compare_binary(aligned.base, aligned.cand)
    assert aligned.ids[result.regressed_indices].tolist() == ["q1", "q4"]


def test_binary_all_pass_both_sides():
    result = compare_binary(np.ones(50, dtype=bool), np.ones(50, dtype=bool))
    wilson_low, _ = wilson_interval(50, 50)
    assert result.base_rate == 1.0
    assert result.cand_rate == 1.0
    assert result.delta == 0.0
    assert result.b == 0
    assert result.c == 0
    assert result.p_value == 1.0
    assert result.test == "exact"
    assert result.regressed_indices.size == 0
    assert result.ci_low == pytest.approx(-(1 - wilson_low), abs=1e-12)
    assert result.ci_high == pytest.approx(1 - wilson_low, abs=1e-12)


def test_binary_no_discordant_pairs():
    result = compare_binary(*paired_table(both=30, fixed=0, regressed=0, neither=20))
    assert result.delta == 0.0
    assert result.p_value == 1.0
    assert result.test == "exact"
    assert result.ci_low < 0 < result.ci_high


def test_binary_single_case():
    result = compare_binary([True], [False])
    assert result.delta == -1.0
    assert result.ci_low >= -1.0
    assert result.ci_high <= 1.0
    assert result.p_value == 1.0


@pytest.mark.parametrize(
    ("base", "cand", "fragment"),
    [
        ([], [], "base and cand are empty"),
        ([True, False], [True], "base has 2 verdicts but cand has 1"),
        ([0.5], [1.0], r"base\[0\] is 0.5"),
    ],
)
def test_binary_invalid_raises(base, cand, fragment):
    with pytest.raises(ValueError, match=fragment):
        compare_binary(base, cand)


def test_binary_invalid_confidence_raises():
    with pytest.raises(ValueError, match="confidence must be strictly between 0 and 1"):
        compare_binary([True], [True], confidence=1.5)


# Paired numeric comparison


def test_numeric_bootstrap_covers_true_difference():
    rng = np.random.default_rng(11)
    base = rng.normal(0.6, 0.1, size=3000)
    cand = base + rng.normal(0.03, 0.05, size=3000)
    result = compare_numeric(base, cand, seed=5)
    assert result.ci_low < 0.03 < result.ci_high
    assert result.ci_low < result.delta < result.ci_high
    assert result.delta == pytest.approx(np.mean(cand - base))
    assert result.base_mean == pytest.approx(base.mean())
    assert result.cand_mean == pytest.approx(cand.mean())


def test_numeric_width_near_normal_theory():
    rng = np.random.default_rng(12)
    base = rng.exponential(1.0, size=2000)
    cand = base + rng.normal(0.0, 0.5, size=2000)
    result = compare_numeric(base, cand, iterations=5000)
    differences = cand - base
    expected_width = 2 * 1.96 * differences.std() / math.sqrt(differences.size)
    assert result.ci_high - result.ci_low == pytest.approx(expected_width, rel=0.1)


def test_numeric_deterministic_for_seed():
    rng = np.random.default_rng(13)
    base = rng.normal(size=500)
    cand = base + rng.normal(0.1, 1.0, size=500)
    first = compare_numeric(base, cand, seed=3)
    again = compare_numeric(base, cand, seed=3)
    other = compare_numeric(base, cand, seed=4)
    assert first == again
    assert (first.ci_low, first.ci_high) != (other.ci_low, other.ci_high)
    assert first.seed == 3
    assert first.iterations == 2000


def test_numeric_discrete_scores_match_index_bootstrap():
    # Scores on a five-point scale repeat a lot, so the bootstrap draws counts per
    # distinct difference. Its interval must agree with resampling indices.
    rng = np.random.default_rng(14)
    base = rng.integers(1, 6, size=4000) / 5
    cand = np.clip(base + rng.choice([-0.2, 0.0, 0.2], p=[0.2, 0.5, 0.3], size=4000), 0.2, 1.0)
    result = compare_numeric(base, cand, iterations=5000, seed=1)
    index_low, index_high = bootstrap_mean_interval(cand - base, iterations=5000, seed=1)
    assert (result.ci_low, result.ci_high) != (index_low, index_high)
    assert result.ci_low == pytest.approx(index_low, abs=0.002)
    assert result.ci_high == pytest.approx(index_high, abs=0.002)
    assert result.ci_low < result.delta < result.ci_high


def test_numeric_discrete_deterministic_for_seed():
    base = np.tile([0.0, 1.0, 1.0, 0.0], 500)
    cand = np.tile([1.0, 1.0, 0.0, 1.0], 500)
    first = compare_numeric(base, cand, seed=8)
    assert first == compare_numeric(base, cand, seed=8)
    assert first != compare_numeric(base, cand, seed=9)


def test_numeric_discrete_covers_true_difference():
    rng = np.random.default_rng(15)
    base = (rng.random(20_000) < 0.7).astype(float)
    cand = (rng.random(20_000) < 0.72).astype(float)
    result = compare_numeric(base, cand)
    assert result.ci_low < 0.02 < result.ci_high


def test_numeric_wilcoxon_matches_scipy():
    rng = np.random.default_rng(16)
    base = rng.normal(size=200)
    cand = base + rng.normal(0.2, 1.0, size=200)
    cand[:10] = base[:10]
    result = compare_numeric(base, cand)
    assert result.wilcoxon_p == pytest.approx(wilcoxon(cand - base).pvalue, rel=1e-12)
    assert result.zero_differences == 10


def test_numeric_wilcoxon_small_exact():
    base = np.zeros(10)
    cand = np.arange(1.0, 11.0)
    result = compare_numeric(base, cand)
    # Every difference is positive, so the exact two-sided p is 2 / 2^10.
    assert result.wilcoxon_p == pytest.approx(2 / 2**10, rel=1e-12)


def test_numeric_all_zero_differences():
    values = np.linspace(0.0, 1.0, 40)
    result = compare_numeric(values, values.copy())
    assert result.delta == 0.0
    assert result.ci_low == 0.0
    assert result.ci_high == 0.0
    assert result.wilcoxon_p == 1.0
    assert result.zero_differences == 40


def test_numeric_single_case():
    result = compare_numeric([1.0], [3.5])
    assert result.delta == 2.5
    assert result.ci_low == 2.5
    assert result.ci_high == 2.5


@pytest.mark.parametrize(
    ("base", "cand", "options", "fragment"),
    [
        ([], [], {}, "base and cand are empty"),
        ([1.0, 2.0], [1.0], {}, "base has 2 values but cand has 1"),
        ([1.0, NAN], [1.0, 2.0], {}, r"base\[1\] is nan"),
        ([1.0], [float("inf")], {}, r"cand\[0\] is inf"),
        ([[1.0]], [[1.0]], {}, "base must be one-dimensional"),
        ([1.0], [1.0], {"iterations": 0}, "iterations must be positive"),
        ([1.0], [1.0], {"iterations": 10.5}, "iterations must be an integer"),
        ([1.0], [1.0], {"seed": -1}, "seed must be a non-negative integer"),
        ([1.0], [1.0], {"confidence": 0.0}, "confidence must be strictly between 0 and 1"),
    ],
)
def test_numeric_invalid_raises(base, cand, options, fragment):
    with pytest.raises(ValueError, match=fragment):
        compare_numeric(base, cand, **options)


# Unpaired pass rates


@pytest.mark.parametrize(
    ("base_passed", "base_n", "cand_passed", "cand_n", "low", "high"),
    [
        # Newcombe (1998, Statistics in Medicine 17, 873-890), method 10, as checked by
        # the test suite of the R package propint: 56/70 - 48/80 and 9/10 - 3/10.
        (48, 80, 56, 70, 0.0524, 0.3339),
        (3, 10, 9, 10, 0.1705, 0.8090),
        # Perondi et al. (2004) in Fagerland, Lydersen and Laake (2017), as checked by
        # the R package contingencytables: 7/34 - 1/34.
        (1, 34, 7, 34, 0.0189, 0.3404),
    ],
)
def test_newcombe_unpaired_published_examples(base_passed, base_n, cand_passed, cand_n, low, high):
    result = compare_unpaired_rates(base_passed, base_n, cand_passed, cand_n)
    assert result.delta == pytest.approx(cand_passed / cand_n - base_passed / base_n)
    assert result.ci_low == pytest.approx(low, abs=5e-5)
    assert result.ci_high == pytest.approx(high, abs=5e-5)
    assert result.ci_method == "newcombe-hybrid-score"


def test_unpaired_fisher_textbook_example():
    # Ritland et al. (2007) in Fagerland, Lydersen and Laake (2017): 0/16 against 15/72,
    # Fisher's exact test P = 0.06287.
    result = compare_unpaired_rates(15, 72, 0, 16)
    assert result.test == "fisher-exact"
    assert round(result.p_value, 5) == 0.06287
    assert result.p_value == pytest.approx(fisher_exact([[15, 57], [0, 16]]).pvalue, rel=1e-12)


def test_unpaired_z_test_matches_normal():
    result = compare_unpaired_rates(480, 1000, 530, 1000)
    pooled = 1010 / 2000
    z = 0.05 / math.sqrt(pooled * (1 - pooled) * (2 / 1000))
    assert result.test == "z-test"
    assert result.p_value == pytest.approx(2 * norm.sf(z), rel=1e-9)
    assert result.ci_low < 0.05 < result.ci_high


def test_unpaired_small_expected_count_uses_fisher():
    result = compare_unpaired_rates(1, 40, 4, 40)
    assert result.test == "fisher-exact"
    assert result.p_value == pytest.approx(fisher_exact([[1, 39], [4, 36]]).pvalue, rel=1e-12)


def test_unpaired_no_passes_either_side():
    result = compare_unpaired_rates(0, 20, 0, 10)
    assert result.delta == 0.0
    assert result.p_value == 1.0
    assert result.test == "fisher-exact"
    assert result.ci_low < 0 < result.ci_high


def test_unpaired_all_pass_both_sides():
    result = compare_unpaired_rates(2000, 2000, 1000, 1000)
    assert result.p_value == 1.0
    assert result.ci_low < 0 < result.ci_high
    assert result.ci_high <= 1.0


def test_unpaired_accepts_numpy_counts():
    result = compare_unpaired_rates(np.int64(5), np.int64(10), 6, 10)
    assert result.base_n == 10
    assert result.delta == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        ((0, 0, 1, 2), "base_n must be positive"),
        ((1, 2, 3, 2), "cand_passed must be between 0 and cand_n = 2"),
        ((1.5, 2, 1, 2), "base_passed must be an integer count"),
        ((True, 2, 1, 2), "base_passed must be an integer count"),
    ],
)
def test_unpaired_invalid_raises(arguments, fragment):
    with pytest.raises(ValueError, match=fragment):
        compare_unpaired_rates(*arguments)


# 100,000 cases


def test_hundred_thousand_cases():
    n = 100_000
    rng = np.random.default_rng(17)
    ids = np.array([f"case-{i}" for i in range(n)], dtype=object)
    order = rng.permutation(n)
    base_passed = np.zeros(n, dtype=bool)
    base_passed[:80_000] = True
    cand_passed = base_passed.copy()
    cand_passed[:3000] = False
    cand_passed[80_000:81_000] = True

    aligned = align_cases(ids, base_passed.astype(float), ids[order], cand_passed[order])
    assert aligned.n == n
    assert aligned.ids.tolist() == ids.tolist()

    binary = compare_binary(aligned.base, aligned.cand)
    assert binary.b == 3000
    assert binary.c == 1000
    assert binary.delta == pytest.approx(-0.02)
    assert binary.ci_low < -0.02 < binary.ci_high
    assert binary.test == "chi-square"
    assert binary.p_value < 1e-100
    assert binary.regressed_indices.tolist() == list(range(3000))

    latency_base = rng.lognormal(0.0, 0.5, size=n)
    latency_cand = latency_base + rng.normal(0.01, 0.2, size=n)
    numeric = compare_numeric(latency_base, latency_cand)
    assert numeric.ci_low < 0.01 < numeric.ci_high
    assert numeric.ci_high - numeric.ci_low < 0.01
    assert numeric.wilcoxon_p < 1e-10


def test_large_continuous_sample_uses_normal_interval() -> None:
    rng = np.random.default_rng(3)
    base = rng.gamma(2.0, 300.0, size=30_000)
    cand = base + rng.normal(5.0, 40.0, size=base.size)

    result = compare_numeric(base, cand)
    low, high = bootstrap_mean_interval(cand - base, iterations=400, seed=1)

    width = high - low
    assert result.ci_method == "paired-normal"
    assert abs(result.ci_low - low) < 0.1 * width
    assert abs(result.ci_high - high) < 0.1 * width
    assert result.ci_low < result.delta < result.ci_high


def test_large_scale_sample_keeps_bootstrap() -> None:
    rng = np.random.default_rng(4)
    base = rng.integers(1, 6, size=30_000).astype(float)
    cand = np.clip(base + rng.integers(-1, 2, size=base.size), 1, 5)

    result = compare_numeric(base, cand)

    assert result.ci_method == "paired-bootstrap-percentile"
