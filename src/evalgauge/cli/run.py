"""`evalgauge run`: run a suite and print its scorecard."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from evalgauge.cli import _options as o
from evalgauge.cli._console import consoles, write_json
from evalgauge.cli._store import open_store


def run_command(
    data: o.Data = None,
    config: o.ConfigPath = None,
    input: o.Input = None,
    output: o.Output = None,
    label: o.Label = None,
    pass_value: o.PassValue = None,
    fail_value: o.FailValue = None,
    id_field: o.IdField = None,
    expected: o.Expected = None,
    format: o.Format = None,
    target: Annotated[
        str | None,
        typer.Option(help="recorded, python:MODULE:FUNC, openai:MODEL, anthropic:MODEL, http:URL."),
    ] = None,
    prompt: Annotated[str | None, typer.Option(help="Prompt template of a model target.")] = None,
    body: Annotated[str | None, typer.Option(help="JSON body template of an http target.")] = None,
    response_path: Annotated[
        str | None, typer.Option(help="Dotted path to the output in an http reply.")
    ] = None,
    scorer: Annotated[
        list[str] | None, typer.Option(help="exact_match, contains or judge (repeatable).")
    ] = None,
    judge: o.Judge = None,
    rubric: o.Rubric = None,
    base_url: o.BaseUrl = None,
    api_key_env: o.ApiKeyEnv = None,
    concurrency: o.Concurrency = None,
    rpm: o.Rpm = None,
    tpm: o.Tpm = None,
    timeout: o.Timeout = None,
    retries: o.Retries = None,
    cache: o.Cache = None,
    cache_path: o.CachePath = None,
    name: Annotated[str | None, typer.Option(help="Suite name recorded with the run.")] = None,
    resume: Annotated[
        str | None, typer.Option(help="Resume this run id, skipping finished cases.")
    ] = None,
    json_output: o.Json = False,
    markdown: o.Markdown = False,
    database: o.Database = None,
    tier: Annotated[
        str | None, typer.Option(help="Run every suite of this tier of the contract.")
    ] = None,
    contract: Annotated[
        Path | None, typer.Option(help="Contract file of --tier (default: evalgauge.yaml).")
    ] = None,
    save_scorecard: Annotated[
        Path | None,
        typer.Option(help="With --tier: write the scorecards, with every case, as JSON here."),
    ] = None,
) -> int:
    """Run a suite: every case through the target and the scorers, stored, then scored."""
    from evalgauge.config import parse_config
    from evalgauge.suite import run_suite

    if tier is not None:
        from evalgauge.cli.tier import run_tier

        return run_tier(
            contract,
            tier,
            database=database,
            json_output=json_output,
            save_scorecard=save_scorecard,
            cache=cache,
        )

    raw, root = o.base_config(config, data)
    o.apply_dataset_flags(
        raw,
        input=input,
        output=output,
        label=label,
        pass_value=pass_value,
        fail_value=fail_value,
        id_field=id_field,
        expected=expected,
        format=format,
    )
    o.apply_engine_flags(
        raw,
        concurrency=concurrency,
        rpm=rpm,
        tpm=tpm,
        timeout=timeout,
        retries=retries,
        cache=cache,
        cache_path=cache_path,
    )
    if target is not None:
        raw["target"] = o.parse_target(target, base_url=base_url, api_key_env=api_key_env)
        _apply_target_details(raw["target"], prompt, body, response_path)
    for kind in scorer or []:
        raw.setdefault("scorers", []).append({"kind": kind})
    judge_base = (
        base_url if target is None or not target.startswith(("openai", "anthropic")) else None
    )
    o.apply_judge_flags(raw, judge, rubric, judge_base, api_key_env if judge else None)
    if name is not None:
        raw["name"] = name
    suite = parse_config(raw, source=str(config or "command line"), base=root, flags=o.FLAG_OF_KEY)
    out, err = consoles(json_output or markdown)
    store = open_store(database, root)
    started: list[str] = []

    def on_start(run_id: str) -> None:
        started.append(run_id)
        err.print(f"run {run_id} started", style="dim")

    try:
        summary, card = asyncio.run(
            # The scorecard is printed, not saved as a baseline, so it needs no per-case scores.
            run_suite(suite, store, resume=resume, progress=True, on_start=on_start, per_case=False)
        )
    except KeyboardInterrupt:
        # A second Ctrl-C, or one before the engine's handler: the committed cases stay.
        if started:
            err.print(
                f"interrupted; the cases saved so far are kept; resume with: "
                f"evalgauge run ... --resume {started[0]}"
            )
        else:
            err.print("interrupted before the run started; nothing was stored")
        return 130
    finally:
        store.close()
    if json_output:
        write_json(card.to_dict() | {"invocation": _summary_dict(summary)})
    elif markdown:
        from evalgauge.reports import scorecard_markdown

        print(scorecard_markdown(card), end="")
    else:
        from evalgauge.reports import print_scorecard

        print_scorecard(card, out)
    if summary.interrupted:
        err.print(f"interrupted; resume with: evalgauge run ... --resume {summary.run_id}")
        return 130
    if card.cases and card.target_errors == card.cases:
        err.print("every case failed in the target; see the error examples above", style="red")
        return 1
    unscored = [m.name for m in card.metrics if card.cases and m.scored == 0]
    if unscored:
        err.print(
            f"scorer {', '.join(unscored)} scored no case; see the error examples above",
            style="red",
        )
        return 1
    return 0


def _apply_target_details(
    target: dict[str, object], prompt: str | None, body: str | None, response_path: str | None
) -> None:
    from evalgauge.errors import UsageError

    if prompt is not None and prompt.startswith("@"):
        try:
            target["prompt"] = Path(prompt[1:]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read the --prompt file {prompt[1:]!r}: {exc}") from None
    elif prompt is not None:
        target["prompt"] = prompt
    if body is not None:
        import orjson

        try:
            target["body"] = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise UsageError(f"--body is not valid JSON: {exc}") from None
    if response_path is not None:
        target["response_path"] = response_path


def _summary_dict(summary: object) -> dict[str, object]:
    from dataclasses import asdict

    return asdict(summary)  # type: ignore[call-overload, no-any-return]
