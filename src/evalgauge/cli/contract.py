"""`evalgauge contract`: check a contract file, or print its JSON Schema for editors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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
    _check_datasets(contract)
    tiers = ", ".join(contract.tiers) or "none"
    print(
        f"{path}: {len(contract.suites)} suites, tiers {tiers}, {len(contract.gates)} rules: valid"
    )


def _check_datasets(contract: Any) -> None:
    """Check that every dataset file exists and has the slice fields its suite names.

    Only the first case of each file is read; `evalgauge run` validates every row.
    """
    from evalgauge.config._build import field_mapping
    from evalgauge.datasets import iter_cases
    from evalgauge.errors import ConfigError

    for name, suite in contract.suites.items():
        files = [("dataset.path", suite.dataset.path)]
        files += [
            (f"tiers.{tier}.slices.{name}.dataset", entry.dataset)
            for tier, config in contract.tiers.items()
            for suite_name, entry in config.slices.items()
            if suite_name == name and entry.dataset is not None
        ]
        for key, file in files:
            if not file.is_file():
                raise ConfigError(f"suites.{name}.{key}: dataset file {str(file)!r} not found")
        if not suite.slices:
            continue
        first = next(iter(iter_cases(suite.dataset.path, field_mapping(suite.dataset))), None)
        missing = [
            field for field in suite.slices if first is not None and first.field(field) is None
        ]
        if missing:
            raise ConfigError(
                f"suites.{name}.slices: the first case of {str(suite.dataset.path)!r} has no "
                f"field {', '.join(map(repr, missing))}; slice by fields the cases carry"
            )


def _has_field(case: Any, name: str) -> bool:
    return name in case.metadata or name in case.inputs
