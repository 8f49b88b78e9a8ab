"""Rogan–Gladen correction of a judge's pass rate, with a two-sample bootstrap interval.

A judge with sensitivity TPR and specificity TNR reports the pass rate
p_obs = TPR·θ + (1 − TNR)(1 − θ) when the true pass rate is θ. Solving for θ gives the
Rogan–Gladen estimator θ = (p_obs + TNR − 1) / J with Youden's J = TPR + TNR − 1
(Rogan and Gladen, "Estimating prevalence from the results of a screening test",
American Journal of Epidemiology 107(1), 1978).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray

from evalgauge.errors import AlignmentError
from evalgauge.stats._agreement import (
    BinaryValues,
    ConfusionMatrix,
    as_binary_array,
    count_confusion,
)

METHOD = "two-sample percentile bootstrap, numpy linear interpolation"

_CHUNK_DRAWS = 2_000
"""Bootstrap draws per vectorized chunk. Memory per chunk is O(draws), independent of n."""

_WEAK_JUDGE_J = 0.2
_MAX_SKIPPED_SHARE = 0.05

_CLIP_TOLERANCE = 1e-12
"""Distance outside [0, 1] that still counts as rounding noise rather than clipping."""


@dataclass(frozen=True, slots=True)
class CorrectedPassRate:
    """A judge's observed pass rate on unlabeled cases, corrected for its known errors.

    `corrected` is the Rogan–Gladen point estimate clipped to [0, 1], and `clipped` is True
    when the raw estimate fell outside [0, 1]. `ci_low` and `ci_high` bound the bootstrap
    percentile interval at `confidence`, computed from `valid_draws` of the `iterations`
    draws. `tpr`, `tnr` and `youden_j` are the judge's rates on the labeled set.
    """

    observed: float
    corrected: float
    ci_low: float
    ci_high: float
    confidence: float
    iterations: int
    valid_draws: int
    skipped_draws: int
    seed: int
    tpr: float
    tnr: float
    youden_j: float
    n_labeled: int
    n_unlabeled: int
    clipped: bool
    method: str
    warnings: tuple[str, ...]

    def to_dict(self) -> dict[str, float | int | bool | str | list[str]]:
        """Return every field as a JSON-ready dict, with `warnings` as a list."""
        fields = asdict(self)
        fields["warnings"] = list(self.warnings)
        return fields


def rogan_gladen(observed: float, tpr: float, tnr: float) -> float:
    """Return the unclipped Rogan–Gladen estimate (p_obs + TNR − 1) / (TPR + TNR − 1)."""
    return (observed + tnr - 1) / (tpr + tnr - 1)


def corrected_pass_rate(
    test_labels: BinaryValues,
    test_preds: BinaryValues,
    unlabeled_preds: BinaryValues,
    *,
    iterations: int = 20_000,
    confidence: float = 0.95,
    seed: int = 0,
) -> CorrectedPassRate:
    """Correct the judge's pass rate on unlabeled cases and bootstrap its interval.

    `test_labels` and `test_preds` are the human labels and judge verdicts on the same
    labeled cases, which estimate the judge's TPR and TNR. `unlabeled_preds` are the
    judge's verdicts on the cases whose pass rate is estimated. Each bootstrap draw
    resamples both samples with replacement, so the interval covers the uncertainty of the
    judge's rates and of the observed pass rate. Draws are skipped when the resampled labels lack
    a passing or a failing case, or when the resampled J is at most 0.

    Raises AlignmentError on invalid options or inputs, when the labeled set lacks a
    passing or a failing case, when J <= 0, or when no bootstrap draw is usable.
    """
    _validate_options(iterations=iterations, confidence=confidence, seed=seed)
    labels, predictions, unlabeled = _validate_samples(test_labels, test_preds, unlabeled_preds)
    matrix = count_confusion(labels, predictions)
    tpr, tnr, youden_j = _judge_rates(matrix)
    warnings: list[str] = []
    if youden_j < _WEAK_JUDGE_J:
        warnings.append(
            f"The judge is weak: Youden's J is {youden_j:.3f} (TPR {tpr:.3f}, TNR {tnr:.3f}), "
            f"below {_WEAK_JUDGE_J}. The correction divides by J, so the estimate is unstable. "
            "Improve the judge before relying on the corrected pass rate."
        )

    observed = float(np.mean(unlabeled))
    raw = rogan_gladen(observed, tpr, tnr)
    corrected = min(max(raw, 0.0), 1.0)
    clipped = not -_CLIP_TOLERANCE <= raw <= 1 + _CLIP_TOLERANCE
    if clipped:
        warnings.append(
            f"The raw Rogan–Gladen estimate {raw:.3f} fell outside [0, 1] and was clipped "
            f"to {corrected:g}. The observed pass rate {observed:.3f} lies outside the range "
            f"[1 - TNR, TPR] = [{1 - tnr:.3f}, {tpr:.3f}] that the judge's rates allow, so the "
            "labeled set may be too small or unlike the unlabeled cases."
        )

    rng = np.random.default_rng(seed)
    estimates = _bootstrap_estimates(matrix, unlabeled.size, observed, int(iterations), rng)
    skipped_warning = _check_skipped_draws(int(iterations), estimates.size)
    if skipped_warning is not None:
        warnings.append(skipped_warning)
    alpha = 1 - confidence
    ci_low, ci_high = np.percentile(estimates, [100 * alpha / 2, 100 * (1 - alpha / 2)])

    return CorrectedPassRate(
        observed=observed,
        corrected=corrected,
        ci_low=float(ci_low),
        ci_high=float(ci_high),
        confidence=float(confidence),
        iterations=int(iterations),
        valid_draws=int(estimates.size),
        skipped_draws=int(iterations) - int(estimates.size),
        seed=int(seed),
        tpr=tpr,
        tnr=tnr,
        youden_j=youden_j,
        n_labeled=matrix.n,
        n_unlabeled=int(unlabeled.size),
        clipped=clipped,
        method=METHOD,
        warnings=tuple(warnings),
    )


def _validate_options(*, iterations: int, confidence: float, seed: int) -> None:
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise AlignmentError(f"confidence must be a number, got {confidence!r}; use e.g. 0.95")
    if not 0 < confidence < 1:
        raise AlignmentError(
            f"confidence must be strictly between 0 and 1, got {confidence!r}; "
            "use e.g. 0.95 for a 95% interval"
        )
    if isinstance(iterations, bool) or not isinstance(iterations, int | np.integer):
        raise AlignmentError(f"iterations must be an integer, got {iterations!r}")
    if iterations <= 0:
        raise AlignmentError(
            f"iterations must be positive, got {iterations}; use e.g. 20000 bootstrap draws"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise AlignmentError(f"seed must be a non-negative integer, got {seed!r}")


def _validate_samples(
    test_labels: BinaryValues, test_preds: BinaryValues, unlabeled_preds: BinaryValues
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_]]:
    labels = as_binary_array(test_labels, "test_labels", AlignmentError)
    predictions = as_binary_array(test_preds, "test_preds", AlignmentError)
    unlabeled = as_binary_array(unlabeled_preds, "unlabeled_preds", AlignmentError)
    if labels.size != predictions.size:
        raise AlignmentError(
            f"test_labels has {labels.size} values but test_preds has {predictions.size}; "
            "pass one human label and one judge verdict per labeled case"
        )
    if labels.size == 0:
        raise AlignmentError(
            "test_labels is empty; label at least one passing and one failing case"
        )
    positives = int(np.count_nonzero(labels))
    if positives == 0:
        raise AlignmentError(
            f"test_labels has no passing case among its {labels.size} labels, so the judge's "
            "TPR cannot be estimated; label at least one passing case"
        )
    if positives == labels.size:
        raise AlignmentError(
            f"test_labels has no failing case among its {labels.size} labels, so the judge's "
            "TNR cannot be estimated; label at least one failing case"
        )
    if unlabeled.size == 0:
        raise AlignmentError(
            "unlabeled_preds is empty; pass the judge's verdicts on the cases whose pass "
            "rate should be corrected"
        )
    return labels, predictions, unlabeled


def _judge_rates(matrix: ConfusionMatrix) -> tuple[float, float, float]:
    """Return (TPR, TNR, J), raising AlignmentError when J <= 0."""
    # _validate_samples guarantees both classes, so neither denominator is 0.
    tpr = matrix.tp / matrix.positives
    tnr = matrix.tn / matrix.negatives
    youden_j = tpr + tnr - 1
    # TP/P + TN/N > 1 is tested in integers so that float rounding cannot turn J = 0
    # into a tiny positive divisor.
    if matrix.tp * matrix.negatives + matrix.tn * matrix.positives <= (
        matrix.positives * matrix.negatives
    ):
        raise AlignmentError(
            f"The judge is no better than chance on the labeled set: TPR {tpr:.3f}, "
            f"TNR {tnr:.3f}, Youden's J = TPR + TNR - 1 = {youden_j:.3f}. The correction "
            "needs J > 0, so no correction is possible. Fix the judge, or check that the "
            "labels and verdicts belong to the same cases."
        )
    return tpr, tnr, youden_j


def _check_skipped_draws(iterations: int, valid_draws: int) -> str | None:
    """Raise AlignmentError when no draw is valid, and return a warning when many were skipped."""
    if valid_draws == 0:
        raise AlignmentError(
            f"None of the {iterations} bootstrap draws was usable, because every resampled "
            "labeled set lacked a passing case or a failing case, or gave a judge with J <= 0. "
            "Label more passing and failing cases."
        )
    skipped = iterations - valid_draws
    if skipped <= _MAX_SKIPPED_SHARE * iterations:
        return None
    return (
        f"{skipped} of {iterations} bootstrap draws ({skipped / iterations:.1%}) were "
        "skipped because the resampled labeled set lacked a passing or a failing case, or "
        "gave a judge with J <= 0. The interval rests on the remaining draws only and may "
        "be too narrow. Label more cases of the scarce kind."
    )


def _bootstrap_estimates(
    matrix: ConfusionMatrix,
    n_unlabeled: int,
    observed: float,
    iterations: int,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Return the clipped Rogan–Gladen estimate of every valid bootstrap draw.

    Resampling n labeled pairs with replacement only matters through the four cell counts,
    which then follow Multinomial(n, cell shares), so each draw samples those counts
    directly. Likewise, the pass count among m resampled unlabeled verdicts follows
    Binomial(m, p_obs). Both are exact, and the cost per draw does not grow with n or m.
    """
    cell_shares = np.array([matrix.tp, matrix.fp, matrix.fn, matrix.tn], dtype=np.float64)
    cell_shares /= matrix.n
    estimates = np.empty(iterations, dtype=np.float64)
    filled = 0
    for start in range(0, iterations, _CHUNK_DRAWS):
        draws = min(_CHUNK_DRAWS, iterations - start)
        cells = rng.multinomial(matrix.n, cell_shares, size=draws).astype(np.int64)
        passes = rng.binomial(n_unlabeled, observed, size=draws)
        tp, fp, fn, tn = cells.T
        positives = tp + fn
        negatives = fp + tn
        valid = (positives > 0) & (negatives > 0)
        valid &= tp * negatives + tn * positives > positives * negatives
        tpr = tp[valid] / positives[valid]
        tnr = tn[valid] / negatives[valid]
        observed_draws = passes[valid] / n_unlabeled
        theta = np.clip((observed_draws + tnr - 1) / (tpr + tnr - 1), 0.0, 1.0)
        estimates[filled : filled + theta.size] = theta
        filled += theta.size
    return estimates[:filled]
