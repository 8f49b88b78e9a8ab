"""The suite configuration (`evalgauge.yaml`), validated by pydantic."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from evalgauge.config._base import StrictModel, check_base_url
from evalgauge.config._scorers import ScorerConfig
from evalgauge.engine import EngineSettings


def _as_list(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class DatasetConfig(StrictModel):
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


class RecordedTargetConfig(StrictModel):
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


class PythonTargetConfig(StrictModel):
    kind: Literal["python"]
    callable: str
    """`module:function`, sync or async."""


class ChatTargetConfig(StrictModel):
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

    _base_url = field_validator("base_url")(check_base_url)


class HttpTargetConfig(StrictModel):
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


class AlignConfig(StrictModel):
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


class SuiteConfig(StrictModel):
    """One suite: a dataset, a target, scorers and engine settings."""

    name: str = "eval"
    dataset: DatasetConfig
    target: TargetConfig = Field(default_factory=RecordedTargetConfig)
    scorers: list[ScorerConfig] = Field(default_factory=list)
    engine: EngineSettings = Field(default_factory=EngineSettings)
    align: AlignConfig = Field(default_factory=AlignConfig)
    slices: list[str] = Field(default_factory=list)
    """Metadata fields the scorecard is broken down by, e.g. a category or a difficulty."""
