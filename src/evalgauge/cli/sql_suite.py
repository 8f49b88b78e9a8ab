"""`evalgauge sql suite`: build a distilled test suite of database instances for text-to-SQL."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer

from evalgauge.cli._console import consoles, write_json
from evalgauge.errors import UsageError

suite_app = typer.Typer(help="Build distilled test suites of SQLite databases.")


@suite_app.callback()
def _suite_group() -> None:
    """Build distilled test suites of SQLite databases."""


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9}


def parse_size(text: str) -> int:
    """Parse a byte size such as `500000`, `50MB`, `2GiB` or `800k`."""
    match = _SIZE.match(text)
    if match is None:
        raise UsageError(f"invalid size {text!r} for --max-bytes; use a number with KB, MB or GB")
    unit = (match.group(2) or "").lower()
    binary = "i" in unit
    prefix = unit[:1] if unit[:1] in "kmg" else ""
    factor = 1024 ** " kmg".index(prefix) if binary and prefix else _UNITS[prefix]
    return int(float(match.group(1)) * factor)


@suite_app.command("build")
def build_command(
    gold: Annotated[Path, typer.Option(help="Gold file: one `<SQL><TAB><db_id>` per line.")],
    db_dir: Annotated[Path, typer.Option(help="Folder holding <db_id>/<db_id>.sqlite.")],
    out: Annotated[Path, typer.Option(help="Suite folder to write.")],
    db: Annotated[
        list[str] | None, typer.Option(help="Database to distill (repeatable); default: all.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of neighbours and random instances.")] = 0,
    max_instances: Annotated[
        int, typer.Option(help="Random instances kept per database, at most.")
    ] = 20,
    max_bytes: Annotated[
        str, typer.Option(help="Bytes of kept instances per database, at most (e.g. 50MB).")
    ] = "50MB",
    patience: Annotated[
        int, typer.Option(help="Stop after this many instances in a row kill no neighbour.")
    ] = 10,
    tables_json: Annotated[
        Path | None, typer.Option(help="Spider tables.json, for foreign keys the files lack.")
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the manifest as JSON.")
    ] = False,
) -> None:
    """Distill neighbour-killing database instances for every database of the gold file."""
    from evalgauge.scorers.sql.distill import DistillConfig, build_suite

    if max_instances < 0:
        raise UsageError(f"--max-instances must be >= 0, got {max_instances}")
    if tables_json is not None and not tables_json.is_file():
        raise UsageError(f"--tables-json {tables_json} not found")
    config = DistillConfig(
        seed=seed,
        max_instances=max_instances,
        max_bytes=parse_size(max_bytes),
        patience=patience,
        tables_json=tables_json,
    )
    out_console, err = consoles(json_output)
    err.print(f"distilling into {out} ...")
    manifest = build_suite(gold, db_dir, out, config, databases=db or None)
    if json_output:
        write_json(manifest)
        return
    _print_summary(out_console, manifest)


def _print_summary(console: Any, manifest: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table("database", "instances", "killed / neighbours", "stopped because")
    for db_id, entry in manifest["databases"].items():
        share = entry["killed"] / entry["total"] if entry["total"] else 0.0
        table.add_row(
            db_id,
            str(len(entry["instances"])),
            f"{entry['killed']} / {entry['total']} ({share:.1%})",
            entry["stop_reason"],
        )
    console.print(table)
    coverage = manifest["coverage"]
    console.print(f"all databases: {coverage['killed']} / {coverage['total']} neighbours killed")
