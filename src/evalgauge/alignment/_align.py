"""`evalgauge align`: split labeled cases, run the judge, compare it with the humans.

The judge is trained or tuned on train and dev only; every headline figure comes from test.
The corrected pass rate applies the judge's test TPR and TNR to its verdicts on the
unlabeled cases (Rogan-Gladen), with a bootstrap that resamples both sets.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from evalgauge.alignment._report import AlignmentReport, Verdict
from evalgauge.cases import Case
from evalgauge.config import JudgeScorerConfig, SuiteConfig
from evalgauge.config._build import build_llm_judge, field_mapping, open_cache
from evalgauge.engine import RunPlan, execute_run
from evalgauge.errors import (
    AlignmentError,
    ConfigError,
    RunFailed,
    RunInterrupted,
    UsageError,
)
from evalgauge.scorers._base import Scorer
from evalgauge.stats import (
    CorrectedPassRate,
    confusion_matrix,
    corrected_pass_rate,
    stratified_split,
)
from evalgauge.store import Store
from evalgauge.targets import RecordedTarget

MIN_LABELED = 10
# Below this many judged test cases the report warns that its rates are coarse.
SMALL_TEST = 30


@dataclass(frozen=True)
class _Data:
    labeled: list[Case]
    unlabeled: list[Case]
    version: str


def _load(config: SuiteConfig) -> _Data:
    from evalgauge.datasets import iter_cases, scan_dataset

    mapping = field_mapping(config.dataset)
    if mapping.label is None:
        raise UsageError("align needs human labels: set --label to the field that contains them")
    if mapping.output is None:
        raise UsageError("align judges recorded outputs: set --output to the field holding them")
    info = scan_dataset(config.dataset.path, mapping, format=config.dataset.format)
    cases = list(iter_cases(config.dataset.path, mapping, format=config.dataset.format))
    labeled = [c for c in cases if c.label is not None]
    unlabeled = [c for c in cases if c.label is None]
    version = info.version
    if config.align.unlabeled is not None:
        extra = scan_dataset(config.align.unlabeled, mapping)
        unlabeled = [
            Case(c.case_id, c.inputs, c.output, None, c.expected, c.metadata)
            for c in iter_cases(config.align.unlabeled, mapping)
        ]
        version = "sha256:" + hashlib.sha256(f"{info.version}+{extra.version}".encode()).hexdigest()
        clash = {c.case_id for c in labeled} & {c.case_id for c in unlabeled}
        if clash:
            raise UsageError(
                f"{len(clash)} case ids occur in both the labeled and the unlabeled file "
                f"(for example {sorted(clash)[0]!r}); the sets must not overlap"
            )
    _check_labels(labeled, str(config.dataset.path))
    return _Data(labeled, unlabeled, version)


def _check_labels(labeled: Sequence[Case], path: str) -> None:
    n_pass = sum(1 for c in labeled if c.label)
    n_fail = len(labeled) - n_pass
    if len(labeled) < MIN_LABELED:
        raise AlignmentError(
            f"{path} has {len(labeled)} labeled cases; alignment needs at least {MIN_LABELED} "
            "(about 50 is a good start)"
        )
    if n_pass < 3 or n_fail < 3:
        raise AlignmentError(
            f"{path} has {n_pass} passing and {n_fail} failing labels; alignment needs at "
            "least 3 of each so that train, dev and test all see both verdicts"
        )


def _judge_config(config: SuiteConfig) -> JudgeScorerConfig:
    judges = [s for s in config.scorers if isinstance(s, JudgeScorerConfig)]
    if not judges:
        return JudgeScorerConfig(kind="judge")
    if len(judges) > 1:
        raise ConfigError(
            f"align compares one judge with the labels, but the config has {len(judges)}; "
            "keep one `kind: judge` scorer"
        )
    return judges[0]


def _build_judge(
    judge_config: JudgeScorerConfig, config: SuiteConfig, train: list[Case], dev: list[Case]
) -> tuple[Scorer, dict[str, object]]:
    if judge_config.judge == "offline":
        from evalgauge.models.offline_judge import OfflineJudge, OfflineJudgeScorer

        judge = OfflineJudge(seed=config.align.seed).fit(train, dev)
        return OfflineJudgeScorer(judge, name=judge_config.name), judge.describe()
    settings = config.engine
    scorer = build_llm_judge(judge_config, settings, open_cache(settings))
    return scorer, {"kind": judge_config.judge, "model": judge_config.model}


async def run_alignment(
    config: SuiteConfig, store: Store, *, progress: bool = True
) -> AlignmentReport:
    """Run the whole alignment on `config` and store the judge's verdicts as a run."""
    data = _load(config)
    labels = np.array([bool(c.label) for c in data.labeled])
    split = stratified_split(labels, fractions=config.align.split, seed=config.align.seed)
    parts = {
        name: [data.labeled[i] for i in getattr(split, name)] for name in ("train", "dev", "test")
    }
    judge_config = _judge_config(config)
    scorer, details = _build_judge(judge_config, config, parts["train"], parts["dev"])
    model = getattr(scorer, "model", None)
    try:
        if model is not None:
            await model.check_ready()
        run_id = await _judge_cases(config, store, data, parts, scorer, progress)
    finally:
        if model is not None:
            await model.aclose()
            if model.cache is not None:
                model.cache.close()
    membership = {c.case_id: name for name in ("dev", "test") for c in parts[name]}
    membership.update({c.case_id: "unlabeled" for c in data.unlabeled})
    verdicts = _read_verdicts(store, run_id, judge_config.name, membership)
    return _report(config, data, parts, verdicts, run_id, scorer, details)


async def _judge_cases(
    config: SuiteConfig,
    store: Store,
    data: _Data,
    parts: dict[str, list[Case]],
    scorer: Scorer,
    progress: bool,
) -> str:

    # Train cases are not judged: their verdicts would flatter a learned judge.
    judged = parts["dev"] + parts["test"] + data.unlabeled
    plan = RunPlan(
        name=f"{config.name}:align",
        cases=lambda: judged,
        n_cases=len(judged),
        dataset_version=data.version,
        target=RecordedTarget(config.dataset.output),
        scorers=[scorer],
        settings=config.engine,
        config=config.model_dump(mode="json"),
        dataset_path=str(config.dataset.path),
    )
    summary = await execute_run(plan, store, progress=progress)
    if summary.interrupted:
        raise RunInterrupted(summary.run_id)
    return summary.run_id


def _read_verdicts(
    store: Store, run_id: str, scorer: str, membership: dict[str, str]
) -> list[Verdict]:
    verdicts = []
    for row in store.iter_case_results(run_id):
        score = row["scores"].get(scorer)
        error = row["error_message"] or (score or {}).get("error_message")
        passed = None if score is None or error else score["passed"]
        verdicts.append(
            Verdict(
                case_id=row["case_id"],
                split=membership.get(row["case_id"], "unknown"),
                label=row["label"],
                passed=passed,
                reason=(score or {}).get("reason"),
                error=error,
            )
        )
    return verdicts


def _matrix_for(verdicts: Sequence[Verdict], split: str) -> tuple[list[bool], list[bool]]:
    rows = [v for v in verdicts if v.split == split and v.passed is not None]
    return [bool(v.label) for v in rows], [bool(v.passed) for v in rows]


def _report(
    config: SuiteConfig,
    data: _Data,
    parts: dict[str, list[Case]],
    verdicts: list[Verdict],
    run_id: str,
    scorer: Scorer,
    details: dict[str, object],
) -> AlignmentReport:
    test_labels, test_preds = _matrix_for(verdicts, "test")
    dev_labels, dev_preds = _matrix_for(verdicts, "dev")
    if not test_labels:
        raise RunFailed(
            f"the judge returned no usable verdict on the test split; every call errored. "
            f"See the error examples with `evalgauge runs show {run_id} --config FILE`, where "
            "FILE is the suite file the alignment ran with"
        )
    test = confusion_matrix(test_labels, test_preds)
    dev = confusion_matrix(dev_labels, dev_preds) if dev_labels else None
    warnings = list(test.warnings())
    if test.n < SMALL_TEST:
        warnings.append(
            f"the test split has only {test.n} judged cases, so every rate above moves by "
            f"{1 / test.n:.0%} or more per case; label more cases for stable figures"
        )
    errors: dict[str, int] = {}
    for v in verdicts:
        if v.error is not None:
            errors[v.split] = errors.get(v.split, 0) + 1
    if errors:
        warnings.append(
            f"the judge errored on {sum(errors.values())} cases ({errors}); they are left out "
            "of every figure"
        )
    corrected, corrected_error = _correct(config, test_labels, test_preds, verdicts)
    if corrected is not None:
        warnings.extend(corrected.warnings)
    return AlignmentReport(
        run_id=run_id,
        dataset_path=str(config.dataset.path),
        dataset_version=data.version,
        judge=scorer.identity(),
        judge_details=dict(details),
        seed=config.align.seed,
        split_sizes={
            name: {
                "cases": len(cases),
                "pass": sum(1 for c in cases if c.label),
                "fail": sum(1 for c in cases if not c.label),
            }
            for name, cases in parts.items()
        }
        | {"unlabeled": {"cases": len(data.unlabeled)}},
        test=test,
        dev=dev,
        judge_errors=errors,
        corrected=corrected,
        corrected_error=corrected_error,
        verdicts=verdicts,
        warnings=warnings,
    )


def _correct(
    config: SuiteConfig,
    test_labels: list[bool],
    test_preds: list[bool],
    verdicts: Sequence[Verdict],
) -> tuple[CorrectedPassRate | None, str | None]:
    unlabeled_preds = [
        bool(v.passed) for v in verdicts if v.split == "unlabeled" and v.passed is not None
    ]
    if not unlabeled_preds:
        return None, (
            "no unlabeled cases to correct: leave some labels empty in the dataset or pass "
            "--unlabeled FILE"
        )
    try:
        result = corrected_pass_rate(
            test_labels,
            test_preds,
            unlabeled_preds,
            iterations=config.align.iterations,
            confidence=config.align.confidence,
            seed=config.align.seed,
        )
    except AlignmentError as exc:
        return None, str(exc)
    return result, None
