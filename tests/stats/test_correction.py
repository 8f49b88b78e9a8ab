import json
import re

import numpy as np
import pytest

from evalgauge.errors import AlignmentError
from evalgauge.stats import CorrectedPassRate, corrected_pass_rate


def labeled(tp: int, fp: int, fn: int, tn: int) -> tuple[np.ndarray, np.ndarray]:
    """Build human labels and judge verdicts with the given confusion counts."""
    labels = np.array([1] * tp + [0] * fp + [1] * fn + [0] * tn, dtype=bool)
    predictions = np.array([1] * tp + [1] * fp + [0] * fn + [0] * tn, dtype=bool)
    return labels, predictions


def unlabeled(passes: int, total: int) -> np.ndarray:
    return np.arange(total) < passes


def simulate(rng, theta, tpr, tnr, size):
    """Draw true labels with pass rate theta and judge verdicts with the given rates."""
    truth = rng.random(size) < theta
    correct = np.where(truth, rng.random(size) < tpr, rng.random(size) < tnr)
    verdicts = np.where(correct, truth, ~truth)
    return truth, verdicts


def test_point_estimate_hand_formula():
    labels, predictions = labeled(tp=8, fp=1, fn=2, tn=9)
    result = corrected_pass_rate(labels, predictions, unlabeled(40, 100), iterations=500)
    assert result.observed == pytest.approx(0.4)
    assert result.tpr == pytest.approx(0.8)
    assert result.tnr == pytest.approx(0.9)
    assert result.youden_j == pytest.approx(0.7)
    assert result.corrected == pytest.approx((0.4 + 0.9 - 1) / 0.7)
    assert result.clipped is False
    assert result.warnings == ()


def test_result_metadata():
    labels, predictions = labeled(tp=8, fp=1, fn=2, tn=9)
    result = corrected_pass_rate(
        labels, predictions, unlabeled(40, 100), iterations=700, confidence=0.9, seed=3
    )
    assert result.n_labeled == 20
    assert result.n_unlabeled == 100
    assert result.iterations == 700
    assert result.valid_draws + result.skipped_draws == 700
    assert result.confidence == 0.9
    assert result.seed == 3
    assert result.method == "two-sample percentile bootstrap, numpy linear interpolation"
    assert result.ci_low <= result.corrected <= result.ci_high


def test_to_dict_is_json_ready():
    labels, predictions = labeled(tp=8, fp=1, fn=2, tn=9)
    result = corrected_pass_rate(labels, predictions, unlabeled(40, 100), iterations=500)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["corrected"] == pytest.approx(result.corrected)
    assert data["warnings"] == []
    assert set(data) == set(CorrectedPassRate.__dataclass_fields__)


def test_clips_below_zero():
    labels, predictions = labeled(tp=8, fp=1, fn=2, tn=9)
    result = corrected_pass_rate(labels, predictions, unlabeled(5, 100), iterations=500)
    assert result.corrected == 0.0
    assert result.clipped is True
    assert any("clipped" in w for w in result.warnings)


def test_clips_above_one():
    labels, predictions = labeled(tp=8, fp=1, fn=2, tn=9)
    result = corrected_pass_rate(labels, predictions, unlabeled(90, 100), iterations=500)
    assert result.corrected == 1.0
    assert result.clipped is True
    assert result.ci_high <= 1.0


def test_boundary_is_not_clipped():
    labels, predictions = labeled(tp=8, fp=1, fn=2, tn=9)
    result = corrected_pass_rate(labels, predictions, unlabeled(80, 100), iterations=500)
    assert result.corrected == pytest.approx(1.0)
    assert result.clipped is False


def test_chance_judge_raises():
    labels, predictions = labeled(tp=5, fp=5, fn=5, tn=5)
    with pytest.raises(AlignmentError, match="no better than chance") as error:
        corrected_pass_rate(labels, predictions, unlabeled(5, 10))
    message = str(error.value)
    assert "TPR 0.500" in message
    assert "TNR 0.500" in message
    assert "J = TPR + TNR - 1 = 0.000" in message
    assert "no correction is possible" in message


def test_inverted_judge_raises():
    labels, predictions = labeled(tp=2, fp=7, fn=8, tn=3)
    with pytest.raises(AlignmentError, match=re.escape("TPR 0.200, TNR 0.300")):
        corrected_pass_rate(labels, predictions, unlabeled(5, 10))


def test_weak_judge_warns():
    labels, predictions = labeled(tp=12, fp=9, fn=8, tn=11)
    result = corrected_pass_rate(labels, predictions, unlabeled(50, 100), iterations=500)
    assert result.youden_j == pytest.approx(0.15)
    assert any("judge is weak" in w for w in result.warnings)


def test_same_seed_same_interval():
    labels, predictions = labeled(tp=40, fp=6, fn=10, tn=44)
    first = corrected_pass_rate(labels, predictions, unlabeled(30, 200), iterations=3000, seed=7)
    second = corrected_pass_rate(labels, predictions, unlabeled(30, 200), iterations=3000, seed=7)
    assert first.ci_low == second.ci_low
    assert first.ci_high == second.ci_high


def test_other_seed_other_interval():
    labels, predictions = labeled(tp=40, fp=6, fn=10, tn=44)
    first = corrected_pass_rate(labels, predictions, unlabeled(30, 200), iterations=3000, seed=7)
    second = corrected_pass_rate(labels, predictions, unlabeled(30, 200), iterations=3000, seed=8)
    assert (first.ci_low, first.ci_high) != (second.ci_low, second.ci_high)


def test_small_unlabeled_set_widens_interval():
    labels, predictions = labeled(tp=180, fp=20, fn=20, tn=180)
    small = corrected_pass_rate(labels, predictions, unlabeled(10, 20), iterations=4000)
    large = corrected_pass_rate(labels, predictions, unlabeled(10_000, 20_000), iterations=4000)
    assert small.observed == large.observed
    assert small.corrected == large.corrected
    small_width = small.ci_high - small.ci_low
    large_width = large.ci_high - large.ci_low
    assert small_width > 1.5 * large_width


def test_interval_covers_true_rate():
    theta, tpr, tnr = 0.3, 0.85, 0.9
    rng = np.random.default_rng(2024)
    covered = 0
    replications = 200
    for replication in range(replications):
        labels, predictions = simulate(rng, 0.5, tpr, tnr, 200)
        _, verdicts = simulate(rng, theta, tpr, tnr, 1000)
        result = corrected_pass_rate(
            labels, predictions, verdicts, iterations=500, seed=replication
        )
        covered += result.ci_low <= theta <= result.ci_high
    assert covered >= 0.85 * replications


def test_large_labeled_set_is_fast_and_narrow():
    rng = np.random.default_rng(5)
    labels, predictions = simulate(rng, 0.4, 0.9, 0.95, 100_000)
    _, verdicts = simulate(rng, 0.4, 0.9, 0.95, 100_000)
    result = corrected_pass_rate(labels, predictions, verdicts, iterations=20_000)
    assert result.ci_high - result.ci_low < 0.02
    assert result.ci_low <= 0.4 <= result.ci_high


def test_scarce_labels_skip_draws():
    labels, predictions = labeled(tp=1, fp=0, fn=0, tn=9)
    result = corrected_pass_rate(labels, predictions, unlabeled(3, 30), iterations=2000)
    assert result.skipped_draws > 0.05 * result.iterations
    assert result.valid_draws + result.skipped_draws == 2000
    assert any("bootstrap draws" in w and "skipped" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"confidence": 1.0}, "confidence must be strictly between 0 and 1, got 1.0"),
        ({"confidence": 0}, "confidence must be strictly between 0 and 1, got 0"),
        ({"confidence": float("nan")}, "confidence must be strictly between 0 and 1"),
        ({"iterations": 0}, "iterations must be positive, got 0"),
        ({"iterations": 2.5}, "iterations must be an integer"),
        ({"seed": -1}, "seed must be a non-negative integer"),
    ],
)
def test_invalid_options_raise(options, fragment):
    labels, predictions = labeled(tp=8, fp=1, fn=2, tn=9)
    with pytest.raises(AlignmentError, match=fragment):
        corrected_pass_rate(labels, predictions, unlabeled(4, 10), **options)


def test_length_mismatch_raises():
    with pytest.raises(AlignmentError, match="test_labels has 3 values but test_preds has 2"):
        corrected_pass_rate([1, 0, 1], [1, 0], [1])


def test_empty_labeled_set_raises():
    with pytest.raises(AlignmentError, match="test_labels is empty"):
        corrected_pass_rate([], [], [1])


def test_invalid_value_raises():
    with pytest.raises(AlignmentError, match=r"unlabeled_preds\[1\] is 3"):
        corrected_pass_rate([1, 0], [1, 0], [1, 3])


def test_no_failing_label_raises():
    with pytest.raises(AlignmentError, match="label at least one failing case"):
        corrected_pass_rate([1, 1, 1], [1, 0, 1], [1, 0])


def test_no_passing_label_raises():
    with pytest.raises(AlignmentError, match="label at least one passing case"):
        corrected_pass_rate([0, 0, 0], [1, 0, 0], [1, 0])


def test_empty_unlabeled_set_raises():
    with pytest.raises(AlignmentError, match="unlabeled_preds is empty"):
        corrected_pass_rate([1, 0], [1, 0], [])


def test_no_valid_draws_raises():
    labels, predictions = labeled(tp=1, fp=0, fn=0, tn=99)
    with pytest.raises(AlignmentError, match="None of the 1 bootstrap draws was usable"):
        corrected_pass_rate(labels, predictions, [1, 0], iterations=1, seed=2)


def test_matches_index_resampling_bootstrap():
    """The count-based draws must match resampling cases by index, up to Monte Carlo error."""
    labels, predictions = labeled(tp=25, fp=4, fn=5, tn=26)
    verdicts = unlabeled(30, 80)
    result = corrected_pass_rate(labels, predictions, verdicts, iterations=20_000, seed=1)

    rng = np.random.default_rng(99)
    rows = rng.integers(0, labels.size, size=(20_000, labels.size))
    resampled_labels = labels[rows]
    resampled_predictions = predictions[rows]
    observed = verdicts[rng.integers(0, verdicts.size, size=(20_000, verdicts.size))].mean(axis=1)
    positives = resampled_labels.sum(axis=1)
    negatives = labels.size - positives
    tpr = (resampled_labels & resampled_predictions).sum(axis=1) / positives
    tnr = (~resampled_labels & ~resampled_predictions).sum(axis=1) / negatives
    youden_j = tpr + tnr - 1
    assert np.all(youden_j > 0)
    theta = np.clip((observed + tnr - 1) / youden_j, 0, 1)
    low, high = np.percentile(theta, [2.5, 97.5])

    assert result.skipped_draws == 0
    assert result.ci_low == pytest.approx(low, abs=0.015)
    assert result.ci_high == pytest.approx(high, abs=0.015)


def test_numpy_integer_options_give_json():
    labels, predictions = labeled(tp=8, fp=1, fn=2, tn=9)
    result = corrected_pass_rate(
        labels, predictions, unlabeled(40, 100), iterations=np.int64(300), seed=np.int64(1)
    )
    data = json.loads(json.dumps(result.to_dict()))
    assert data["iterations"] == 300
    assert data["seed"] == 1
