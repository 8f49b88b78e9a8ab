"""The suite configuration (`evalgauge.yaml`), validated by pydantic."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from evalgauge.engine import EngineSettings


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_base_url(value: str | None) -> str | None:
    if value is None:
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"invalid base URL {value!r}: expected http:// or https:// and a host, "
            "e.g. http://127.0.0.1:8000/v1"
        )
    return value


def _as_list(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class DatasetConfig(_Strict):
    """Location of the cases and the mapping of their fields onto a case."""

    path: Path
    input: list[str] = Field(default_factory=list)
    """Fields the target and the judge see; empty means every unmapped field."""
    output: str | None = None
    label: str | None = None
    pass_value: list[str] = Field(default_factory=list)
    fail_value: list[str] = Field(default_factory=list)
    id: str | None = None
    expected: str | None = None
    format: Literal["jsonl", "json", "csv", "tsv"] | None = None

    _split_input = field_validator("input", "pass_value", "fail_value", mode="before")(_as_list)


class RecordedTargetConfig(_Strict):
    """Outputs recorded in the dataset, with the latency and usage of the calls if recorded."""

    kind: Literal["recorded"] = "recorded"
    model: str | None = None
    """The model that produced the recorded outputs, for lineage and pricing."""
    provider: str | None = None
    latency_field: str | None = None
    latency_unit: Literal["ms", "s"] = "ms"
    input_tokens_field: str | None = None
    output_tokens_field: str | None = None
    cached_input_tokens_field: str | None = None
    reasoning_tokens_field: str | None = None


class PythonTargetConfig(_Strict):
    kind: Literal["python"]
    callable: str
    """`module:function`, sync or async."""


class ChatTargetConfig(_Strict):
    kind: Literal["openai", "anthropic"]
    model: str
    base_url: str | None = None
    api_key_env: str | None = None
    """Environment variable holding the key; defaults to OPENAI_API_KEY or ANTHROPIC_API_KEY."""
    prompt: str = "{input}"
    system: str | None = None
    temperature: float = 0.0
    max_tokens: int | None = Field(None, ge=1)
    stream: bool = False
    """Stream replies, which adds time to first token to the scorecard."""

    _base_url = field_validator("base_url")(_check_base_url)


class HttpTargetConfig(_Strict):
    kind: Literal["http"]
    url: str
    method: Literal["POST", "PUT", "GET"] = "POST"
    body: Any = None
    """JSON body template; a string that is exactly `{field}` takes the raw field value."""
    response_path: str = ""
    """Dotted path to the output in the JSON reply; empty means the whole body as text."""
    headers: dict[str, str] = Field(default_factory=dict)


TargetConfig = Annotated[
    RecordedTargetConfig | PythonTargetConfig | ChatTargetConfig | HttpTargetConfig,
    Field(discriminator="kind"),
]


class JudgeScorerConfig(_Strict):
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

    _base_url = field_validator("base_url")(_check_base_url)


class TextScorerConfig(_Strict):
    kind: Literal["exact_match", "contains"]
    name: str | None = None
    normalize: bool = False


class JsonParseScorerConfig(_Strict):
    """Pass when the output parses as JSON, strictly or after repair."""

    kind: Literal["json_parse"]
    name: str | None = None
    repair: bool = True
    """Count an output that parses only after repair (code fence, prose, ...) as parsed."""


class JsonSchemaScorerConfig(_Strict):
    """Pass when the parsed output is valid against a JSON Schema or a pydantic model."""

    kind: Literal["json_schema"]
    name: str | None = None
    json_schema: Path | dict[str, Any] | None = Field(None, alias="schema")
    """A JSON Schema file (.json or .yaml) or an inline schema mapping."""
    model: str | None = None
    """A pydantic model as `module:Class`, instead of `schema`."""
    repair: bool = True
    max_errors: int = Field(10, ge=1)


class JsonFieldsScorerConfig(_Strict):
    """Field accuracy against gold JSON, with a comparator per field path."""

    kind: Literal["json_fields"]
    name: str | None = None
    fields: Path | dict[str, Any] | None = None
    """A field config file (YAML) or an inline mapping: `default`, `fields`, ..."""
    gold_field: str | None = None
    """Row field holding the gold JSON; defaults to the case's expected value."""
    repair: bool = True


StructuredScorerConfig = JsonParseScorerConfig | JsonSchemaScorerConfig | JsonFieldsScorerConfig


class SqlExecutionScorerConfig(_Strict):
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


ScorerConfig = Annotated[
    JudgeScorerConfig | TextScorerConfig | StructuredScorerConfig | SqlExecutionScorerConfig,
    Field(discriminator="kind"),
]


class AlignConfig(_Strict):
    seed: int = Field(0, ge=0, le=2**32 - 1)
    split: tuple[float, float, float] = (0.5, 0.2, 0.3)
    """Train, dev and test fractions of the labeled cases."""

    @field_validator("split")
    @classmethod
    def _check_split(cls, value: tuple[float, float, float]) -> tuple[float, float, float]:
        if not all(math.isfinite(p) and p > 0 for p in value) or abs(sum(value) - 1) > 1e-6:
            raise ValueError(f"need three positive fractions that sum to 1, got {list(value)}")
        return value

    iterations: int = Field(20_000, ge=100)
    confidence: float = Field(0.95, gt=0, lt=1)
    unlabeled: Path | None = None
    """Unlabeled cases whose pass rate is corrected; defaults to the dataset's unlabeled rows."""


class SuiteConfig(_Strict):
    """One suite: a dataset, a target, scorers and engine settings."""

    name: str = "eval"
    dataset: DatasetConfig
    target: TargetConfig = Field(default_factory=RecordedTargetConfig)
    scorers: list[ScorerConfig] = Field(default_factory=list)
    engine: EngineSettings = Field(default_factory=EngineSettings)
    align: AlignConfig = Field(default_factory=AlignConfig)
    slices: list[str] = Field(default_factory=list)
    """Metadata fields the scorecard is broken down by, e.g. a category or a difficulty."""
