"""One case through the target and the scorers, into the case result the store writes.

Two paths give the same results. `process` awaits the target and each scorer. `process_now`
serves targets that need no I/O (recorded outputs) with scorers that only compute: the run
loop calls it for a chunk of cases at a time, without a coroutine per call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from evalgauge.cases import Case
from evalgauge.engine._budget import Budget
from evalgauge.engine._ratelimit import RateLimiter
from evalgauge.engine._retry import call_with_retries
from evalgauge.engine._settings import EngineSettings
from evalgauge.errors import CaseError
from evalgauge.scorers._base import ImmediateScorer, Score, Scorer
from evalgauge.store import CaseResult, ScoreResult
from evalgauge.targets._base import ImmediateTarget, Target, TargetOutput

if TYPE_CHECKING:
    from evalgauge.cost import PriceTable


def runs_inline(target: Target, scorers: Sequence[Scorer]) -> bool:
    """Return whether every case can run without awaiting: no I/O in the target or any scorer."""
    return (
        isinstance(target, ImmediateTarget)
        and not target.retries
        and all(isinstance(scorer, ImmediateScorer) for scorer in scorers)
    )


class CaseProcessor:
    """Turns cases into case results for one run, and records what each case spent."""

    def __init__(
        self,
        target: Target,
        scorers: Sequence[Scorer],
        settings: EngineSettings,
        budget: Budget,
        *,
        prices: PriceTable | None,
        provider: str | None,
        tag_fields: tuple[str, ...],
    ) -> None:
        self.target = target
        self.scorers = scorers
        self.settings = settings
        self.budget = budget
        self.prices = prices
        self.provider = provider
        self.tag_fields = tag_fields
        rpm = settings.requests_per_minute
        self.limiter = RateLimiter(rpm, None) if rpm else None

    async def process(self, case: Case) -> CaseResult:
        result = CaseResult(case_id=case.case_id, inputs=case.inputs, label=case.label)
        try:
            if self.target.retries:
                output: TargetOutput = await call_with_retries(
                    lambda: self._limited_generate(case),
                    self.settings,
                    what=f"target for case {case.case_id!r}",
                )
            else:
                output = await self.target.generate(case)
        except Exception as exc:  # a bug in user code must not end the run
            return _failed(result, exc)
        self._record_output(result, case, output)
        for scorer in self.scorers:
            try:
                score = await scorer.score(case, output.text)
            except Exception as exc:
                result.scores.append(_score_error(scorer, exc))
                continue
            self._record_score(result, scorer, score)
        self.budget.record(_spent(result))
        return result

    def process_now(self, case: Case) -> CaseResult:
        """Process one case like `process`, for a target and scorers that `runs_inline` accepts."""
        target: ImmediateTarget = self.target  # type: ignore[assignment]
        result = CaseResult(case_id=case.case_id, inputs=case.inputs, label=case.label)
        try:
            output = target.generate_now(case)
        except Exception as exc:
            return _failed(result, exc)
        self._record_output(result, case, output)
        scorer: ImmediateScorer
        for scorer in self.scorers:  # type: ignore[assignment]
            try:
                score = scorer.score_now(case, output.text)
            except Exception as exc:
                result.scores.append(_score_error(scorer, exc))
                continue
            self._record_score(result, scorer, score)
        self.budget.record(_spent(result))
        return result

    async def _limited_generate(self, case: Case) -> TargetOutput:
        # Only requests per minute apply here: a Python or HTTP target reports no tokens.
        if self.limiter is not None:
            await self.limiter.acquire(0)
        return await self.target.generate(case)

    def _record_output(self, result: CaseResult, case: Case, output: TargetOutput) -> None:
        result.output = output.text
        result.latency_ms = output.latency_ms
        result.ttft_ms = output.ttft_ms
        result.cached = output.cached
        result.model = output.model
        if self.tag_fields:
            result.tags = {name: case.field(name) for name in self.tag_fields}
        usage = output.usage
        if usage is None:
            return
        result.input_tokens = usage.input_tokens
        result.output_tokens = usage.output_tokens
        result.cached_input_tokens = usage.cached_input_tokens
        result.reasoning_tokens = usage.reasoning_tokens
        if self.prices is not None and output.model is not None:
            cost = self.prices.cost(output.model, usage, provider=self.provider)
            result.cost_usd = cost.total_usd

    def _record_score(self, result: CaseResult, scorer: Scorer, score: Score) -> None:
        result.scores.append(
            ScoreResult(scorer.name, score.value, score.passed, score.reason, details=score.details)
        )
        if self.prices is None or score.usage is None or score.model is None:
            return
        # What the scorer's own model call cost, e.g. an LLM judge's.
        judge_cost = self.prices.cost(score.model, score.usage).total_usd
        if judge_cost is not None:
            result.judge_cost_usd = (result.judge_cost_usd or 0.0) + judge_cost


def _failed(result: CaseResult, exc: Exception) -> CaseResult:
    result.error_type = exc.error_type if isinstance(exc, CaseError) else type(exc).__name__
    result.error_message = str(exc)
    return result


def _score_error(scorer: Scorer, exc: Exception) -> ScoreResult:
    # Prefixed with the scorer, so a judge's failed model call is not read as the target's.
    kind = exc.error_type if isinstance(exc, CaseError) else type(exc).__name__
    return ScoreResult(scorer.name, error_type=f"{scorer.name}:{kind}", error_message=str(exc))


def _spent(result: CaseResult) -> float | None:
    """Return what the case's calls cost: the target's and the judges', replays included."""
    if result.cost_usd is None and result.judge_cost_usd is None:
        return None
    return (result.cost_usd or 0.0) + (result.judge_cost_usd or 0.0)
