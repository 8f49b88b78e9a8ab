"""The field configuration: a comparator per field path pattern, and a default comparator."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from evalgauge.errors import ConfigError
from evalgauge.scorers.structured._comparators import (
    COMPARATOR_NAMES,
    ComparatorSpec,
    ExactSpec,
    check_zone,
)

_SEGMENT = r"(?:[^.\[\]]+)(?:\[(?:\d+|\*)?\])*"
_PATH = re.compile(rf"^(?:\[(?:\d+|\*)?\])*(?:{_SEGMENT})?(?:\.{_SEGMENT})*$")
_INDEX = re.compile(r"\[(\d+)\]")


class FieldConfig(BaseModel):
    """The comparators of gold and output fields, loaded from YAML or given inline.

    `fields` maps a path pattern to a comparator: `total`, `customer.name`, `items[].sku`
    for every element of `items`, or `items[0].sku` for the first one only.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: ComparatorSpec = Field(default_factory=ExactSpec)
    fields: dict[str, ComparatorSpec] = Field(default_factory=dict)
    absent_equals_null: bool = True
    """Count an output key that is absent as equal to a gold null, and the reverse."""
    allow_extra: bool = False
    """Let a record with output fields that gold lacks still count as an exact record."""

    @field_validator("default", mode="before")
    @classmethod
    def _expand_default(cls, value: Any) -> Any:
        return _expand(value, "default")

    @field_validator("fields", mode="before")
    @classmethod
    def _expand_fields(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        expanded = {}
        for path, spec in value.items():
            if not isinstance(path, str) or not _PATH.match(path):
                raise ValueError(
                    f"invalid field path {path!r}; write paths like `total`, `customer.name`, "
                    "`items[].sku` or `items[0].sku`"
                )
            expanded[normalize_pattern(path)] = _expand(spec, f"fields.{path}")
        return expanded


def normalize_pattern(path: str) -> str:
    """Write `[*]` as `[]`, the form the field walk produces."""
    return path.replace("[*]", "[]")


def as_pattern(path: str) -> str:
    """Replace every array index in `path` with `[]`."""
    return _INDEX.sub("[]", path)


def _expand(spec: Any, where: str) -> Any:
    """Accept `text` for `{comparator: text}` and reject unknown comparator names."""
    if isinstance(spec, str):
        spec = {"comparator": spec}
    if isinstance(spec, dict):
        name = spec.get("comparator", "exact")
        if name not in COMPARATOR_NAMES:
            raise ValueError(
                f"{where}: unknown comparator {name!r}; the comparators are "
                + ", ".join(COMPARATOR_NAMES)
            )
        spec = {"comparator": name, **{k: v for k, v in spec.items() if k != "comparator"}}
        if name == "datetime" and "assume_tz" in spec:
            check_zone(str(spec["assume_tz"]))
    return spec


def parse_field_config(data: Any, *, source: str = "field config") -> FieldConfig:
    """Validate a field configuration mapping; raise ConfigError naming the bad key."""
    if data is None:
        return FieldConfig()
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping, got {type(data).__name__}")
    try:
        return FieldConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors()[:5]:
            key = ".".join(str(part) for part in error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{key}: {message}" if key else message)
        raise ConfigError(f"{source}: invalid field config: " + "; ".join(problems)) from None


def load_field_config(path: Path) -> FieldConfig:
    """Read a field configuration from a YAML or JSON file."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"field config {str(path)!r} not found") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read field config {str(path)!r}: {exc}") from None
    return parse_field_config(data, source=str(path))
