"""Suite configuration: the `evalgauge.yaml` model, its loader and the object builders."""

from evalgauge.config._errors import format_validation_error
from evalgauge.config._load import (
    load_config,
    parse_config,
    read_config_file,
    resolve_paths,
)
from evalgauge.config._model import (
    AlignConfig,
    ChatTargetConfig,
    DatasetConfig,
    HttpTargetConfig,
    PythonTargetConfig,
    RecordedTargetConfig,
    SuiteConfig,
    TargetConfig,
)
from evalgauge.config._scorers import JudgeScorerConfig, ScorerConfig, TextScorerConfig

__all__ = [
    "AlignConfig",
    "ChatTargetConfig",
    "DatasetConfig",
    "HttpTargetConfig",
    "JudgeScorerConfig",
    "PythonTargetConfig",
    "RecordedTargetConfig",
    "ScorerConfig",
    "SuiteConfig",
    "TargetConfig",
    "TextScorerConfig",
    "format_validation_error",
    "load_config",
    "parse_config",
    "read_config_file",
    "resolve_paths",
]
