"""`evalgauge runs`: list stored runs and show a run's scorecard."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from evalgauge.cli import _options as o
from evalgauge.cli._console import consoles, write_json
from evalgauge.cli._store import open_store

runs_app = typer.Typer(help="List stored runs and show their scorecards.", no_args_is_help=True)


Project = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Suite or contract file whose folder contains the store; default: the working folder.",
    ),
]


def _open_existing_store(database: str | None, config: Path | None) -> Any:
    """Open the store that `run` wrote for `config`, without creating an empty one."""
    import os

    from evalgauge.errors import UsageError
    from evalgauge.store import DATABASE_URL_ENV

    root = (config.parent if config is not None else Path.cwd()).resolve()
    default = root / ".evalgauge" / "evalgauge.db"
    if database is None and not os.environ.get(DATABASE_URL_ENV) and not default.exists():
        where = f"beside {config}" if config is not None else "in the working folder"
        raise UsageError(
            f"no results store {where} ({default} does not exist). Runs are stored beside "
            "the suite or contract file they ran with: pass that file with --config, or "
            "the store with --database URL"
        )
    return open_store(database, root)


@runs_app.command("list")
def list_runs(
    limit: Annotated[int, typer.Option(help="Most recent runs to list.")] = 20,
    json_output: o.Json = False,
    database: o.Database = None,
    config: Project = None,
) -> int:
    """List the most recent runs."""
    from rich.table import Table

    store = _open_existing_store(database, config)
    try:
        runs = store.list_runs(limit)
    finally:
        store.close()
    if json_output:
        write_json(
            [
                {
                    "run_id": r.run_id,
                    "name": r.name,
                    "status": r.status,
                    "created_at": r.created_at.isoformat(),
                    "n_cases": r.n_cases,
                    "dataset_version": r.dataset_version,
                    "target": r.target,
                }
                for r in runs
            ]
        )
        return 0
    out, _ = consoles(False)
    if not out.is_terminal:
        # Rich assumes 80 columns for a pipe or a file, which would cut status and date.
        out.width = max(out.width, 160)
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("run", no_wrap=True)
    for column in ("name", "status", "created", "cases", "dataset", "target"):
        table.add_column(column)
    for r in runs:
        table.add_row(
            r.run_id,
            r.name,
            r.status,
            f"{r.created_at:%Y-%m-%d %H:%M}",
            str(r.n_cases),
            r.dataset_version[:19],
            r.target,
        )
    out.print(table)
    return 0


@runs_app.command("show")
def show_run(
    run_id: Annotated[str, typer.Argument(help="Run id, or `latest`.")],
    json_output: o.Json = False,
    markdown: o.Markdown = False,
    database: o.Database = None,
    config: Project = None,
) -> int:
    """Show the scorecard of a stored run."""
    from evalgauge.errors import UsageError
    from evalgauge.reports import print_scorecard, scorecard_markdown
    from evalgauge.scorecard import build_scorecard

    store = _open_existing_store(database, config)
    try:
        if run_id == "latest":
            latest = store.latest_run_id()
            if latest is None:
                raise UsageError("the store has no runs yet; start one with `evalgauge run`")
            run_id = latest
        card = build_scorecard(store, run_id)
    finally:
        store.close()
    if json_output:
        write_json(card.to_dict())
    elif markdown:
        print(scorecard_markdown(card), end="")
    else:
        print_scorecard(card, consoles(False)[0])
    return 0
