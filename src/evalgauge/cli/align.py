"""`evalgauge align`: the judge against human labels, and the corrected pass rate."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Annotated

import typer

from evalgauge.cli import _options as o
from evalgauge.cli._console import consoles, write_json
from evalgauge.cli._store import open_store


def align_command(
    data: o.Data = None,
    config: o.ConfigPath = None,
    input: o.Input = None,
    output: o.Output = None,
    label: o.Label = None,
    pass_value: o.PassValue = None,
    fail_value: o.FailValue = None,
    id_field: o.IdField = None,
    format: o.Format = None,
    judge: o.Judge = None,
    rubric: o.Rubric = None,
    base_url: o.BaseUrl = None,
    api_key_env: o.ApiKeyEnv = None,
    unlabeled: Annotated[
        Path | None, typer.Option(help="Unlabeled cases whose pass rate is corrected.")
    ] = None,
    seed: o.Seed = None,
    split: Annotated[
        str | None, typer.Option(help="Train,dev,test fractions, e.g. 0.5,0.2,0.3.")
    ] = None,
    iterations: Annotated[int | None, typer.Option(help="Bootstrap draws.")] = None,
    concurrency: o.Concurrency = None,
    rpm: o.Rpm = None,
    tpm: o.Tpm = None,
    timeout: o.Timeout = None,
    retries: o.Retries = None,
    cache: o.Cache = None,
    cache_path: o.CachePath = None,
    json_output: o.Json = False,
    markdown: o.Markdown = False,
    database: o.Database = None,
) -> int:
    """Compare a judge with human labels on a held-out test split."""
    from evalgauge.config import parse_config

    raw, root = o.base_config(config, data)
    o.apply_dataset_flags(
        raw,
        input=input,
        output=output,
        label=label,
        pass_value=pass_value,
        fail_value=fail_value,
        id_field=id_field,
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
    o.apply_judge_flags(raw, judge, rubric, base_url, api_key_env)
    align = raw.setdefault("align", {})
    if seed is not None:
        align["seed"] = seed
    if iterations is not None:
        align["iterations"] = iterations
    if unlabeled is not None:
        align["unlabeled"] = str(unlabeled.resolve())
    if split is not None:
        align["split"] = _parse_split(split)
    suite = parse_config(raw, source=str(config or "command line"), base=root, flags=o.FLAG_OF_KEY)
    return run_align(suite, root, database=database, json_output=json_output, markdown=markdown)


def run_align(
    suite: object, root: Path, *, database: str | None, json_output: bool, markdown: bool
) -> int:
    from evalgauge.alignment import run_alignment
    from evalgauge.config import SuiteConfig
    from evalgauge.reports import alignment_markdown, print_alignment

    assert isinstance(suite, SuiteConfig)
    out, err = consoles(json_output or markdown)
    store = open_store(database, root)
    try:
        report = asyncio.run(run_alignment(suite, store))
    finally:
        store.close()
    if json_output:
        write_json(report.to_dict())
    elif markdown:
        print(alignment_markdown(report), end="")
    else:
        print_alignment(report, out)
    if not report.usable:
        err.print(
            f"error: the judge is no better than chance on test (Youden's J = "
            f"{report.test.youden_j}); its verdicts cannot estimate a pass rate. Improve the "
            "rubric or the judge's training labels",
            style="red",
        )
        return 1
    return 0


def _parse_split(text: str) -> list[float]:
    from evalgauge.errors import UsageError

    try:
        parts = [float(part) for part in text.split(",")]
    except ValueError:
        raise UsageError(
            f"invalid --split {text!r}; use three fractions such as 0.5,0.2,0.3"
        ) from None
    finite = all(math.isfinite(p) for p in parts)
    if len(parts) != 3 or not finite or any(p <= 0 for p in parts) or abs(sum(parts) - 1) > 1e-6:
        raise UsageError(f"invalid --split {text!r}: need three positive fractions that sum to 1")
    return parts
