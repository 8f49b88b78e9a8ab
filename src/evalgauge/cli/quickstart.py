"""`evalgauge quickstart`: write an example project and run the first eval on it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from evalgauge.cli import _options as o
from evalgauge.cli._console import consoles, write_json
from evalgauge.cli._store import open_store

NEXT_STEPS = """\
Reading the figures
  - The confusion matrix compares the judge with your labels on the test
    split only; TPR and TNR are its agreement on passing and failing traces.
  - The scorecard's mean is the judge's raw pass rate over every trace it
    judged (dev, test and unlabeled). The corrected pass rate applies the
    test TPR and TNR to the unlabeled traces alone, so it is the estimate
    to report; with 18 test traces its interval is wide. Label more traces
    to narrow it.

Next steps
  - Switch to an LLM judge: in {config},
    replace `judge: offline` with `judge: openai` and `model: gpt-4o-mini`
    (or `judge: anthropic`), export OPENAI_API_KEY, then run
      evalgauge align --config {config}
  - Score your own traces:
      evalgauge align YOUR.jsonl --input question --output answer \\
        --label label --pass-value pass
"""


def quickstart_command(
    directory: Annotated[Path, typer.Argument(help="Directory for the example project.")] = Path(
        "evalgauge-quickstart"
    ),
    force: Annotated[bool, typer.Option(help="Overwrite the example files if present.")] = False,
    json_output: o.Json = False,
) -> int:
    """Write an example project and run its first eval with the offline judge."""
    from evalgauge.alignment import run_alignment
    from evalgauge.config import load_config
    from evalgauge.quickstart import write_project
    from evalgauge.reports import print_alignment, print_scorecard
    from evalgauge.scorecard import build_scorecard

    out, err = consoles(json_output)
    config_path = write_project(directory, force=force)
    err.print(f"wrote {config_path}, {directory / 'traces.jsonl'} and {directory / 'rubric.md'}")
    suite = load_config(config_path)
    store = open_store(None, directory)
    try:
        report = asyncio.run(run_alignment(suite, store))
        card = build_scorecard(store, report.run_id)
    finally:
        store.close()
    if json_output:
        write_json({"alignment": report.to_dict(), "scorecard": card.to_dict()})
    else:
        print_alignment(report, out)
        out.print()
        print_scorecard(card, out)
        out.print()
        out.print(NEXT_STEPS.format(config=config_path), highlight=False)
    return 0 if report.usable else 1
