"""Read the contract file; a file with a single suite's keys is a contract of one suite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evalgauge.config import format_validation_error, read_config_file, resolve_paths
from evalgauge.contract._model import Contract, TierConfig, TierSuiteConfig
from evalgauge.errors import ConfigError

DEFAULT_CONTRACT = Path("evalgauge.yaml")


def parse_contract(data: Any, *, source: str = "contract", base: Path | None = None) -> Contract:
    """Validate a contract mapping; relative paths are resolved against `base`."""
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ConfigError(f"{source}: expected a mapping at the top level, got {kind}")
    if "suites" not in data and "dataset" in data:
        # A suite configuration on its own, as `evalgauge quickstart` writes it.
        name = str(data.get("name", "eval"))
        data = {"suites": {name: data}}
    try:
        contract = Contract.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source, Contract)) from None
    return _resolve(contract, base) if base is not None else contract


def load_contract(path: Path | None = None) -> Contract:
    """Read and validate the contract file, `evalgauge.yaml` in the working directory by default."""
    file = path or DEFAULT_CONTRACT
    return parse_contract(read_config_file(file), source=str(file), base=file.parent)


def _resolve(contract: Contract, base: Path) -> Contract:
    def resolve(path: Path | None) -> Path | None:
        if path is None or path.is_absolute():
            return path
        return base / path

    suites = {
        name: resolve_paths(suite.model_copy(update={"name": name}), base)
        for name, suite in contract.suites.items()
    }
    tiers = {name: _resolve_tier(tier, resolve) for name, tier in contract.tiers.items()}
    baseline = contract.baseline
    if baseline is not None:
        baseline = baseline.model_copy(update={"file": resolve(baseline.file)})
    return contract.model_copy(
        update={
            "suites": suites,
            "tiers": tiers,
            "baseline": baseline,
            "overrides_file": resolve(contract.overrides_file),
        }
    )


def _resolve_tier(tier: TierConfig, resolve: Any) -> TierConfig:
    slices: dict[str, TierSuiteConfig] = {
        suite: entry.model_copy(update={"dataset": resolve(entry.dataset)})
        for suite, entry in tier.slices.items()
    }
    return tier.model_copy(update={"slices": slices})
