"""Opening a run: a new run with its lineage, or a resumed one checked against the stored run."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from evalgauge.engine._lineage import config_hash, git_commit, new_run_id
from evalgauge.errors import UsageError
from evalgauge.store import RunRecord, ScorerRecord, Store

if TYPE_CHECKING:
    from evalgauge.engine._runner import RunPlan


def _result_config(config: dict[str, Any]) -> dict[str, Any]:
    """Drop the engine limits and the dataset's path, which cannot change results.

    A resumed run may use other concurrency, rate limits or timeouts. It may also read the
    same dataset from another path, but the dataset version still has to match.
    """
    view = {key: value for key, value in config.items() if key != "engine"}
    dataset = view.get("dataset")
    if isinstance(dataset, dict):
        view["dataset"] = {key: value for key, value in dataset.items() if key != "path"}
    return view


def _changed_keys(before: dict[str, Any], after: dict[str, Any], prefix: str = "") -> list[str]:
    changed = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            changed.extend(_changed_keys(old, new, f"{prefix}{key}."))
        elif old != new:
            changed.append(prefix + key)
    return changed


def _scorer_records(plan: RunPlan) -> list[ScorerRecord]:
    records = []
    for scorer in plan.scorers:
        identity = scorer.identity()
        records.append(
            ScorerRecord(
                name=scorer.name,
                judge_model=identity.get("judge_model"),
                prompt_hash=identity.get("prompt_hash"),
                identity=identity,
            )
        )
    return records


def open_run(plan: RunPlan, store: Store, resume: str | None) -> tuple[str, set[str]]:
    names = [s.name for s in plan.scorers]
    if len(set(names)) != len(names):
        raise UsageError(f"scorer names must be unique, got {names}; give each a `name:`")
    chash = config_hash(_result_config(plan.config))
    if resume is None:
        identity = plan.target.identity()
        prompt_hashes = [identity.get("prompt_hash")] + [
            s.identity().get("prompt_hash") for s in plan.scorers
        ]
        run = RunRecord(
            run_id=new_run_id(),
            name=plan.name,
            status="running",
            created_at=datetime.now(UTC),
            dataset_path=plan.dataset_path,
            dataset_version=plan.dataset_version,
            cases_version=plan.cases_version,
            n_cases=plan.n_cases,
            config_hash=chash,
            prompt_hash=",".join(h for h in prompt_hashes if h) or None,
            target=identity["target"],
            model=identity.get("model"),
            git_commit=git_commit(),
            evalgauge_version=_version(),
            config=plan.config,
            tier=plan.tier,
        )
        store.create_run(run, _scorer_records(plan))
        return run.run_id, set()
    existing = store.get_run(resume)
    if existing is None:
        raise UsageError(
            f"run {resume!r} not found in the store; list runs with `evalgauge runs list`"
        )
    if existing.dataset_version != plan.dataset_version:
        raise UsageError(
            f"run {resume!r} used dataset version {existing.dataset_version}, but the dataset "
            f"is now {plan.dataset_version}; start a new run instead of resuming"
        )
    if existing.config_hash != chash:
        changed = _changed_keys(_result_config(existing.config), _result_config(plan.config))
        raise UsageError(
            f"run {resume!r} was made with a different configuration (changed: "
            f"{', '.join(changed) or 'unknown'}); resume with the same target, scorers and "
            "dataset mapping, or start a new run"
        )
    store.ensure_scorers(resume, _scorer_records(plan))
    store.set_run_status(resume, "running")
    return resume, store.finished_case_ids(resume)


def _version() -> str:
    from evalgauge import __version__

    return __version__
