"""A learned binary judge that runs offline: TF-IDF and grounding features, logistic regression.

The judge trains on labeled cases and needs no network and no API key. Besides bag-of-words
features of the output and of the inputs, it measures how much of the output is grounded in
each input field (token overlap, character 4-gram overlap, longest shared token run, numbers
found in the input). Those grounding features carry most of the signal on attribution and
faithfulness rubrics, which ask whether every claim in the output is supported by the inputs.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import itertools
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

from evalgauge.cases import Case
from evalgauge.errors import AlignmentError
from evalgauge.scorers._base import Score

JUDGE_MODEL = "offline:tfidf-logreg"

# Regularization strengths tried on the dev split. Smaller C means stronger regularization.
C_GRID: tuple[float, ...] = (0.1, 0.3, 1.0, 3.0, 10.0)

# Keyword arguments of both TfidfVectorizer instances (output text and input text).
TFIDF_PARAMS: dict[str, Any] = {"ngram_range": (1, 2), "sublinear_tf": True, "min_df": 1}

# Features computed for the output against each input field and against all inputs together.
# Precision is the share of the output's content tokens found in the source, so unsupported
# words lower it. Recall is the share of the source's content tokens found in the output.
GROUNDING_FEATURES: tuple[str, ...] = (
    "token_precision",
    "token_recall",
    "char4_jaccard",
    "longest_common_run_ratio",
    "log_output_length",
    "log_length_ratio",
    "bigram_precision",
    "log_novel_token_count",
    "number_precision",
)

# Everything that shapes the features and the model. It goes into `prompt_hash`, so changing
# any of it gives the judge a new identity.
FEATURE_CONFIG: dict[str, Any] = {
    "version": 1,
    "tfidf": {"fields": ["output", "input_text"], **TFIDF_PARAMS},
    "grounding": list(GROUNDING_FEATURES),
    "scaler": "standard",
    "model": "logistic_regression(class_weight=balanced, solver=liblinear)",
    "c_grid": list(C_GRID),
    "c_selection": "max dev ROC AUC, ties to the smaller C",
    "threshold_selection": "max dev balanced accuracy, ties to the threshold closest to 0.5",
}

_TOKEN_PATTERN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_TIE_TOLERANCE = 1e-12


def _tokens(text: str) -> list[str]:
    return _TOKEN_PATTERN.findall(text.lower())


def _content_tokens(tokens: list[str]) -> list[str]:
    return [token for token in tokens if token not in ENGLISH_STOP_WORDS]


def _char_ngrams(text: str, n: int = 4) -> set[str]:
    normalized = " ".join(_tokens(text))
    return {normalized[i : i + n] for i in range(len(normalized) - n + 1)}


def _longest_common_run(output_tokens: list[str], source_tokens: list[str]) -> int:
    """Return the length in tokens of the longest token sequence shared by both lists."""
    if not output_tokens or not source_tokens:
        return 0
    matcher = difflib.SequenceMatcher(None, output_tokens, source_tokens, autojunk=False)
    match = matcher.find_longest_match(0, len(output_tokens), 0, len(source_tokens))
    return int(match.size)


def _share_found(items: Sequence[object], source: set[Any], empty: float) -> float:
    """Return the share of `items` that occur in `source`, or `empty` when there are none."""
    if not items:
        return empty
    return sum(item in source for item in items) / len(items)


def _grounding_features(output: str, source: str) -> list[float]:
    """Compute the features named in GROUNDING_FEATURES for `output` against one source text.

    Content tokens are lowercase word tokens minus English stop words. Number precision is
    1.0 for an output without numbers, because there is no number that could be wrong.
    """
    output_tokens = _tokens(output)
    source_tokens = _tokens(source)
    output_content = _content_tokens(output_tokens)
    source_content = set(_content_tokens(source_tokens))

    precision = _share_found(output_content, source_content, empty=0.0)
    recall = _share_found(sorted(source_content), set(output_content), empty=0.0)

    output_grams = _char_ngrams(output)
    source_grams = _char_ngrams(source)
    union = output_grams | source_grams
    jaccard = len(output_grams & source_grams) / len(union) if union else 0.0

    run = _longest_common_run(output_tokens, source_tokens)
    run_ratio = run / len(output_tokens) if output_tokens else 0.0

    log_output_length = math.log1p(len(output_tokens))
    log_length_ratio = log_output_length - math.log1p(len(source_tokens))

    source_bigrams = set(itertools.pairwise(source_tokens))
    output_bigrams = list(itertools.pairwise(output_tokens))
    bigram_precision = _share_found(output_bigrams, source_bigrams, empty=0.0)
    novel_count = len(set(output_content) - source_content)
    numbers = [token for token in output_tokens if any(ch.isdigit() for ch in token)]
    number_precision = _share_found(numbers, set(source_tokens), empty=1.0)
    return [
        precision,
        recall,
        jaccard,
        run_ratio,
        log_output_length,
        log_length_ratio,
        bigram_precision,
        math.log1p(novel_count),
        number_precision,
    ]


def _balanced_accuracy(labels: npt.NDArray[np.bool_], predicted: npt.NDArray[np.bool_]) -> float:
    positives = int(labels.sum())
    negatives = labels.size - positives
    tpr = int((predicted & labels).sum()) / positives
    tnr = int((~predicted & ~labels).sum()) / negatives
    return (tpr + tnr) / 2


def choose_threshold(
    probabilities: npt.NDArray[np.float64], labels: npt.NDArray[np.bool_]
) -> tuple[float, float]:
    """Return the threshold that maximizes balanced accuracy, and that balanced accuracy.

    A case passes when its probability is at least the threshold. The candidates are 0.5,
    the midpoints between consecutive distinct probabilities, and one value below and one
    above all of them, so a chosen threshold never sits exactly on a case. Ties go to the
    candidate closest to 0.5. `labels` must contain both classes.
    """
    distinct = np.unique(probabilities)
    midpoints = (distinct[:-1] + distinct[1:]) / 2
    candidates = np.concatenate(([0.5], midpoints, [distinct[0] - 1e-9, distinct[-1] + 1e-9]))
    best_threshold = 0.5
    best_score = -1.0
    for candidate in candidates:
        score = _balanced_accuracy(labels, probabilities >= candidate)
        better = score > best_score + _TIE_TOLERANCE
        tied = abs(score - best_score) <= _TIE_TOLERANCE
        if better or (tied and abs(candidate - 0.5) < abs(best_threshold - 0.5)):
            best_threshold = float(candidate)
            best_score = score
    return best_threshold, best_score


def _labels_of(cases: Sequence[Case], split: str) -> npt.NDArray[np.bool_]:
    """Return the labels of `cases`, raising AlignmentError unless both classes are present."""
    unlabeled = [case.case_id for case in cases if case.label is None]
    if unlabeled:
        raise AlignmentError(
            f"{len(unlabeled)} of {len(cases)} cases in the {split} split are unlabeled"
            f" (first: {unlabeled[0]!r}). The offline judge trains and tunes only on cases"
            " labeled pass or fail, so drop or label them"
        )
    labels = np.array([bool(case.label) for case in cases], dtype=bool)
    passes = int(labels.sum())
    fails = labels.size - passes
    if passes == 0 or fails == 0:
        raise AlignmentError(
            f"the {split} split needs both pass and fail labels, but it has {passes} pass and"
            f" {fails} fail. Label more cases of the missing class or use a stratified split"
        )
    return labels


def _field_names(cases: Sequence[Case]) -> list[str]:
    """Return the input field names of `cases` in first-seen order."""
    names: dict[str, None] = {}
    for case in cases:
        for name in case.inputs:
            names.setdefault(name, None)
    return list(names)


def _training_hash(train: Sequence[Case], seed: int) -> str:
    """Hash the feature configuration, the seed and the training ids and labels to 16 hex digits."""
    payload = {
        "feature_config": FEATURE_CONFIG,
        "seed": seed,
        "training": sorted([case.case_id, bool(case.label)] for case in train),
    }
    digest = hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS))
    return digest.hexdigest()[:16]


@dataclasses.dataclass(frozen=True, slots=True)
class _FittedState:
    fields: list[str]
    output_vectorizer: TfidfVectorizer
    input_vectorizer: TfidfVectorizer
    scaler: StandardScaler
    model: LogisticRegression
    c: float
    dev_roc_auc: float
    dev_balanced_accuracy: float
    train_size: int
    dev_size: int
    prompt_hash: str


class OfflineJudge:
    """A binary pass/fail judge trained on labeled cases, with C and threshold tuned on dev.

    `threshold` is 0.5 until `fit` sets it. A case passes when P(pass) >= `threshold`.
    """

    def __init__(self, *, seed: int = 0) -> None:
        self.seed = seed
        self.threshold = 0.5
        self._state: _FittedState | None = None

    def fit(self, train: Sequence[Case], dev: Sequence[Case]) -> OfflineJudge:
        """Fit the features and one model per C on `train`, then pick C and threshold on `dev`.

        C is the grid value with the highest dev ROC AUC (ties go to the smaller C). The
        threshold maximizes dev balanced accuracy for that model. Nothing outside `train` and
        `dev` is read. Raises AlignmentError when either split has unlabeled cases or lacks
        one of the two classes.
        """
        train_labels = _labels_of(train, "training")
        dev_labels = _labels_of(dev, "dev")

        fields = _field_names(train)
        output_vectorizer = TfidfVectorizer(**TFIDF_PARAMS)
        input_vectorizer = TfidfVectorizer(**TFIDF_PARAMS)
        output_vectorizer.fit([case.output or "" for case in train])
        input_vectorizer.fit([case.input_text() for case in train])
        scaler = StandardScaler().fit(_dense_features(train, fields))

        def featurize(cases: Sequence[Case]) -> sparse.csr_matrix:
            return _stack_features(cases, fields, output_vectorizer, input_vectorizer, scaler)

        train_matrix = featurize(train)
        dev_matrix = featurize(dev)
        best: tuple[float, float, LogisticRegression] | None = None
        best_auc = -1.0
        for c in C_GRID:
            model = LogisticRegression(
                C=c,
                class_weight="balanced",
                solver="liblinear",
                max_iter=5000,
                random_state=self.seed,
            )
            model.fit(train_matrix, train_labels)
            auc = float(roc_auc_score(dev_labels, model.predict_proba(dev_matrix)[:, 1]))
            if auc > best_auc + _TIE_TOLERANCE:
                best_auc = auc
                best = (c, auc, model)
        assert best is not None
        chosen_c, dev_auc, model = best

        dev_probabilities = model.predict_proba(dev_matrix)[:, 1]
        threshold, dev_balanced_accuracy = choose_threshold(dev_probabilities, dev_labels)
        self.threshold = threshold
        self._state = _FittedState(
            fields=fields,
            output_vectorizer=output_vectorizer,
            input_vectorizer=input_vectorizer,
            scaler=scaler,
            model=model,
            c=chosen_c,
            dev_roc_auc=dev_auc,
            dev_balanced_accuracy=dev_balanced_accuracy,
            train_size=len(train),
            dev_size=len(dev),
            prompt_hash=_training_hash(train, self.seed),
        )
        return self

    def predict_proba(self, cases: Sequence[Case]) -> npt.NDArray[np.float64]:
        """Return P(pass) for each case, in order. A case with no output is scored as ''."""
        state = self._fitted()
        if not cases:
            return np.zeros(0, dtype=np.float64)
        matrix = _stack_features(
            cases, state.fields, state.output_vectorizer, state.input_vectorizer, state.scaler
        )
        probabilities: npt.NDArray[np.float64] = state.model.predict_proba(matrix)[:, 1]
        return probabilities

    def predict(self, cases: Sequence[Case]) -> list[bool]:
        """Return the verdict for each case: True when P(pass) is at least `threshold`."""
        return [bool(p >= self.threshold) for p in self.predict_proba(cases)]

    def identity(self) -> dict[str, str]:
        """Return the lineage recorded with each score.

        `prompt_hash` is the first 16 hex digits of a SHA-256 over FEATURE_CONFIG, the seed
        and the training cases' ids and labels, so retraining on other labels changes it.
        """
        return {"judge_model": JUDGE_MODEL, "prompt_hash": self._fitted().prompt_hash}

    def describe(self) -> dict[str, Any]:
        """Return the training summary: split sizes, chosen C, threshold and dev figures."""
        state = self._fitted()
        return {
            "judge_model": JUDGE_MODEL,
            "seed": self.seed,
            "train_size": state.train_size,
            "dev_size": state.dev_size,
            "input_fields": list(state.fields),
            "c": state.c,
            "threshold": self.threshold,
            "dev_balanced_accuracy": state.dev_balanced_accuracy,
            "dev_roc_auc": state.dev_roc_auc,
        }

    def _fitted(self) -> _FittedState:
        if self._state is None:
            raise RuntimeError("OfflineJudge is not fitted: call fit(train, dev) first")
        return self._state


def _dense_features(cases: Sequence[Case], fields: list[str]) -> npt.NDArray[np.float64]:
    """Return one row of grounding features per case: each field, then all inputs together.

    A field missing from a case counts as an empty source.
    """
    rows = []
    for case in cases:
        output = case.output or ""
        row: list[float] = []
        for name in fields:
            row.extend(_grounding_features(output, str(case.inputs.get(name, ""))))
        row.extend(_grounding_features(output, case.input_text()))
        rows.append(row)
    return np.array(rows, dtype=np.float64)


def _stack_features(
    cases: Sequence[Case],
    fields: list[str],
    output_vectorizer: TfidfVectorizer,
    input_vectorizer: TfidfVectorizer,
    scaler: StandardScaler,
) -> sparse.csr_matrix:
    output_tfidf = output_vectorizer.transform([case.output or "" for case in cases])
    input_tfidf = input_vectorizer.transform([case.input_text() for case in cases])
    grounding = sparse.csr_matrix(scaler.transform(_dense_features(cases, fields)))
    return sparse.hstack([output_tfidf, input_tfidf, grounding], format="csr")


class OfflineJudgeScorer:
    """Scorer that turns a fitted OfflineJudge's verdict into 1.0 (pass) or 0.0 (fail)."""

    def __init__(self, judge: OfflineJudge, name: str = "judge") -> None:
        judge.identity()  # Raises RuntimeError now rather than on the first case.
        self.judge = judge
        self.name = name

    def identity(self) -> dict[str, str]:
        return self.judge.identity()

    async def score(self, case: Case, output: str) -> Score:
        """Score `output` as the output of `case`. `output` may differ from `case.output`."""
        return self.score_many([dataclasses.replace(case, output=output)])[0]

    def score_many(self, cases: Sequence[Case]) -> list[Score]:
        """Score each case's own `output` in one batch, in order."""
        probabilities = self.judge.predict_proba(cases)
        return [self._to_score(float(p)) for p in probabilities]

    def _to_score(self, probability: float) -> Score:
        passed = probability >= self.judge.threshold
        return Score(
            name=self.name,
            value=1.0 if passed else 0.0,
            passed=passed,
            reason=f"P(pass)={probability:.2f}",
        )
