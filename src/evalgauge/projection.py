"""The projected cost of a run, checked against the tier's envelope before any case runs.

Token counts per case come from the best source at hand: the recorded counts of the cases
themselves (a replay), then the mean usage of the latest earlier run of the suite on the
same model, then the length of the prompts. LLM judges are projected from the length of the
prompts they will be sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from evalgauge.cases import Case
from evalgauge.config import ChatTargetConfig, JudgeScorerConfig, RecordedTargetConfig, SuiteConfig
from evalgauge.config._build import target_provider
from evalgauge.cost import CostProjection, PriceTable, estimate_prompt_tokens, project_cost
from evalgauge.errors import OverBudget, UsageError
from evalgauge.store import Store

if TYPE_CHECKING:
    from evalgauge.selection import Selection
    from evalgauge.suite import RunOptions

# Output tokens assumed per case when neither an earlier run nor `max_tokens` gives a count.
DEFAULT_OUTPUT_TOKENS = 256
# Output tokens assumed per judge call: a JSON verdict with a one-sentence reason.
JUDGE_OUTPUT_TOKENS = 64


def target_model(config: SuiteConfig) -> str | None:
    target = config.target
    if isinstance(target, ChatTargetConfig | RecordedTargetConfig):
        return target.model
    return None


def project_run(
    config: SuiteConfig,
    store: Store,
    selection: Selection,
    options: RunOptions,
    all_cases: Callable[[], Iterable[Case]],
) -> CostProjection:
    """Project the cost of the selected cases and of their LLM judges.

    Raises UsageError when neither the target nor a judge names a model to price.
    """
    prices = options.prices or PriceTable()
    parts = _judge_projections(config, selection, all_cases, prices)
    model = target_model(config)
    if model is None:
        if parts:
            return _combined(parts)
        raise UsageError(
            f"suite {config.name!r}: the tier sets a cost envelope, but the {config.target.kind} "
            "target names no model to price; set `target.model`, or remove the envelope"
        )
    return _combined([_project_target(config, store, selection, all_cases, prices, model), *parts])


def _project_target(
    config: SuiteConfig,
    store: Store,
    selection: Selection,
    all_cases: Callable[[], Iterable[Case]],
    prices: PriceTable,
    model: str,
) -> CostProjection:
    provider = target_provider(config)
    n_cases = selection.n_cases
    tokens = _recorded_tokens(config, selection, all_cases)
    if tokens is None:
        tokens = _earlier_run_tokens(config, store, model)
    if tokens is None:
        tokens = _prompt_tokens(config, selection, all_cases)
    input_tokens, output_tokens, basis = tokens
    return project_cost(
        prices,
        model,
        n_cases=n_cases,
        input_tokens_per_case=input_tokens,
        output_tokens_per_case=output_tokens,
        provider=provider,
        basis=basis,
    )


def check_envelope(suite: str, projection: CostProjection, envelope_usd: float) -> None:
    if not projection.priced or projection.total_usd is None:
        raise UsageError(
            f"suite {suite!r}: the tier sets a cost envelope of ${envelope_usd:g}, but the "
            "run's cost cannot be projected because the model has no known price; add it "
            "under `prices:` in the contract (USD per million tokens)"
        )
    if projection.total_usd > envelope_usd:
        raise OverBudget(
            f"suite {suite!r}: projected cost ${projection.total_usd:.4f} "
            f"({projection.n_cases} cases at ${projection.per_case_usd or 0:.6f}, from "
            f"{projection.basis}) is over the tier's envelope of ${envelope_usd:g}; raise "
            "`cost_envelope_usd`, sample fewer cases, or use a cheaper model"
        )


def _recorded_tokens(
    config: SuiteConfig,
    selection: Selection,
    all_cases: Callable[[], Iterable[Case]],
) -> tuple[float, float, str] | None:
    recorded = config.target
    if not isinstance(recorded, RecordedTargetConfig):
        return None
    if recorded.input_tokens_field is None and recorded.output_tokens_field is None:
        return None
    total_in = total_out = 0
    n = 0
    for case in selection.filter(all_cases()):
        total_in += _int_field(case, recorded.input_tokens_field)
        total_out += _int_field(case, recorded.output_tokens_field)
        n += 1
    n = max(n, 1)
    return total_in / n, total_out / n, f"the recorded token counts of {n} cases"


def _int_field(case: Case, name: str | None) -> int:
    if name is None:
        return 0
    value = case.field(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _earlier_run_tokens(
    config: SuiteConfig, store: Store, model: str
) -> tuple[float, float, str] | None:
    means = store.usage_means(config.name, model)
    if means is None:
        return None
    run_id, input_tokens, output_tokens = means
    return input_tokens, output_tokens, f"the mean usage of run {run_id}"


def _prompt_tokens(
    config: SuiteConfig, selection: Selection, all_cases: Callable[[], Iterable[Case]]
) -> tuple[float, float, str]:
    chat = config.target if isinstance(config.target, ChatTargetConfig) else None
    template = len(chat.prompt) + len(chat.system or "") if chat is not None else 0
    total = n = 0
    for case in selection.filter(all_cases()):
        total += estimate_prompt_tokens(" " * template + case.input_text())
        n += 1
    max_tokens = chat.max_tokens if chat is not None else None
    output = max_tokens if max_tokens is not None else DEFAULT_OUTPUT_TOKENS
    outputs = f"max_tokens {max_tokens}" if max_tokens else f"{DEFAULT_OUTPUT_TOKENS} assumed"
    basis = f"prompt length at 4 characters per token, output {outputs}"
    return total / max(n, 1), float(output), basis


def _judge_projections(
    config: SuiteConfig,
    selection: Selection,
    all_cases: Callable[[], Iterable[Case]],
    prices: PriceTable,
) -> list[CostProjection]:
    from evalgauge.scorers.judge import DEFAULT_TEMPLATE

    projections = []
    for scorer in config.scorers:
        if not isinstance(scorer, JudgeScorerConfig) or scorer.judge == "offline":
            continue
        if scorer.model is None or scorer.rubric is None:
            continue  # building the scorer reports the missing key first
        fixed = len(DEFAULT_TEMPLATE) + len(scorer.rubric.read_text(encoding="utf-8"))
        total = n = 0
        for case in selection.filter(all_cases()):
            text = case.input_text() + (case.output or "")
            total += estimate_prompt_tokens(" " * fixed + text)
            n += 1
        basis = (
            f"judge {scorer.name}: prompt length at 4 characters per token, "
            f"{JUDGE_OUTPUT_TOKENS} output tokens assumed"
        )
        provider = "anthropic" if scorer.judge == "anthropic" else "openai-compatible"
        projections.append(
            project_cost(
                prices,
                scorer.model,
                n_cases=n,
                input_tokens_per_case=total / max(n, 1),
                output_tokens_per_case=JUDGE_OUTPUT_TOKENS,
                provider=provider,
                basis=basis,
            )
        )
    return projections


def _combined(parts: list[CostProjection]) -> CostProjection:
    """Add up the projections of one suite's target and judges, which cover the same cases."""
    if len(parts) == 1:
        return parts[0]
    unpriced = [p for p in parts if not p.priced]
    n_cases = parts[0].n_cases
    total = None if unpriced else sum(p.total_usd or 0.0 for p in parts)
    return CostProjection(
        n_cases=n_cases,
        input_tokens_per_case=sum(p.input_tokens_per_case for p in parts),
        output_tokens_per_case=sum(p.output_tokens_per_case for p in parts),
        per_case_usd=None if total is None else total / max(n_cases, 1),
        total_usd=total,
        priced=not unpriced,
        basis="; ".join(p.basis for p in parts),
        unpriced_reason=unpriced[0].unpriced_reason if unpriced else None,
    )
