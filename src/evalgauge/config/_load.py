"""Read `evalgauge.yaml` and turn validation errors into messages that name the key."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from evalgauge.config._errors import format_validation_error
from evalgauge.config._model import SuiteConfig
from evalgauge.config._scorers import (
    ScorerConfig,
    ToolSchemaScorerConfig,
    ToolStateScorerConfig,
)
from evalgauge.errors import ConfigError


def parse_config(
    data: Any,
    *,
    source: str = "configuration",
    base: Path | None = None,
    flags: Mapping[str, str] | None = None,
) -> SuiteConfig:
    """Validate a config mapping; relative paths are resolved against `base`.

    `flags` maps config keys to the command-line flags that set them, for error messages.
    """
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: expected a mapping at the top level, got {type(data).__name__}"
        )
    try:
        config = SuiteConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source, SuiteConfig, flags)) from None
    return resolve_paths(config, base) if base is not None else config


def read_config_file(path: Path) -> dict[str, Any]:
    """Read a YAML config into a mapping, before validation, so flags can be laid over it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"config file {str(path)!r} not found; run `evalgauge quickstart` for an example"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {str(path)!r}: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def load_config(path: Path) -> SuiteConfig:
    return parse_config(read_config_file(path), source=str(path), base=path.parent)


def resolve_paths(config: SuiteConfig, base: Path) -> SuiteConfig:
    """Return the config with every relative path taken against `base`."""

    def resolve(path: Path | None) -> Path | None:
        if path is None or path.is_absolute():
            return path
        return base / path

    dataset = config.dataset.model_copy(update={"path": resolve(config.dataset.path)})
    scorers = [_resolve_scorer(s, base) for s in config.scorers]
    align = config.align.model_copy(update={"unlabeled": resolve(config.align.unlabeled)})
    engine = config.engine.model_copy(update={"cache_path": resolve(config.engine.cache_path)})
    return config.model_copy(
        update={"dataset": dataset, "scorers": scorers, "align": align, "engine": engine}
    )


def _resolve_scorer(scorer: ScorerConfig, base: Path) -> ScorerConfig:
    """Take the scorer's relative paths (rubric, schema, databases, tools...) against `base`."""
    updates: dict[str, Any] = {}
    for name in type(scorer).model_fields:
        value = getattr(scorer, name)
        if isinstance(value, Path) and not value.is_absolute():
            updates[name] = base / value
    if isinstance(scorer, ToolStateScorerConfig):
        updates["backend"] = _resolve_backend(scorer.backend, base)
    if isinstance(scorer, ToolSchemaScorerConfig) and scorer.tools_module is not None:
        updates["tools_module"] = _resolve_python_file(scorer.tools_module, base)
    return scorer.model_copy(update=updates) if updates else scorer


def _resolve_backend(backend: dict[str, Any], base: Path) -> dict[str, Any]:
    resolved = dict(backend)
    openapi = backend.get("openapi")
    if isinstance(openapi, str) and not Path(openapi).is_absolute():
        resolved["openapi"] = str(base / openapi)
    target = backend.get("class")
    if isinstance(target, str):
        resolved["class"] = _resolve_python_file(target, base)
    return resolved


def _resolve_python_file(target: str, base: Path) -> str:
    """Take the file of a `path/to/file.py:name` target against `base`; leave modules alone."""
    module, separator, attribute = target.rpartition(":")
    if separator and module.endswith(".py") and not Path(module).is_absolute():
        return f"{base / module}:{attribute}"
    return target
