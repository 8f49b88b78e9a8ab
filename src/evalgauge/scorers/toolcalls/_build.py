"""Build the tool-call scorers of a suite from their configuration entries."""

from __future__ import annotations

from evalgauge.config._scorers import (
    ToolCallsScorerConfig,
    ToolSchemaScorerConfig,
    ToolScorerConfig,
    ToolSequenceScorerConfig,
)
from evalgauge.errors import ConfigError
from evalgauge.scorers._base import Scorer
from evalgauge.scorers.toolcalls._check_scorers import (
    ToolSchemaScorer,
    ToolSequenceScorer,
    ToolStateScorer,
)
from evalgauge.scorers.toolcalls._scorer import ToolCallScorer
from evalgauge.scorers.toolcalls._specs import load_tool_specs
from evalgauge.scorers.toolcalls._state_config import state_backend_from_config


def build_tool_scorer(config: ToolScorerConfig) -> Scorer:
    """Build one `tool_calls`, `tool_schema`, `tool_sequence` or `tool_state` scorer."""
    name = config.name or config.kind
    if isinstance(config, ToolCallsScorerConfig):
        return ToolCallScorer(
            name,
            mode=config.mode,
            expected_field=config.expected_field,
            tools_field=config.tools_field,
            category_field=config.category_field,
            underscore_to_dot=config.underscore_to_dot,
        )
    if isinstance(config, ToolSchemaScorerConfig):
        if config.tools is not None and config.tools_module is not None:
            raise ConfigError(
                f"scorers.{name}: set `tools` (a definitions file) or `tools_module` (Python "
                "callables), not both"
            )
        source = config.tools if config.tools is not None else config.tools_module
        specs = None if source is None else load_tool_specs(source)
        return ToolSchemaScorer(
            specs,
            tools_field=config.tools_field,
            check_definitions=config.check_definitions,
            name=name,
        )
    if isinstance(config, ToolSequenceScorerConfig):
        return ToolSequenceScorer(allow_extra=config.allow_extra, name=name)
    backend = state_backend_from_config(config.backend, key=f"scorers.{name}.backend")
    return ToolStateScorer(
        backend,
        ignore_order=config.ignore_order,
        ignore_paths=config.ignore_paths,
        check_responses=config.check_responses,
        turn_credit=config.turn_credit,
        name=name,
    )
