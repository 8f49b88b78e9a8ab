"""Build targets, scorers and dataset mappings from a validated configuration."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from evalgauge.config._model import (
    ChatTargetConfig,
    DatasetConfig,
    HttpTargetConfig,
    PythonTargetConfig,
    RecordedTargetConfig,
    SuiteConfig,
    TargetConfig,
)
from evalgauge.config._scorers import (
    JudgeScorerConfig,
    ScorerConfig,
    SqlExecutionScorerConfig,
)
from evalgauge.engine import CachePolicy, EngineSettings, ResilientModel, ResponseCache
from evalgauge.errors import ConfigError
from evalgauge.scorers._base import Scorer
from evalgauge.targets import (
    CallableTarget,
    ChatTarget,
    HttpTarget,
    RecordedTarget,
    RecordedUsageFields,
    Target,
)

if TYPE_CHECKING:
    from evalgauge.datasets import FieldMapping

DEFAULT_KEY_ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}


def field_mapping(config: DatasetConfig) -> FieldMapping:
    from evalgauge.datasets import FieldMapping

    return FieldMapping(
        inputs=tuple(config.input),
        output=config.output,
        label=config.label,
        pass_values=tuple(config.pass_value),
        fail_values=tuple(config.fail_value),
        id_field=config.id,
        expected=config.expected,
    )


def target_provider(config: SuiteConfig) -> str | None:
    """Return the provider that prices the target's calls, if the target names one."""
    target = config.target
    if isinstance(target, ChatTargetConfig):
        return "anthropic" if target.kind == "anthropic" else "openai-compatible"
    if isinstance(target, RecordedTargetConfig):
        return target.provider
    return None


def open_cache(settings: EngineSettings) -> ResponseCache | None:
    if settings.cache is CachePolicy.OFF:
        return None
    return ResponseCache(settings.cache_path)


def chat_model(
    provider: str,
    model: str,
    *,
    base_url: str | None,
    api_key_env: str | None,
    settings: EngineSettings,
    cache: ResponseCache | None,
    stream: bool = False,
) -> ResilientModel:
    """Build a client for `provider`, wrapped with the engine's retries, limits and cache."""
    key_env = api_key_env or DEFAULT_KEY_ENV[provider]
    if provider == "openai":
        from evalgauge.models._openai import OpenAICompatibleModel

        inner: object = OpenAICompatibleModel(
            model,
            base_url=base_url,
            api_key_env=key_env,
            max_connections=settings.concurrency,
            stream=stream,
        )
    elif provider == "anthropic":
        from evalgauge.models._anthropic import AnthropicModel

        inner = AnthropicModel(model, base_url=base_url, api_key_env=key_env, stream=stream)
    else:
        raise ConfigError(f"unknown provider {provider!r}; use openai or anthropic")
    return ResilientModel(inner, settings, cache=cache)  # type: ignore[arg-type]


def build_target(
    config: TargetConfig, settings: EngineSettings, cache: ResponseCache | None
) -> Target:
    if isinstance(config, PythonTargetConfig):
        return CallableTarget(config.callable)
    if isinstance(config, ChatTargetConfig):
        model = chat_model(
            config.kind,
            config.model,
            base_url=config.base_url,
            api_key_env=config.api_key_env,
            settings=settings,
            cache=cache,
            stream=config.stream,
        )
        return ChatTarget(
            model,
            prompt=config.prompt,
            system=config.system,
            temperature=config.temperature,
            max_tokens=config.max_tokens,
        )
    if isinstance(config, HttpTargetConfig):
        return HttpTarget(
            config.url,
            body=config.body,
            response_path=config.response_path,
            method=config.method,
            headers=config.headers,
            max_connections=settings.concurrency,
        )
    recorded = RecordedUsageFields(
        latency=config.latency_field,
        latency_unit=config.latency_unit,
        input_tokens=config.input_tokens_field,
        output_tokens=config.output_tokens_field,
        cached_input_tokens=config.cached_input_tokens_field,
        reasoning_tokens=config.reasoning_tokens_field,
    )
    return RecordedTarget(None, model=config.model, recorded=recorded)


def read_rubric(path: Path | None) -> str:
    if path is None:
        raise ConfigError("an LLM judge needs a rubric: set `rubric:` to a Markdown file")
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"rubric file {str(path)!r} not found") from None


def build_llm_judge(
    config: JudgeScorerConfig, settings: EngineSettings, cache: ResponseCache | None
) -> Scorer:
    from evalgauge.scorers.judge import LLMJudge

    if config.model is None:
        raise ConfigError(
            f"scorers.{config.name}.model: an {config.judge} judge needs a model name"
        )
    model = chat_model(
        config.judge,
        config.model,
        base_url=config.base_url,
        api_key_env=config.api_key_env,
        settings=settings,
        cache=cache,
    )
    return LLMJudge(model, read_rubric(config.rubric), name=config.name, timeout=settings.timeout_s)


def build_text_scorers(configs: list[ScorerConfig]) -> list[Scorer]:
    from evalgauge.scorers._text import Contains, ExactMatch

    scorers: list[Scorer] = []
    for config in configs:
        if config.kind == "exact_match":
            scorers.append(
                ExactMatch(name=config.name or "exact_match", normalize=config.normalize)
            )
        elif config.kind == "contains":
            scorers.append(Contains(name=config.name or "contains"))
        elif config.kind in ("json_parse", "json_schema", "json_fields"):
            from evalgauge.scorers.structured._build import build_structured_scorer

            scorers.append(build_structured_scorer(config))
        elif config.kind == "sql_execution":
            scorers.append(build_sql_scorer(config))
        elif config.kind in ("tool_calls", "tool_schema", "tool_sequence", "tool_state"):
            from evalgauge.scorers.toolcalls._build import build_tool_scorer

            scorers.append(build_tool_scorer(config))
    return scorers


def build_sql_scorer(config: SqlExecutionScorerConfig) -> Scorer:
    from evalgauge.scorers.sql import ExecutionLimits, SqlExecutionScorer

    return SqlExecutionScorer(
        db_dir=config.db_dir,
        name=config.name or "sql_execution",
        suite_dir=config.suite_dir,
        gold_field=config.gold_field,
        db_field=config.db_field,
        preset=config.preset,
        limits=ExecutionLimits(timeout_s=config.timeout_s, max_rows=config.max_rows),
        workers=config.workers,
        cache_dir=config.cache_dir,
    )
