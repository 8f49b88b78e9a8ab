"""Build the structured-output scorers from their suite configuration entries."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalgauge.errors import ConfigError
from evalgauge.scorers._base import Scorer
from evalgauge.scorers.structured._fieldconfig import load_field_config, parse_field_config
from evalgauge.scorers.structured._schema import build_schema_check

if TYPE_CHECKING:
    from evalgauge.config._scorers import (
        JsonFieldsScorerConfig,
        JsonParseScorerConfig,
        JsonSchemaScorerConfig,
    )


def build_structured_scorer(
    config: JsonParseScorerConfig | JsonSchemaScorerConfig | JsonFieldsScorerConfig,
) -> Scorer:
    from evalgauge.scorers.structured._scorers import JsonFields, JsonParse, JsonSchema

    name = config.name or config.kind
    if config.kind == "json_parse":
        return JsonParse(name=name, repair=config.repair)
    if config.kind == "json_schema":
        check = build_schema_check(config.json_schema, config.model)
        if check is None:
            raise ConfigError(
                f"scorers.{name}: a json_schema scorer needs `schema:` (a JSON Schema file or "
                "mapping) or `model:` (a pydantic model as module:Class)"
            )
        return JsonSchema(check, name=name, repair=config.repair, max_errors=config.max_errors)
    return JsonFields(
        _field_config(config.fields, name),
        name=name,
        gold_field=config.gold_field,
        repair=config.repair,
    )


def _field_config(fields: Path | dict[str, Any] | None, name: str) -> Any:
    if isinstance(fields, Path):
        return load_field_config(fields)
    return parse_field_config(fields, source=f"scorers.{name}.fields")
