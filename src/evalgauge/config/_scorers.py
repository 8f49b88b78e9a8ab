"""The scorer entries of a suite configuration, one model per scorer kind."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from evalgauge.config._base import StrictModel, check_base_url


class JudgeScorerConfig(StrictModel):
    kind: Literal["judge"]
    name: str = "judge"
    judge: Literal["offline", "openai", "anthropic"] = "offline"
    rubric: Path | None = None
    """Rubric file for LLM judges."""
    model: str | None = None
    base_url: str | None = None
    api_key_env: str | None = None
    train: Path | None = None
    """Labeled cases the offline judge is trained on; defaults to the dataset's labeled rows."""

    _base_url = field_validator("base_url")(check_base_url)


class TextScorerConfig(StrictModel):
    kind: Literal["exact_match", "contains"]
    name: str | None = None
    normalize: bool = False


class JsonParseScorerConfig(StrictModel):
    """Pass when the output parses as JSON, strictly or after repair."""

    kind: Literal["json_parse"]
    name: str | None = None
    repair: bool = True
    """Count an output that parses only after repair (code fence, prose, ...) as parsed."""


class JsonSchemaScorerConfig(StrictModel):
    """Pass when the parsed output is valid against a JSON Schema or a pydantic model."""

    kind: Literal["json_schema"]
    name: str | None = None
    json_schema: Path | dict[str, Any] | None = Field(None, alias="schema")
    """A JSON Schema file (.json or .yaml) or an inline schema mapping."""
    model: str | None = None
    """A pydantic model as `module:Class`, instead of `schema`."""
    repair: bool = True
    max_errors: int = Field(10, ge=1)


class JsonFieldsScorerConfig(StrictModel):
    """Field accuracy against gold JSON, with a comparator per field path."""

    kind: Literal["json_fields"]
    name: str | None = None
    fields: Path | dict[str, Any] | None = None
    """A field config file (YAML) or an inline mapping: `default`, `fields`, ..."""
    gold_field: str | None = None
    """Row field holding the gold JSON; defaults to the case's expected value."""
    repair: bool = True


StructuredScorerConfig = JsonParseScorerConfig | JsonSchemaScorerConfig | JsonFieldsScorerConfig


class SqlExecutionScorerConfig(StrictModel):
    """Text-to-SQL by execution: the output query against the case's gold query."""

    kind: Literal["sql_execution"]
    name: str | None = None
    db_dir: Path
    """Databases as `db_dir/<db_id>/*.sqlite` (or `.duckdb`); every file is an instance."""
    suite_dir: Path | None = None
    """Test-suite databases in the same layout; the output must match on all of them."""
    gold_field: str = "gold_sql"
    db_field: str = "db_id"
    preset: Literal["default", "tse", "bird"] = "default"
    timeout_s: float = Field(30.0, gt=0)
    max_rows: int = Field(1_000_000, ge=1)
    workers: int | None = Field(None, ge=1)
    cache_dir: Path | None = None
    """Folder where gold results are cached between runs."""


class ToolCallsScorerConfig(StrictModel):
    """BFCL's AST check of the output's calls against the case's possible answers."""

    kind: Literal["tool_calls"]
    name: str | None = None
    mode: Literal["default", "bfcl"] = "default"
    """`bfcl` reproduces bfcl-eval's verdicts; `default` fixes its documented problems."""
    expected_field: str = "expected_calls"
    """Case field with the possible answers, `[{tool: {param: [acceptable values]}}]`."""
    tools_field: str = "tools"
    """Case field with the function docs offered to the model."""
    category_field: str = "category"
    underscore_to_dot: bool = False
    """Set for models whose tool names had `.` replaced by `_`, as BFCL's FC models do."""


class ToolSchemaScorerConfig(StrictModel):
    """Every call names an offered tool and its arguments are valid against its schema."""

    kind: Literal["tool_schema"]
    name: str | None = None
    tools: Path | None = None
    """OpenAI or Anthropic tool definitions (JSON, YAML) or an OpenAPI 3 document."""
    tools_module: str | None = None
    """Python callables as the tools: `module:function`, `module:Class` or a module."""
    tools_field: str = "tools"
    """Case field with the offered tools, used when neither `tools` nor `tools_module` is set."""
    check_definitions: bool = True
    """Check each tool's schema against the JSON Schema meta-schema (about 1 ms a tool)."""


class ToolSequenceScorerConfig(StrictModel):
    """The calls match `expected.calls`, none missing or extra, in an allowed order."""

    kind: Literal["tool_sequence"]
    name: str | None = None
    allow_extra: bool = False


class ToolStateScorerConfig(StrictModel):
    """Running the calls leaves the stateful backend in the expected state."""

    kind: Literal["tool_state"]
    name: str | None = None
    backend: dict[str, Any]
    """`{backend: python, class: path.py:Class}` or `{backend: http, base_url, openapi, ...}`."""
    ignore_order: bool = False
    ignore_paths: list[str] = Field(default_factory=list)
    check_responses: bool = True
    turn_credit: Literal["all", "per_turn"] = "all"


ToolScorerConfig = (
    ToolCallsScorerConfig
    | ToolSchemaScorerConfig
    | ToolSequenceScorerConfig
    | ToolStateScorerConfig
)

ScorerConfig = Annotated[
    JudgeScorerConfig
    | TextScorerConfig
    | StructuredScorerConfig
    | SqlExecutionScorerConfig
    | ToolScorerConfig,
    Field(discriminator="kind"),
]
