"""`evalgauge run --tier NAME`: run every suite of a contract tier within its budgets."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from evalgauge.cli._console import consoles, write_json
from evalgauge.cli._store import open_store

if TYPE_CHECKING:
    from evalgauge.contract import Contract, TierConfig
    from evalgauge.engine import CachePolicy

EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130


def tier_options(
    contract: Contract, tier_name: str, suite: str, spent_usd: float, elapsed_s: float = 0.0
) -> Any:
    """Build the run options of one suite in the tier, with what is left of its budgets.

    The envelope and the time budget cover the whole tier, so each suite gets what the suites
    before it left.
    """
    from evalgauge.cost import PriceTable
    from evalgauge.selection import SelectionSpec
    from evalgauge.suite import RunOptions

    tier: TierConfig = contract.tier(tier_name)
    narrowing = tier.slices.get(suite)
    sample = narrowing.sample if narrowing and narrowing.sample else tier.sample
    tags = narrowing.tags if narrowing else {}
    selection = SelectionSpec(
        sample_size=sample.size if sample else None, seed=sample.seed if sample else 0, tags=tags
    )
    envelope, time_budget = tier.cost_envelope_usd, tier.time_budget_s
    return RunOptions(
        tier=tier_name,
        selection=selection,
        dataset=narrowing.dataset if narrowing else None,
        concurrency=tier.concurrency,
        time_budget_s=None if time_budget is None else time_budget - elapsed_s,
        cost_envelope_usd=None if envelope is None else envelope - spent_usd,
        prices=PriceTable(contract.prices),
        tag_fields=tuple(dict.fromkeys([*contract.suites[suite].slices, *tags])),
    )


def run_tier(
    contract_path: Path | None,
    tier_name: str,
    *,
    database: str | None,
    json_output: bool,
    save_scorecard: Path | None,
    cache: str | None = None,
) -> int:
    """Run the tier's suites in order; stop at the first that is interrupted or over budget."""
    from evalgauge.contract import load_contract
    from evalgauge.errors import OverBudget, UsageError
    from evalgauge.reports import print_scorecard
    from evalgauge.suite import run_suite

    contract = load_contract(contract_path)
    policy = _cache_policy(cache)
    try:
        suites = contract.tier_suites(tier_name)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None
    root = (contract_path or Path("evalgauge.yaml")).resolve().parent
    out, err = consoles(json_output)
    store = open_store(database, root)
    cards: dict[str, Any] = {}
    run_ids: list[str] = []
    spent = 0.0
    code = EXIT_OK
    started_at = time.monotonic()
    try:
        _check_tier_envelope(contract, tier_name, suites, store)
        for position, suite in enumerate(suites):
            options = tier_options(contract, tier_name, suite, spent, time.monotonic() - started_at)
            if options.time_budget_s is not None and options.time_budget_s <= 0:
                skipped = ", ".join(suites[position:])
                err.print(f"stopped: time budget spent before suite(s) {skipped}; not run")
                code = EXIT_FAILED
                break

            def started(run_id: str, name: str = suite) -> None:
                run_ids.append(run_id)
                err.print(f"{name}: run {run_id} started", style="dim")

            config = contract.suites[suite]
            if policy is not None:
                engine = config.engine.model_copy(update={"cache": policy})
                config = config.model_copy(update={"engine": engine})
            try:
                summary, card = asyncio.run(
                    run_suite(
                        config,
                        store,
                        options=options,
                        on_start=started,
                        per_case=save_scorecard is not None,
                    )
                )
            except KeyboardInterrupt:
                # A second Ctrl-C, or one before the engine's handler: the committed cases stay.
                err.print(
                    f"{suite}: interrupted; the cases saved so far are kept; resume "
                    f"with: evalgauge run ... --resume {run_ids[-1] if run_ids else 'RUN_ID'}"
                )
                code = EXIT_INTERRUPTED
                break
            except OverBudget as exc:
                # The suites already run stay printed and saved below.
                left = (
                    f" (what is left after ${spent:.4f} spent by earlier suites)" if spent else ""
                )
                print(f"error: {exc}{left}", file=sys.stderr)
                code = EXIT_FAILED
                break
            spent += summary.spent_usd
            cards[suite] = card
            if not json_output:
                print_scorecard(card, out)
            if summary.interrupted:
                code = EXIT_INTERRUPTED
                break
            if summary.stopped_by_budget:
                err.print(f"{suite}: stopped: {summary.stop_reason}; partial results kept")
                code = EXIT_FAILED
                break
    finally:
        store.close()
    bundle = scorecard_bundle(tier_name, cards, include_cases=False)
    if json_output:
        write_json(bundle)
    if save_scorecard is not None:
        full = scorecard_bundle(tier_name, cards, include_cases=True)
        save_scorecard.write_bytes(orjson.dumps(full, default=str))
        err.print(f"scorecard saved to {save_scorecard}")
    return code


def _cache_policy(cache: str | None) -> CachePolicy | None:
    from evalgauge.engine import CachePolicy
    from evalgauge.errors import UsageError

    if cache is None:
        return None
    try:
        return CachePolicy(cache)
    except ValueError:
        allowed = ", ".join(p.value for p in CachePolicy)
        raise UsageError(
            f"--cache {cache!r} is not a cache policy; use one of: {allowed}"
        ) from None


def _check_tier_envelope(contract: Contract, tier_name: str, suites: list[str], store: Any) -> None:
    """Project every suite of the tier and stop before any runs if the sum is over."""
    from evalgauge.errors import OverBudget
    from evalgauge.projection import check_envelope
    from evalgauge.suite import project_suite

    envelope = contract.tier(tier_name).cost_envelope_usd
    if envelope is None or len(suites) < 2:
        return  # a single suite is projected by run_suite itself
    total = 0.0
    parts = []
    for suite in suites:
        projection = project_suite(
            contract.suites[suite], store, tier_options(contract, tier_name, suite, 0.0)
        )
        check_envelope(suite, projection, envelope)
        total += projection.total_usd or 0.0
        parts.append(f"{suite} ${projection.total_usd:.4f} ({projection.basis})")
    if total > envelope:
        raise OverBudget(
            f"tier {tier_name!r}: projected cost ${total:.4f} is over its envelope of "
            f"${envelope:g}: " + "; ".join(parts) + ". Raise `cost_envelope_usd`, sample "
            "fewer cases, or use a cheaper model"
        )


def scorecard_bundle(
    tier: str | None, cards: dict[str, Any], *, include_cases: bool
) -> dict[str, Any]:
    """The JSON of a tier's scorecards: what `--save-scorecard` writes and `gate` reads."""
    return {
        "tier": tier,
        "suites": {name: card.to_dict(include_cases=include_cases) for name, card in cards.items()},
    }
