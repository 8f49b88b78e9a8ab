"""Run one suite from its configuration: validate, build, execute, aggregate."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from evalgauge.cases import Case
from evalgauge.config import (
    ChatTargetConfig,
    HttpTargetConfig,
    JudgeScorerConfig,
    RecordedTargetConfig,
    SuiteConfig,
    TextScorerConfig,
)
from evalgauge.config._build import (
    build_llm_judge,
    build_target,
    build_text_scorers,
    field_mapping,
    open_cache,
    target_provider,
)
from evalgauge.engine import ResponseCache, RunPlan, RunSummary, execute_run
from evalgauge.errors import AlignmentError, UsageError
from evalgauge.scorecard import Scorecard, build_scorecard
from evalgauge.scorers._base import Scorer
from evalgauge.selection import Selection, SelectionSpec, select_cases
from evalgauge.store import Store

if TYPE_CHECKING:
    from evalgauge.cost import CostProjection, PriceTable

logger = logging.getLogger(__name__)


def _offline_judge(config: SuiteConfig, judge_config: JudgeScorerConfig) -> Scorer:
    """Train the offline judge on the train and dev splits of the labeled cases."""
    from evalgauge.datasets import iter_cases
    from evalgauge.models.offline_judge import OfflineJudge, OfflineJudgeScorer
    from evalgauge.stats import stratified_split

    mapping = field_mapping(config.dataset)
    source = judge_config.train or config.dataset.path
    labeled = [c for c in iter_cases(source, mapping) if c.label is not None]
    if len(labeled) < 10:
        raise AlignmentError(
            f"the offline judge trains on labeled cases, but {source} has {len(labeled)}; "
            "label at least 10 (about 50 is a good start) or set `train:` to a labeled file"
        )
    labels = np.array([bool(c.label) for c in labeled])
    split = stratified_split(labels, fractions=config.align.split, seed=config.align.seed)
    judge = OfflineJudge(seed=config.align.seed).fit(
        [labeled[i] for i in split.train], [labeled[i] for i in split.dev]
    )
    if judge_config.train is None:
        logger.warning(
            "the offline judge trained and tuned on %d of this dataset's cases, so its scores "
            "on them are optimistic; `evalgauge align` reports figures on held-out cases",
            len(split.train) + len(split.dev),
        )
    return OfflineJudgeScorer(judge, name=judge_config.name)


def _check_fields(config: SuiteConfig) -> None:
    """Reject a suite whose every case would fail, before anything runs or is stored."""
    dataset = config.dataset
    if isinstance(config.target, RecordedTargetConfig) and dataset.output is None:
        raise UsageError(
            "the recorded target reads each case's output from a field, but none is set; "
            "pass --output FIELD (or `dataset.output`), or choose another --target"
        )
    for scorer in config.scorers:
        if isinstance(scorer, TextScorerConfig) and dataset.expected is None:
            raise UsageError(
                f"the {scorer.kind} scorer compares with each case's expected output, but no "
                "field is set; pass --expected FIELD (or `dataset.expected`)"
            )
    if not config.scorers:
        raise UsageError("the suite has no scorers; pass --scorer exact_match, contains or judge")


def _warn_unknown_placeholders(config: SuiteConfig, case: Case) -> None:
    """Warn about template placeholders that the first case has no field for.

    Braces that name no value are sent as written, so JSON in a prompt stays intact, but a
    misspelled field name would then reach the model as literal text.
    """
    from evalgauge.targets._templates import case_values, unknown_placeholders

    target = config.target
    templates: dict[str, Any] = {}
    if isinstance(target, ChatTargetConfig):
        templates = {"target.prompt": target.prompt, "target.system": target.system}
    elif isinstance(target, HttpTargetConfig):
        templates = {"target.url": target.url, "target.body": target.body}
    values = case_values(case)
    for key, template in templates.items():
        unknown = unknown_placeholders(template, values)
        if unknown:
            names = ", ".join("{" + name + "}" for name in unknown)
            logger.warning(
                "%s: %s names no field of case %r, so it is sent as written; the fields are %s",
                key,
                names,
                case.case_id,
                ", ".join(sorted(values)),
            )


def build_scorers(config: SuiteConfig, cache: ResponseCache | None) -> list[Scorer]:
    scorers: list[Scorer] = []
    for entry in config.scorers:
        if isinstance(entry, JudgeScorerConfig):
            if entry.judge == "offline":
                scorers.append(_offline_judge(config, entry))
            else:
                scorers.append(build_llm_judge(entry, config.engine, cache))
        else:
            scorers.extend(build_text_scorers([entry]))
    return scorers


def _prepare(
    config: SuiteConfig, options: RunOptions
) -> tuple[SuiteConfig, Path, Callable[[], Iterator[Case]], Selection]:
    """Apply the tier's changes, validate the dataset and choose the cases to run."""
    from evalgauge.datasets import iter_cases, scan_dataset

    if options.dataset is not None:
        dataset = config.dataset.model_copy(update={"path": options.dataset})
        config = config.model_copy(update={"dataset": dataset})
    if options.concurrency is not None:
        engine = config.engine.model_copy(update={"concurrency": options.concurrency})
        config = config.model_copy(update={"engine": engine})
    _check_fields(config)
    mapping = field_mapping(config.dataset)
    path, fmt = config.dataset.path, config.dataset.format
    info = scan_dataset(path, mapping, format=fmt)

    def all_cases() -> Iterator[Case]:
        return iter_cases(path, mapping, format=fmt)

    selection = select_cases(
        all_cases, options.selection, info.version, info.n_cases, info.cases_version
    )
    if selection.n_cases == 0:
        raise UsageError(
            f"suite {config.name!r}: the tier's selection {options.selection.describe()} keeps "
            f"no case of {path}; widen the tag filter or check the field values"
        )
    return config, path, all_cases, selection


def project_suite(config: SuiteConfig, store: Store, options: RunOptions) -> CostProjection:
    """Project the cost of running the suite with `options`, without running anything."""
    from evalgauge.projection import project_run

    config, _, all_cases, selection = _prepare(config, options)
    return project_run(config, store, selection, options, all_cases)


@dataclass(frozen=True)
class RunOptions:
    """What a tier changes about a suite's run, and the prices its cost is computed with."""

    tier: str | None = None
    selection: SelectionSpec = field(default_factory=SelectionSpec)
    dataset: Path | None = None
    """Another dataset file with the suite's field mapping."""
    concurrency: int | None = None
    time_budget_s: float | None = None
    cost_envelope_usd: float | None = None
    prices: PriceTable | None = None
    tag_fields: tuple[str, ...] = ()


async def run_suite(
    config: SuiteConfig,
    store: Store,
    *,
    options: RunOptions | None = None,
    resume: str | None = None,
    progress: bool = True,
    on_start: Callable[[str], None] | None = None,
    per_case: bool = True,
) -> tuple[RunSummary, Scorecard]:
    """Validate the dataset, check the target is ready, run every case and aggregate.

    Everything that can fail on user input fails before the first case runs, and so does a
    projected cost over the tier's envelope.
    """
    options = options or RunOptions()
    config, path, all_cases, selection = _prepare(config, options)
    # Here rather than in `_prepare`, so a tier's projection does not warn a second time.
    _warn_unknown_placeholders(config, next(iter(all_cases())))
    cache = open_cache(config.engine)
    target = build_target(config.target, config.engine, cache)
    scorers = build_scorers(config, cache)
    try:
        if options.cost_envelope_usd is not None:
            from evalgauge.projection import check_envelope, project_run

            projection = project_run(config, store, selection, options, all_cases)
            check_envelope(config.name, projection, options.cost_envelope_usd)
        await target.check_ready()
        for scorer in scorers:
            model = getattr(scorer, "model", None)
            if model is not None:
                await model.check_ready()

        plan = RunPlan(
            name=config.name,
            cases=lambda: selection.filter(all_cases()),
            n_cases=selection.n_cases,
            dataset_version=selection.version,
            cases_version=selection.cases_version,
            target=target,
            scorers=scorers,
            settings=config.engine,
            config=config.model_dump(mode="json"),
            dataset_path=str(path),
            tier=options.tier,
            prices=options.prices,
            provider=target_provider(config),
            cost_envelope_usd=options.cost_envelope_usd,
            time_budget_s=options.time_budget_s,
            tag_fields=options.tag_fields,
        )
        summary = await execute_run(
            plan, store, resume=resume, progress=progress, on_start=on_start
        )
    finally:
        await target.aclose()
        for scorer in scorers:
            model = getattr(scorer, "model", None)
            if model is not None and model is not getattr(target, "model", None):
                await model.aclose()
        if cache is not None:
            cache.close()
    return summary, build_scorecard(store, summary.run_id, per_case=per_case)
