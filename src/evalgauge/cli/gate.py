"""`evalgauge gate`: judge a tier's rules, compare with a baseline, write the CI outputs."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer

from evalgauge.cli import _options as o
from evalgauge.cli._console import write_json
from evalgauge.cli._store import open_store
from evalgauge.errors import UsageError

if TYPE_CHECKING:
    from evalgauge.contract import Contract
    from evalgauge.store import Store


def gate_command(
    tier: Annotated[str | None, typer.Option(help="Tier whose rules and runs are judged.")] = None,
    contract: Annotated[
        Path | None, typer.Option(help="Contract file (default: evalgauge.yaml).")
    ] = None,
    scorecard: Annotated[
        Path | None,
        typer.Option(help="Scorecards saved by `run --save-scorecard`; default: the store."),
    ] = None,
    baseline: Annotated[
        str | None, typer.Option(help="Baseline: a saved scorecard file or a stored run id.")
    ] = None,
    allow_dataset_change: Annotated[
        bool, typer.Option(help="Compare with a baseline from another dataset version.")
    ] = False,
    junit: Annotated[Path | None, typer.Option(help="Write JUnit XML here.")] = None,
    junit_cases: Annotated[
        bool, typer.Option(help="In the JUnit XML, one test case per case, not only per rule.")
    ] = False,
    markdown: Annotated[Path | None, typer.Option(help="Write the Markdown summary here.")] = None,
    github: Annotated[
        bool, typer.Option(help="Print GitHub annotations and append to the step summary.")
    ] = False,
    json_output: o.Json = False,
    override: Annotated[
        str | None, typer.Option(help="Record an override of this rule id, then exit.")
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why the overridden rule may fail.")] = None,
    approver: Annotated[str | None, typer.Option(help="Who approves the override.")] = None,
    expires: Annotated[str | None, typer.Option(help="Last day the override applies.")] = None,
    database: o.Database = None,
) -> int:
    """Judge the contract's rules on the tier's latest runs: exit 1 when a hard rule fails."""
    path = contract or Path("evalgauge.yaml")
    from evalgauge.contract import load_contract

    loaded = load_contract(path)
    root = path.resolve().parent
    today = datetime.now(UTC).date()
    if override is not None:
        return _record_override(loaded, root, database, override, reason, approver, expires, today)
    if tier is not None:
        try:
            loaded.tier(tier)
        except KeyError as exc:
            raise UsageError(str(exc.args[0])) from None
    store = open_store(database, root)
    try:
        current = _current_scorecards(loaded, store, tier, scorecard)
        baselines = _baselines(loaded, store, baseline)
    finally:
        store.close()
    warnings = _check_like_for_like(current, baselines, allow_dataset_change)
    return _decide(
        loaded,
        tier,
        current,
        baselines,
        warnings,
        today,
        junit,
        junit_cases,
        markdown,
        github,
        json_output,
        database,
        root,
    )


def _record_override(
    contract: Contract,
    root: Path,
    database: str | None,
    rule: str,
    reason: str | None,
    approver: str | None,
    expires: str | None,
    today: date,
) -> int:
    from evalgauge.engine._lineage import git_commit
    from evalgauge.gate import Override, check_override, record_override

    if reason is None or approver is None or expires is None:
        raise UsageError("--override needs --reason, --approver and --expires YYYY-MM-DD")
    expiry = check_override(contract, rule, reason, approver, expires, today)
    record = Override(
        rule=rule,
        reason=reason.strip(),
        approver=approver.strip(),
        created_at=datetime.now(UTC),
        expires=expiry,
        commit=git_commit(),
    )
    store = open_store(database, root)
    try:
        record_override(contract.overrides_file, store, record)
    finally:
        store.close()
    print(f"override of {rule!r} recorded in {contract.overrides_file} until {expiry}")
    return 0


def _read_json(path: Path, what: str) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise UsageError(f"{what} file {str(path)!r} not found") from None
    except (OSError, orjson.JSONDecodeError) as exc:
        raise UsageError(f"cannot read {what} file {str(path)!r}: {exc}") from None


def _as_bundle(data: Any, source: str) -> dict[str, dict[str, Any]]:
    """Accept a tier bundle ({"suites": ...}) or a single run's scorecard ({"run": ...})."""
    if isinstance(data, dict) and isinstance(data.get("suites"), dict):
        return dict(data["suites"])
    if isinstance(data, dict) and isinstance(data.get("run"), dict):
        return {str(data["run"]["name"]): data}
    raise UsageError(
        f"{source} is not a scorecard: expected the JSON of `evalgauge run --json` or of "
        "`evalgauge run --tier T --save-scorecard FILE`"
    )


def _stored_scorecard(store: Store, run_id: str) -> dict[str, Any]:
    from evalgauge.scorecard import build_scorecard

    return build_scorecard(store, run_id).to_dict(include_cases=True)


def _current_scorecards(
    contract: Contract, store: Store, tier: str | None, scorecard: Path | None
) -> dict[str, dict[str, Any]]:
    if scorecard is not None:
        return _as_bundle(_read_json(scorecard, "scorecard"), str(scorecard))
    from sqlalchemy import select

    from evalgauge.store._schema import runs

    cards: dict[str, dict[str, Any]] = {}
    for suite in contract.tier_suites(tier):
        query = select(runs.c.run_id).where(runs.c.name == suite)
        if tier is not None:
            query = query.where(runs.c.tier == tier)
        query = query.order_by(runs.c.created_at.desc()).limit(1)
        with store.engine.connect() as conn:
            run_id = conn.execute(query).scalar()
        if run_id is None:
            raise UsageError(
                f"no stored run of suite {suite!r}"
                + (f" in tier {tier!r}" if tier else "")
                + f"; run `evalgauge run --tier {tier or 'NAME'}` first, or pass --scorecard"
            )
        cards[suite] = _stored_scorecard(store, run_id)
    return cards


def _baselines(contract: Contract, store: Store, baseline: str | None) -> dict[str, dict[str, Any]]:
    if baseline is None and contract.baseline is not None:
        configured = contract.baseline.file or contract.baseline.run
        baseline = None if configured is None else str(configured)
    if baseline is None:
        return {}
    if Path(baseline).exists() or baseline.endswith(".json"):
        return _as_bundle(_read_json(Path(baseline), "baseline"), baseline)
    if store.get_run(baseline) is None:
        raise UsageError(
            f"--baseline {baseline!r} is neither a scorecard file nor a stored run id; "
            "list runs with `evalgauge runs list`"
        )
    card = _stored_scorecard(store, baseline)
    return {str(card["run"]["name"]): card}


def _cases_version(run: dict[str, Any]) -> str:
    """The version of the cases without their recorded outputs, where the run stored it.

    A new recording of the same cases is a like-for-like comparison, so the recorded
    outputs must not count as a dataset change.
    """
    return str(run.get("cases_version") or run["dataset_version"])


def _check_like_for_like(
    current: dict[str, dict[str, Any]], baselines: dict[str, dict[str, Any]], allowed: bool
) -> list[str]:
    warnings = []
    for suite, card in current.items():
        base = baselines.get(suite)
        if base is None:
            continue
        now, then = _cases_version(card["run"]), _cases_version(base["run"])
        if now == then:
            continue
        message = (
            f"suite {suite}: the baseline ran on dataset version {then[:19]}..., this run on "
            f"{now[:19]}...; the comparison is not like for like"
        )
        if not allowed:
            raise UsageError(message + "; pass --allow-dataset-change to compare anyway")
        warnings.append("WARNING: " + message)
    return warnings


def _decide(
    contract: Contract,
    tier: str | None,
    current: dict[str, dict[str, Any]],
    baselines: dict[str, dict[str, Any]],
    warnings: list[str],
    today: date,
    junit: Path | None,
    junit_cases: bool,
    markdown: Path | None,
    github: bool,
    json_output: bool,
    database: str | None,
    root: Path,
) -> int:
    from evalgauge.ci import gate_markdown, github_annotations, junit_xml, write_step_summary
    from evalgauge.engine._lineage import git_commit
    from evalgauge.gate import evaluate_gate, load_overrides

    overrides = load_overrides(contract.overrides_file)
    report = evaluate_gate(
        contract, tier, current, baselines, overrides, today=today, commit=git_commit()
    )
    report.warnings[:0] = warnings
    summary = gate_markdown(report)
    if junit is not None:
        cases = _case_verdicts(current) if junit_cases else None
        junit.write_text(junit_xml(report, cases), encoding="utf-8")
    if markdown is not None:
        markdown.write_text(summary, encoding="utf-8")
    if github:
        for line in github_annotations(report):
            print(line)
        write_step_summary(summary, os.environ)
    if json_output:
        write_json(_report_json(report))
    elif not github:
        print(summary, end="")
    return report.exit_code


def _case_verdicts(current: dict[str, dict[str, Any]]) -> list[Any]:
    from evalgauge.gate import CaseVerdict

    verdicts = []
    for suite, card in current.items():
        cases = card.get("case_scores") or {}
        binary = {m["name"] for m in card.get("metrics", []) if m.get("kind") == "binary"}
        ids = cases.get("ids") or []
        # Scorecards saved before latencies were included have none.
        latencies = cases.get("latency_ms") or [None] * len(ids)
        for scorer, values in (cases.get("scores") or {}).items():
            if scorer not in binary:
                continue
            for case_id, value, latency in zip(ids, values, latencies, strict=True):
                passed = None if value is None else value >= 0.5
                verdicts.append(CaseVerdict(suite, case_id, scorer, passed, latency))
    return verdicts


def _report_json(report: Any) -> dict[str, Any]:
    from dataclasses import asdict, fields

    # Field by field: `asdict` on the whole report would deep-copy the scorecards, whose
    # per-case lists took 0.9 s for a 100,000-case run, only to drop them.
    data = {}
    for item in fields(report):
        if item.name == "scorecards":
            continue
        value = getattr(report, item.name)
        if isinstance(value, list):
            value = [asdict(v) if hasattr(v, "__dataclass_fields__") else v for v in value]
        data[item.name] = value
    data["exit_code"] = report.exit_code
    return data
