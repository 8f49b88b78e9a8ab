"""Tests of the offline judge: training contract, threshold tuning, scorer, real-data accuracy."""

from __future__ import annotations

import asyncio
import csv
import functools
import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

import evalgauge.quickstart
from evalgauge.cases import Case
from evalgauge.errors import AlignmentError
from evalgauge.models.offline_judge import (
    JUDGE_MODEL,
    OfflineJudge,
    OfflineJudgeScorer,
    choose_threshold,
)
from tests._env import require_file, shared_data_dir

DATA_ROOT = shared_data_dir()
BEGIN_PATH = DATA_ROOT / "begin-attribution-wow-dev" / "begin_dev_wow.tsv"
RECIPE_PATH = DATA_ROOT / "recipe-bot-dietary-traces" / "labeled_traces.jsonl"
QUICKSTART_PATH = Path(evalgauge.quickstart.__file__).parent / "data" / "traces.jsonl"

SEEDS = range(5)


def _require(path: Path) -> None:
    require_file(path)


@functools.cache
def load_begin() -> tuple[Case, ...]:
    """Read the BEGIN WoW dev split: pass means the response is fully attributable."""
    _require(BEGIN_PATH)
    cases = []
    with BEGIN_PATH.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        for row_number, row in enumerate(reader, start=1):
            cases.append(
                Case(
                    case_id=f"begin-{row_number}",
                    inputs={"knowledge": row["knowledge"], "message": row["message"]},
                    output=row["response"],
                    label=row["begin_label"] == "Fully attributable",
                )
            )
    return tuple(cases)


@functools.cache
def load_recipe() -> tuple[Case, ...]:
    _require(RECIPE_PATH)
    cases = []
    with RECIPE_PATH.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            cases.append(
                Case(
                    case_id=row["trace_id"],
                    inputs={
                        "query": row["query"],
                        "dietary_restriction": row["dietary_restriction"],
                    },
                    output=row["response"],
                    label=row["label"] == "PASS",
                )
            )
    return tuple(cases)


@functools.cache
def load_quickstart_traces() -> tuple[dict[str, str], ...]:
    with QUICKSTART_PATH.open(encoding="utf-8") as handle:
        return tuple(json.loads(line) for line in handle)


@functools.cache
def load_quickstart_labeled() -> tuple[Case, ...]:
    return tuple(
        Case(
            case_id=row["trace_id"],
            inputs={"question": row["question"], "context": row["context"]},
            output=row["answer"],
            label=row["label"] == "pass",
        )
        for row in load_quickstart_traces()
        if row["label"]
    )


def stratified_split(cases: Sequence[Case], seed: int) -> tuple[list[Case], list[Case], list[Case]]:
    """Split each class 50/20/30 into train, dev and test after a seeded shuffle."""
    rng = np.random.default_rng(seed)
    train: list[Case] = []
    dev: list[Case] = []
    test: list[Case] = []
    for label in (True, False):
        group = [case for case in cases if case.label is label]
        train_end = round(len(group) * 0.5)
        dev_end = round(len(group) * 0.7)
        for position, index in enumerate(rng.permutation(len(group))):
            if position < train_end:
                train.append(group[index])
            elif position < dev_end:
                dev.append(group[index])
            else:
                test.append(group[index])
    return train, dev, test


def rates_on(judge: OfflineJudge, test: Sequence[Case]) -> tuple[float, float]:
    """Return (TPR, TNR) of the judge's verdicts on `test`."""
    predicted = np.array(judge.predict(test))
    labels = np.array([case.label for case in test], dtype=bool)
    tpr = float((predicted & labels).sum() / labels.sum())
    tnr = float((~predicted & ~labels).sum() / (~labels).sum())
    return tpr, tnr


@functools.cache
def measured_rates(dataset: str, seed: int) -> tuple[float, float]:
    loaders = {
        "begin": load_begin,
        "recipe": load_recipe,
        "quickstart": load_quickstart_labeled,
    }
    train, dev, test = stratified_split(loaders[dataset](), seed)
    judge = OfflineJudge(seed=seed).fit(train, dev)
    return rates_on(judge, test)


def small_cases() -> list[Case]:
    """Return a tiny attribution set: pass outputs copy the knowledge, fail outputs do not."""
    facts = [
        "the eiffel tower is 330 metres tall and was finished in 1889",
        "honey bees communicate the location of flowers with a waggle dance",
        "the amazon river discharges more water than any other river",
        "mount everest rises 8849 metres above sea level",
        "the violin has four strings tuned in perfect fifths",
        "saturn has a ring system made mostly of ice particles",
        "the great wall of china stretches across northern china",
        "penguins live almost exclusively in the southern hemisphere",
    ]
    unrelated = [
        "i really like going to the movies on weekends",
        "my favourite food is probably pizza with mushrooms",
        "do you have any pets at home",
        "i think it will rain tomorrow afternoon",
    ]
    cases = []
    for index, fact in enumerate(facts):
        message = "tell me something interesting"
        cases.append(
            Case(f"p{index}", {"knowledge": fact, "message": message}, output=fact, label=True)
        )
        cases.append(
            Case(
                f"f{index}",
                {"knowledge": fact, "message": message},
                output=unrelated[index % len(unrelated)],
                label=False,
            )
        )
    return cases


def test_choose_threshold_separable() -> None:
    probabilities = np.array([0.1, 0.2, 0.7, 0.9])
    labels = np.array([False, False, True, True])
    threshold, balanced_accuracy = choose_threshold(probabilities, labels)
    assert balanced_accuracy == 1.0
    assert threshold == 0.5


def test_choose_threshold_off_center() -> None:
    probabilities = np.array([0.05, 0.1, 0.2, 0.3])
    labels = np.array([False, False, True, True])
    threshold, balanced_accuracy = choose_threshold(probabilities, labels)
    assert balanced_accuracy == 1.0
    assert threshold == pytest.approx(0.15)


def test_choose_threshold_tie_nearest_half() -> None:
    # Cuts at 0.25 and at 0.7 both reach balanced accuracy 0.75, and 0.7 is closer to 0.5.
    probabilities = np.array([0.1, 0.4, 0.6, 0.8])
    labels = np.array([False, True, False, True])
    threshold, balanced_accuracy = choose_threshold(probabilities, labels)
    assert balanced_accuracy == 0.75
    assert threshold == pytest.approx(0.7)


def test_fit_is_deterministic() -> None:
    train, dev, test = stratified_split(load_begin(), seed=3)
    first = OfflineJudge(seed=3).fit(train, dev)
    second = OfflineJudge(seed=3).fit(train, dev)
    np.testing.assert_array_equal(first.predict_proba(test), second.predict_proba(test))
    assert first.threshold == second.threshold
    assert first.identity() == second.identity()
    assert first.describe() == second.describe()


def test_identity_hashes_training_labels() -> None:
    cases = small_cases()
    judge = OfflineJudge().fit(cases[:12], cases[12:])
    identity = judge.identity()
    assert identity["judge_model"] == JUDGE_MODEL
    assert re.fullmatch(r"[0-9a-f]{16}", identity["prompt_hash"])

    flipped = [*cases[:11], Case("extra", cases[11].inputs, "extra output", label=True)]
    other = OfflineJudge().fit(flipped, cases[12:])
    assert other.identity()["prompt_hash"] != identity["prompt_hash"]


def test_describe_reports_training() -> None:
    train, dev, _ = stratified_split(load_begin(), seed=0)
    judge = OfflineJudge(seed=0).fit(train, dev)
    summary = judge.describe()
    assert summary["train_size"] == len(train)
    assert summary["dev_size"] == len(dev)
    assert summary["c"] in (0.1, 0.3, 1.0, 3.0, 10.0)
    assert summary["threshold"] == judge.threshold
    assert summary["input_fields"] == ["knowledge", "message"]
    assert 0.5 <= summary["dev_balanced_accuracy"] <= 1.0


def test_threshold_chosen_on_dev() -> None:
    train, dev, _ = stratified_split(load_begin(), seed=1)
    judge = OfflineJudge(seed=1).fit(train, dev)
    dev_labels = np.array([case.label for case in dev], dtype=bool)
    dev_probabilities = judge.predict_proba(dev)

    expected_threshold, expected_accuracy = choose_threshold(dev_probabilities, dev_labels)
    assert judge.threshold == expected_threshold
    assert judge.describe()["dev_balanced_accuracy"] == pytest.approx(expected_accuracy)

    # No cut through the dev probabilities beats the chosen threshold on dev.
    def dev_balanced_accuracy(threshold: float) -> float:
        predicted = dev_probabilities >= threshold
        tpr = (predicted & dev_labels).sum() / dev_labels.sum()
        tnr = (~predicted & ~dev_labels).sum() / (~dev_labels).sum()
        return float((tpr + tnr) / 2)

    best_cut = max(dev_balanced_accuracy(p) for p in dev_probabilities)
    assert dev_balanced_accuracy(judge.threshold) >= best_cut - 1e-12


def test_single_class_training_raises() -> None:
    passes = [case for case in small_cases() if case.label]
    with pytest.raises(AlignmentError, match=r"both pass and fail labels.*8 pass and 0 fail"):
        OfflineJudge().fit(passes, small_cases())


def test_single_class_dev_raises() -> None:
    cases = small_cases()
    fails = [case for case in cases if not case.label]
    with pytest.raises(AlignmentError, match=r"dev split needs both.*0 pass and 8 fail"):
        OfflineJudge().fit(cases, fails)


def test_unlabeled_training_raises() -> None:
    cases = small_cases()
    unlabeled = [*cases, Case("u1", cases[0].inputs, "some output", label=None)]
    with pytest.raises(
        AlignmentError, match=r"1 of 17 cases in the training split are unlabeled \(first: 'u1'\)"
    ):
        OfflineJudge().fit(unlabeled, cases)


def test_unfitted_judge_raises() -> None:
    judge = OfflineJudge()
    with pytest.raises(RuntimeError, match="not fitted"):
        judge.predict(small_cases())
    with pytest.raises(RuntimeError, match="not fitted"):
        judge.identity()
    with pytest.raises(RuntimeError, match="not fitted"):
        OfflineJudgeScorer(judge)


def test_predict_edge_cases() -> None:
    cases = small_cases()
    judge = OfflineJudge().fit(cases, cases)
    assert judge.predict_proba([]).shape == (0,)
    assert judge.predict([]) == []

    odd = [
        Case("no-output", {"knowledge": "a fact", "message": "hi"}, output=None),
        Case("missing-field", {"knowledge": "a fact"}, output="a fact"),
        Case("extra-field", {"knowledge": "x", "message": "y", "other": "z"}, output="x"),
    ]
    probabilities = judge.predict_proba(odd)
    assert probabilities.shape == (3,)
    assert np.all((probabilities >= 0) & (probabilities <= 1))


def test_scorer_end_to_end() -> None:
    train, dev, test = stratified_split(load_begin(), seed=0)
    judge = OfflineJudge(seed=0).fit(train, dev)
    scorer = OfflineJudgeScorer(judge, name="attribution")
    assert scorer.identity() == judge.identity()

    case = test[0]
    score = asyncio.run(scorer.score(case, case.output or ""))
    assert score.name == "attribution"
    assert score.value in (0.0, 1.0)
    assert score.passed is (score.value == 1.0)
    assert score.reason is not None
    match = re.fullmatch(r"P\(pass\)=(\d\.\d\d)", score.reason)
    assert match is not None
    probability = judge.predict_proba([case])[0]
    assert float(match.group(1)) == pytest.approx(probability, abs=0.005)
    assert score.passed is bool(probability >= judge.threshold)

    # The scorer judges the output it is given, not the case's recorded output.
    knowledge = str(case.inputs["knowledge"])
    copied = asyncio.run(scorer.score(case, knowledge))
    unrelated = asyncio.run(scorer.score(case, "haha i have no idea, do you like pizza?"))
    assert copied.passed is True
    assert unrelated.passed is False

    batch = scorer.score_many(test[:20])
    singles = [asyncio.run(scorer.score(c, c.output or "")) for c in test[:20]]
    assert batch == singles


def test_begin_accuracy_floor() -> None:
    rates = [measured_rates("begin", seed) for seed in SEEDS]
    balanced = [(tpr + tnr) / 2 for tpr, tnr in rates]
    # Measured with this file's split: mean 0.863, range 0.837-0.886 over seeds 0-4.
    assert np.mean(balanced) >= 0.80, f"balanced accuracy per seed: {balanced}"
    assert min(balanced) >= 0.75, f"balanced accuracy per seed: {balanced}"
    assert min(tpr for tpr, _ in rates) >= 0.6, f"(TPR, TNR) per seed: {rates}"
    assert min(tnr for _, tnr in rates) >= 0.6, f"(TPR, TNR) per seed: {rates}"


def test_recipe_accuracy_floor() -> None:
    rates = [measured_rates("recipe", seed) for seed in SEEDS]
    balanced = [(tpr + tnr) / 2 for tpr, tnr in rates]
    # Measured with this file's split: mean 0.832, range 0.685-0.916 over seeds 0-4. The test
    # split holds only 8 fail cases, so TNR moves in steps of 0.125.
    assert np.mean(balanced) >= 0.75, f"balanced accuracy per seed: {balanced}"
    assert min(balanced) >= 0.62, f"balanced accuracy per seed: {balanced}"


def test_quickstart_traces_shape() -> None:
    rows = load_quickstart_traces()
    labels = [row["label"] for row in rows]
    assert len(rows) == 100
    assert labels.count("pass") == 40
    assert labels.count("fail") == 20
    assert labels.count("") == 40
    assert len({row["trace_id"] for row in rows}) == 100
    for row in rows:
        assert set(row) == {
            "trace_id",
            "question",
            "context",
            "answer",
            "label",
            "critique",
            "route",
        }
        assert row["route"] in {"billing", "limits", "auth", "outages", "sdk"}
        assert bool(row["critique"]) is bool(row["label"]), row["trace_id"]


def test_quickstart_judge_youden() -> None:
    seeds = range(10)
    youden = [sum(measured_rates("quickstart", seed)) - 1 for seed in seeds]
    # Measured with this file's split: J above 0.2 on all 10 seeds, mean 0.74, minimum 0.33.
    above = sum(j > 0.2 for j in youden)
    assert above >= 8, f"Youden's J per seed: {youden}"
    assert np.mean(youden) >= 0.5, f"Youden's J per seed: {youden}"
