"""A learned binary judge that runs offline: TF-IDF and grounding features with logistic regression.

The judge trains on labeled cases and needs no network and no API key. Besides bag-of-words
features of the output and of the inputs, it measures how much of the output is grounded in
each input field (token overlap, character 4-gram overlap, longest shared token run). Those
grounding features carry most of the signal on attribution and faithfulness rubrics, where
the question is whether the output says only what the inputs support.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
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

# Regularization strengths tried on the dev split; smaller C means stronger regularization.
C_GRID: tuple[float, ...] = (0.1, 0.3, 1.0, 3.0, 10.0)

# Everything that shapes the features and the model. It goes into `prompt_hash`, so a change
# here gives the judge a new identity.
FEATURE_CONFIG: dict[str, Any] = {
    "version": 1,
    "output_tfidf": {"ngram_range": [1, 2], "sublinear_tf": True, "min_df": 1},
    "input_tfidf": {"ngram_range": [1, 2], "sublinear_tf": True, "min_df": 1},
    "grounding": [
        "token_precision",
        "token_recall",
        "char4_jaccard",
        "longest_common_run",
        "log_output_length",
        "log_length_ratio",
    ],
    "scaler": "standard",
    "model": "logistic_regression(class_weight=balanced, solver=liblinear)",
    "c_grid": list(C_GRID),
    "c_selection": "dev_roc_auc",
    "threshold_selection": "dev_balanced_accuracy",
}

_TOKEN_PATTERN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_ALL_INPUTS = "__all_inputs__"


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


def _grounding_features(output: str, source: str) -> list[float]:
    """Compute the overlap features of `output` against one source text.

    Precision is the share of the output's content tokens that occur in the source, and
    recall is the share of the source's content tokens that occur in the output. An empty
    output or source gives zero overlap.
    """
    output_tokens = _tokens(output)
    source_tokens = _tokens(source)
    output_content = _content_tokens(output_tokens)
    source_content_set = set(_content_tokens(source_tokens))
    output_content_set = set(output_content)

    if output_content:
        precision = sum(token in source_content_set for token in output_content) / len(
            output_content
        )
    else:
        precision = 0.0
    if source_content_set:
        recall = len(source_content_set & output_content_set) / len(source_content_set)
    else:
        recall = 0.0

    output_grams = _char_ngrams(output)
    source_grams = _char_ngrams(source)
    union = output_grams | source_grams
    jaccard = len(output_grams & source_grams) / len(union) if union else 0.0

    run = _longest_common_run(output_tokens, source_tokens)
    run_ratio = run / len(output_tokens) if output_tokens else 0.0

    log_output_length = math.log1p(len(output_tokens))
    log_length_ratio = log_output_length - math.log1p(len(source_tokens))

    source_bigrams = set(zip(source_tokens, source_tokens[1:], strict=False))
    output_bigrams = list(zip(output_tokens, output_tokens[1:], strict=False))
    if output_bigrams:
        bigram_precision = sum(b in source_bigrams for b in output_bigrams) / len(output_bigrams)
    else:
        bigram_precision = 0.0
    novel = sum(token not in source_content_set for token in output_content_set)
    log_novel = math.log1p(novel)
    source_token_set = set(source_tokens)
    numbers = [t for t in output_tokens if any(ch.isdigit() for ch in t)]
    if numbers:
        number_precision = sum(t in source_token_set for t in numbers) / len(numbers)
    else:
        number_precision = 1.0
    return [
        precision,
        recall,
        jaccard,
        run_ratio,
        log_output_length,
        log_length_ratio,
        bigram_precision,
        log_novel,
        number_precision,
    ]


def _balanced_accuracy(labels: npt.NDArray[np.bool_], predicted: npt.NDArray[np.bool_]) -> float:
    positives = labels.sum()
    negatives = labels.size - positives
    tpr = (predicted & labels).sum() / positives
    tnr = (~predicted & ~labels).sum() / negatives
    return float((tpr + tnr) / 2)


def choose_threshold(
    probabilities: npt.NDArray[np.float64], labels: npt.NDArray[np.bool_]
) -> tuple[float, float]:
    """Return the threshold that maximizes balanced accuracy and that balanced accuracy.

    A case passes when its probability is at least the threshold. Candidates are 0.5 and
    the midpoints between consecutive distinct probabilities, so a chosen threshold never
    sits exactly on a dev case. Ties go to the candidate closest to 0.5. Both classes must
    be present in `labels`.
    """
    distinct = np.unique(probabilities)
    midpoints = (distinct[:-1] + distinct[1:]) / 2
    candidates = np.concatenate(([0.5], midpoints, [distinct[0] - 1e-9, distinct[-1] + 1e-9]))
    best_threshold = 0.5
    best_score = -1.0
    for candidate in candidates:
        score = _balanced_accuracy(labels, probabilities >= candidate)
        closer = abs(candidate - 0.5) < abs(best_threshold - 0.5)
        if score > best_score + 1e-12 or (abs(score - best_score) <= 1e-12 and closer):
            best_threshold = float(candidate)
            best_score = score
    return best_threshold, best_score


def _labels_of(cases: Sequence[Case], split: str) -> npt.NDArray[np.bool_]:
    unlabeled = [case.case_id for case in cases if case.label is None]
    if unlabeled:
        raise AlignmentError(
            f"the {split} split has {len(unlabeled)} unlabeled cases (first: {unlabeled[0]!r});"
            " the offline judge trains and tunes only on cases labeled pass or fail"
        )
    labels = np.array([bool(case.label) for case in cases], dtype=bool)
    passes = int(labels.sum())
    fails = labels.size - passes
    if passes == 0 or fails == 0:
        raise AlignmentError(
            f"the {split} split needs both pass and fail labels, but it has {passes} pass and"
            f" {fails} fail; label more cases or use a stratified split"
        )
    return labels


class OfflineJudge:
    """A binary pass/fail judge trained on labeled cases, with its threshold tuned on dev."""

    def __init__(self, *, seed: int = 0) -> None:
        self.seed = seed
        self.threshold = 0.5
        self._fields: list[str] = []
        self._output_vectorizer: TfidfVectorizer | None = None
        self._input_vectorizer: TfidfVectorizer | None = None
        self._scaler: StandardScaler | None = None
        self._model: LogisticRegression | None = None
        self._chosen_c: float | None = None
        self._dev_balanced_accuracy: float | None = None
        self._dev_auc: float | None = None
        self._train_size = 0
        self._dev_size = 0
        self._prompt_hash: str | None = None

    def fit(self, train: Sequence[Case], dev: Sequence[Case]) -> OfflineJudge:
        """Fit the features and the model on `train`, then pick C and the threshold on `dev`.

        Raises AlignmentError when either split has unlabeled cases or lacks one of the two
        classes. Only `train` and `dev` are read, so a test split stays unseen.
        """
        train_labels = _labels_of(train, "training")
        dev_labels = _labels_of(dev, "dev")

        self._fields = _field_names(train)
        self._output_vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        self._input_vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        self._scaler = StandardScaler()
        self._output_vectorizer.fit([case.output or "" for case in train])
        self._input_vectorizer.fit([case.input_text() for case in train])
        self._scaler.fit(self._dense_features(train))

        train_matrix = self._features(train)
        dev_matrix = self._features(dev)
        best: tuple[float, float, float, LogisticRegression] | None = None
        for c in C_GRID:
            model = LogisticRegression(
                C=c,
                class_weight="balanced",
                solver="liblinear",
                max_iter=5000,
                random_state=self.seed,
            )
            model.fit(train_matrix, train_labels)
            dev_probabilities = model.predict_proba(dev_matrix)[:, 1]
            auc = float(roc_auc_score(dev_labels, dev_probabilities))
            threshold, balanced = choose_threshold(dev_probabilities, dev_labels)
            if best is None or auc > best[0] + 1e-12:
                best = (auc, balanced, threshold, model)
                self._chosen_c = c
        assert best is not None
        self._dev_auc, self._dev_balanced_accuracy, self.threshold, self._model = best
        self._train_size = len(train)
        self._dev_size = len(dev)
        self._prompt_hash = _training_hash(train, self.seed)
        return self

    def predict_proba(self, cases: Sequence[Case]) -> npt.NDArray[np.float64]:
        """Return P(pass) for each case, in order."""
        model = self._require_fitted()
        if not cases:
            return np.zeros(0, dtype=np.float64)
        probabilities: npt.NDArray[np.float64] = model.predict_proba(self._features(cases))[:, 1]
        return probabilities

    def predict(self, cases: Sequence[Case]) -> list[bool]:
        """Return the verdict for each case: True when P(pass) is at least the threshold."""
        return [bool(p >= self.threshold) for p in self.predict_proba(cases)]

    def identity(self) -> dict[str, str]:
        """Return the lineage recorded with each score.

        `prompt_hash` is the first 16 hex digits of a SHA-256 over the feature configuration,
        the seed and the training cases' ids and labels.
        """
        self._require_fitted()
        assert self._prompt_hash is not None
        return {"judge_model": JUDGE_MODEL, "prompt_hash": self._prompt_hash}

    def describe(self) -> dict[str, Any]:
        """Return the training summary: split sizes, chosen C, threshold and dev figures."""
        self._require_fitted()
        return {
            "judge_model": JUDGE_MODEL,
            "train_size": self._train_size,
            "dev_size": self._dev_size,
            "input_fields": list(self._fields),
            "c": self._chosen_c,
            "threshold": self.threshold,
            "dev_balanced_accuracy": self._dev_balanced_accuracy,
            "dev_roc_auc": self._dev_auc,
            "seed": self.seed,
        }

    def _require_fitted(self) -> LogisticRegression:
        if self._model is None:
            raise RuntimeError("OfflineJudge is not fitted: call fit(train, dev) first")
        return self._model

    def _dense_features(self, cases: Sequence[Case]) -> npt.NDArray[np.float64]:
        rows = []
        for case in cases:
            output = case.output or ""
            row: list[float] = []
            for name in self._fields:
                row.extend(_grounding_features(output, str(case.inputs.get(name, ""))))
            row.extend(_grounding_features(output, case.input_text()))
            rows.append(row)
        return np.array(rows, dtype=np.float64)

    def _features(self, cases: Sequence[Case]) -> sparse.csr_matrix:
        assert self._output_vectorizer is not None
        assert self._input_vectorizer is not None
        assert self._scaler is not None
        output_tfidf = self._output_vectorizer.transform([case.output or "" for case in cases])
        input_tfidf = self._input_vectorizer.transform([case.input_text() for case in cases])
        dense = self._scaler.transform(self._dense_features(cases))
        return sparse.hstack([output_tfidf, input_tfidf, sparse.csr_matrix(dense)], format="csr")


def _field_names(cases: Sequence[Case]) -> list[str]:
    """Return the input field names of `cases` in first-seen order."""
    names: dict[str, None] = {}
    for case in cases:
        for name in case.inputs:
            names.setdefault(name, None)
    return list(names)


def _training_hash(train: Sequence[Case], seed: int) -> str:
    payload = {
        "feature_config": FEATURE_CONFIG,
        "seed": seed,
        "training": sorted([case.case_id, bool(case.label)] for case in train),
    }
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


class OfflineJudgeScorer:
    """Scorer that returns a fitted OfflineJudge's verdict as 1.0 (pass) or 0.0 (fail)."""

    def __init__(self, judge: OfflineJudge, name: str = "judge") -> None:
        self.judge = judge
        self.name = name

    def identity(self) -> dict[str, str]:
        return self.judge.identity()

    async def score(self, case: Case, output: str) -> Score:
        """Score `output` as the output of `case`, which may differ from `case.output`."""
        return self.score_many([dataclasses.replace(case, output=output)])[0]

    def score_many(self, cases: Sequence[Case]) -> list[Score]:
        """Score each case's recorded output in one batch."""
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
