import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from evalgauge.stats import ConfusionMatrix, confusion_matrix


def test_rates_by_hand():
    matrix = ConfusionMatrix(tp=6, fp=2, fn=3, tn=9)
    assert matrix.n == 20
    assert matrix.tpr == pytest.approx(6 / 9)
    assert matrix.tnr == pytest.approx(9 / 11)
    assert matrix.fpr == pytest.approx(2 / 11)
    assert matrix.fnr == pytest.approx(3 / 9)
    assert matrix.precision == pytest.approx(6 / 8)
    assert matrix.accuracy == pytest.approx(15 / 20)
    assert matrix.balanced_accuracy == pytest.approx((6 / 9 + 9 / 11) / 2)
    assert matrix.youden_j == pytest.approx(6 / 9 + 9 / 11 - 1)


def test_kappa_by_hand():
    matrix = ConfusionMatrix(tp=6, fp=2, fn=3, tn=9)
    observed = 15 / 20
    expected = (8 * 9 + 12 * 11) / 400
    assert matrix.kappa == pytest.approx((observed - expected) / (1 - expected))
    assert matrix.warnings() == []


def test_kappa_matches_sklearn():
    rng = np.random.default_rng(12345)
    for _ in range(200):
        n = int(rng.integers(5, 300))
        labels = rng.random(n) < rng.uniform(0.1, 0.9)
        agree = rng.random(n) < rng.uniform(0.3, 1.0)
        predictions = np.where(agree, labels, ~labels)
        if len(set(labels.tolist()) | set(predictions.tolist())) < 2:
            continue
        matrix = confusion_matrix(labels, predictions)
        assert matrix.kappa == pytest.approx(cohen_kappa_score(labels, predictions), abs=1e-12)


def test_counts_from_lists():
    labels = [1, 1, 1, 0, 0, 0, 0]
    predictions = [True, False, True, True, False, False, False]
    matrix = confusion_matrix(labels, predictions)
    assert matrix.tp == 2
    assert matrix.fn == 1
    assert matrix.fp == 1
    assert matrix.tn == 3


def test_counts_accept_float_zero_one():
    matrix = confusion_matrix(np.array([1.0, 0.0]), np.array([1.0, 1.0]))
    assert matrix == ConfusionMatrix(tp=1, fp=1, fn=0, tn=0)


def test_constant_raters_kappa_undefined():
    matrix = confusion_matrix([1, 1, 1], [1, 1, 1])
    assert matrix.kappa is None
    assert any("kappa is undefined" in w for w in matrix.warnings())
    assert any("one constant label" in w for w in matrix.warnings())


def test_opposite_constant_raters_kappa_zero():
    matrix = confusion_matrix([1, 1, 1], [0, 0, 0])
    assert matrix.kappa == 0.0


def test_zero_denominators_give_none():
    matrix = ConfusionMatrix(tp=0, fp=0, fn=0, tn=5)
    assert matrix.tpr is None
    assert matrix.fnr is None
    assert matrix.precision is None
    assert matrix.balanced_accuracy is None
    assert matrix.youden_j is None
    assert matrix.tnr == 1.0
    assert matrix.fpr == 0.0
    assert matrix.accuracy == 1.0


def test_zero_denominator_warnings():
    warnings = ConfusionMatrix(tp=0, fp=0, fn=0, tn=5).warnings()
    assert any("no case has a passing human label" in w.lower() for w in warnings)
    assert any("precision is undefined" in w for w in warnings)


def test_empty_matrix():
    matrix = confusion_matrix([], [])
    assert matrix.n == 0
    assert matrix.accuracy is None
    assert matrix.kappa is None
    assert matrix.warnings() == [
        "The confusion matrix is empty, so every rate and kappa are undefined."
    ]


def test_to_dict_contents():
    data = ConfusionMatrix(tp=0, fp=1, fn=0, tn=4).to_dict()
    assert data["tp"] == 0
    assert data["fp"] == 1
    assert data["n"] == 5
    assert data["tpr"] is None
    assert data["tnr"] == pytest.approx(0.8)
    assert set(data) == {
        "tp",
        "fp",
        "fn",
        "tn",
        "n",
        "tpr",
        "tnr",
        "fpr",
        "fnr",
        "precision",
        "accuracy",
        "balanced_accuracy",
        "youden_j",
        "kappa",
    }


def test_length_mismatch_raises():
    with pytest.raises(ValueError, match="labels has 3 values but predictions has 2"):
        confusion_matrix([1, 0, 1], [1, 0])


def test_invalid_value_raises():
    with pytest.raises(ValueError, match=r"predictions\[1\] is 2"):
        confusion_matrix([1, 0, 1], [1, 2, 0])


def test_nan_value_raises():
    with pytest.raises(ValueError, match=r"labels\[0\] is nan"):
        confusion_matrix([float("nan")], [1])


def test_string_values_raise():
    with pytest.raises(ValueError, match="only 0/1 or True/False"):
        confusion_matrix(np.array(["pass", "fail"]), [1, 0])


def test_two_dimensional_raises():
    with pytest.raises(ValueError, match="one-dimensional"):
        confusion_matrix(np.ones((2, 2), dtype=bool), [1, 0])
