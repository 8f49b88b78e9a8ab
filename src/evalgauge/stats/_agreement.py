"""Agreement between a judge and human labels: the confusion matrix and its rates.

Pass is the positive class. The human label is the truth and the judge verdict is the
prediction, so TPR is the share of human-passed cases that the judge also passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

BinaryValues = Sequence[bool] | Sequence[int] | NDArray[np.bool_] | NDArray[np.integer]
"""Pass/fail verdicts as True/False or 1/0, in a sequence or a one-dimensional array."""


def as_binary_array(
    values: BinaryValues, name: str, error: type[Exception] = ValueError
) -> NDArray[np.bool_]:
    """Convert pass/fail values to a boolean array, raising `error` on anything but 0/1.

    Accepts bools, integers, and floats equal to 0.0 or 1.0. The message names the
    argument, the first invalid value and its index.
    """
    array = np.asarray(values)
    if array.ndim != 1:
        raise error(
            f"{name} must be a one-dimensional sequence of 0/1 or True/False values, "
            f"got an array of shape {array.shape}"
        )
    if array.dtype == np.bool_:
        return array
    if array.size == 0:
        return np.zeros(0, dtype=np.bool_)
    if array.dtype.kind not in "iuf":
        raise error(
            f"{name} must contain only 0/1 or True/False values, got values of type "
            f"{array.dtype}; convert the verdicts to booleans first"
        )
    invalid = np.flatnonzero((array != 0) & (array != 1))
    if invalid.size > 0:
        index = int(invalid[0])
        raise error(
            f"{name}[{index}] is {array[index].item()!r}, but only 0/1 or True/False values are "
            f"allowed ({invalid.size} invalid value(s) in total)"
        )
    result: NDArray[np.bool_] = array == 1
    return result


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator > 0 else None


@dataclass(frozen=True, slots=True)
class ConfusionMatrix:
    """Counts of judge verdicts against human labels, with pass as the positive class.

    Every rate is None when its denominator is 0, so an undefined rate never reads as 0.
    """

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def n(self) -> int:
        """Number of cases."""
        return self.tp + self.fp + self.fn + self.tn

    @property
    def positives(self) -> int:
        """Number of cases that the human passed."""
        return self.tp + self.fn

    @property
    def negatives(self) -> int:
        """Number of cases that the human failed."""
        return self.fp + self.tn

    @property
    def tpr(self) -> float | None:
        """True positive rate (sensitivity, recall): TP / (TP + FN)."""
        return _rate(self.tp, self.positives)

    @property
    def tnr(self) -> float | None:
        """True negative rate (specificity): TN / (TN + FP)."""
        return _rate(self.tn, self.negatives)

    @property
    def fpr(self) -> float | None:
        """False positive rate: FP / (FP + TN)."""
        return _rate(self.fp, self.negatives)

    @property
    def fnr(self) -> float | None:
        """False negative rate: FN / (FN + TP)."""
        return _rate(self.fn, self.positives)

    @property
    def precision(self) -> float | None:
        """Positive predictive value: TP / (TP + FP)."""
        return _rate(self.tp, self.tp + self.fp)

    @property
    def accuracy(self) -> float | None:
        """Share of cases where the judge matches the human: (TP + TN) / n."""
        return _rate(self.tp + self.tn, self.n)

    @property
    def balanced_accuracy(self) -> float | None:
        """Mean of TPR and TNR."""
        tpr, tnr = self.tpr, self.tnr
        if tpr is None or tnr is None:
            return None
        return (tpr + tnr) / 2

    @property
    def youden_j(self) -> float | None:
        """Youden's J statistic: TPR + TNR - 1, which is 0 for a judge that guesses."""
        tpr, tnr = self.tpr, self.tnr
        if tpr is None or tnr is None:
            return None
        return tpr + tnr - 1

    @property
    def kappa(self) -> float | None:
        """Cohen's kappa, or None when the expected agreement p_e is 1.

        p_o = (TP + TN) / n, p_e = ((TP + FP)(TP + FN) + (FN + TN)(FP + TN)) / n², and
        kappa = (p_o - p_e) / (1 - p_e).
        """
        n = self.n
        if n == 0:
            return None
        # Integer arithmetic keeps the p_e == 1 test exact.
        expected_numerator = (self.tp + self.fp) * (self.tp + self.fn) + (self.fn + self.tn) * (
            self.fp + self.tn
        )
        if expected_numerator == n * n:
            return None
        observed = (self.tp + self.tn) / n
        expected = expected_numerator / (n * n)
        return (observed - expected) / (1 - expected)

    def warnings(self) -> list[str]:
        """List a sentence for each rate that is undefined, with the reason."""
        if self.n == 0:
            return ["The confusion matrix is empty, so every rate and kappa are undefined."]
        messages: list[str] = []
        if self.positives == 0:
            messages.append(
                "No case has a passing human label, so TPR, FNR, balanced accuracy and "
                "Youden's J are undefined."
            )
        if self.negatives == 0:
            messages.append(
                "No case has a failing human label, so TNR, FPR, balanced accuracy and "
                "Youden's J are undefined."
            )
        if self.tp + self.fp == 0:
            messages.append("The judge passed no case, so precision is undefined.")
        if self.kappa is None:
            messages.append(
                "Cohen's kappa is undefined because both raters gave one constant label: "
                "the human and the judge gave every case the same verdict, so the expected "
                "agreement is 1."
            )
        return messages

    def to_dict(self) -> dict[str, int | float | None]:
        """Return every count and rate as a JSON-ready dict, with None for undefined rates."""
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
            "n": self.n,
            "tpr": self.tpr,
            "tnr": self.tnr,
            "fpr": self.fpr,
            "fnr": self.fnr,
            "precision": self.precision,
            "accuracy": self.accuracy,
            "balanced_accuracy": self.balanced_accuracy,
            "youden_j": self.youden_j,
            "kappa": self.kappa,
        }


def count_confusion(labels: NDArray[np.bool_], predictions: NDArray[np.bool_]) -> ConfusionMatrix:
    """Count a confusion matrix from boolean arrays of equal length, without validation."""
    tp = int(np.count_nonzero(labels & predictions))
    fp = int(np.count_nonzero(~labels & predictions))
    fn = int(np.count_nonzero(labels & ~predictions))
    tn = int(labels.size - tp - fp - fn)
    return ConfusionMatrix(tp=tp, fp=fp, fn=fn, tn=tn)


def confusion_matrix(labels: BinaryValues, predictions: BinaryValues) -> ConfusionMatrix:
    """Count judge predictions against human labels, both given as 0/1 or True/False.

    Raises ValueError when the lengths differ or a value is not 0/1 or True/False.
    Empty inputs give a matrix of zeros.
    """
    label_array = as_binary_array(labels, "labels")
    prediction_array = as_binary_array(predictions, "predictions")
    if label_array.size != prediction_array.size:
        raise ValueError(
            f"labels has {label_array.size} values but predictions has "
            f"{prediction_array.size}; pass one human label and one judge prediction per case"
        )
    return count_confusion(label_array, prediction_array)
