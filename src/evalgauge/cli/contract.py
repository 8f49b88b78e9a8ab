"""`evalgauge contract`: check a contract file, or print its JSON Schema for editors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evalgauge.cli._console import write_json

contract_app = typer.Typer(help="Check the contract file or export its JSON Schema.")


@contract_app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of `evalgauge.yaml`, for editor completion and validation."""
    from evalgauge.contract import Contract

    write_json(Contract.model_json_schema())


@contract_app.command("check")
def check_command(
    path: Annotated[Path, typer.Argument(help="Contract file.")] = Path("evalgauge.yaml"),
) -> None:
    """Validate the contract: suites, tiers, envelopes and rules, before anything runs."""
    from evalgauge.contract import load_contract

    contract = load_contract(path)
    tiers = ", ".join(contract.tiers) or "none"
    print(
        f"{path}: {len(contract.suites)} suites, tiers {tiers}, {len(contract.gates)} rules: valid"
    )
