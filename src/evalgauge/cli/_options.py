"""Options shared by `run` and `align`, and their translation into a suite configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from evalgauge.errors import UsageError

Data = Annotated[
    Path | None,
    typer.Argument(help="Dataset file (.jsonl, .json, .csv, .tsv).", show_default=False),
]
ConfigPath = Annotated[
    Path | None, typer.Option("--config", "-c", help="Suite configuration (evalgauge.yaml).")
]
Input = Annotated[
    str | None,
    typer.Option(help="Comma-separated fields the target and judge see; default: all others."),
]
Output = Annotated[str | None, typer.Option(help="Field holding the recorded output.")]
Label = Annotated[str | None, typer.Option(help="Field holding the human label.")]
PassValue = Annotated[list[str] | None, typer.Option(help="Label value meaning pass (repeatable).")]
FailValue = Annotated[list[str] | None, typer.Option(help="Label value meaning fail (repeatable).")]
IdField = Annotated[str | None, typer.Option(help="Field holding the case id; default: hash.")]
Expected = Annotated[str | None, typer.Option(help="Field holding the expected output.")]
Judge = Annotated[
    str | None,
    typer.Option(help="offline, openai:MODEL or anthropic:MODEL."),
]
Rubric = Annotated[Path | None, typer.Option(help="Rubric file of an LLM judge.")]
BaseUrl = Annotated[
    str | None, typer.Option(help="Base URL of an OpenAI-compatible or Anthropic API.")
]
ApiKeyEnv = Annotated[str | None, typer.Option(help="Environment variable holding the API key.")]
Concurrency = Annotated[int | None, typer.Option(help="Cases in flight at once (default: 16).")]
Rpm = Annotated[
    float | None,
    typer.Option("--rpm", help="Requests per minute; the first minute's worth may burst."),
]
Tpm = Annotated[float | None, typer.Option("--tpm", help="Tokens per minute of model calls.")]
Timeout = Annotated[
    float | None, typer.Option(help="Deadline of one call, in seconds (default: 60).")
]
Retries = Annotated[
    int | None,
    typer.Option(
        help="Retries after a 429, 5xx, timeout or connection error, with "
        "exponential backoff (default: 4)."
    ),
]
Cache = Annotated[
    str | None,
    typer.Option(help="Response cache policy: off, read-write or replay (default: off)."),
]
CachePath = Annotated[
    Path | None, typer.Option(help="Response cache file (default: .evalgauge/cache.sqlite).")
]
Json = Annotated[bool, typer.Option("--json", help="Write JSON to stdout; text goes to stderr.")]
Markdown = Annotated[bool, typer.Option("--markdown", help="Write Markdown to stdout.")]
Database = Annotated[
    str | None,
    typer.Option(help="Store URL; default: EVALGAUGE_DATABASE_URL or .evalgauge/evalgauge.db."),
]
Seed = Annotated[int | None, typer.Option(help="Seed of the split and the bootstrap (default: 0).")]
Format = Annotated[
    str | None,
    typer.Option(
        "--format", help="Dataset format: jsonl, json, csv or tsv (default: from the extension)."
    ),
]


def base_config(config_path: Path | None, data: Path | None) -> tuple[dict[str, Any], Path]:
    """Start from the config file when given, else from an empty suite on `data`."""
    if config_path is not None:
        from evalgauge.config._load import read_config_file

        raw = read_config_file(config_path)
        if data is not None:
            raw.setdefault("dataset", {})["path"] = str(data.resolve())
        return raw, config_path.parent
    if data is None:
        raise UsageError("give a dataset file, or --config evalgauge.yaml")
    return {"dataset": {"path": str(data)}}, Path.cwd()


# Each flag's name as a function parameter, and the config key it sets.
_DATASET_KEYS = {
    "input": "input",
    "output": "output",
    "label": "label",
    "id_field": "id",
    "expected": "expected",
    "pass_value": "pass_value",
    "fail_value": "fail_value",
    "format": "format",
}
_ENGINE_KEYS = {
    "concurrency": "concurrency",
    "rpm": "requests_per_minute",
    "tpm": "tokens_per_minute",
    "timeout": "timeout_s",
    "retries": "max_retries",
    "cache": "cache",
    "cache_path": "cache_path",
}
FLAG_OF_KEY = {
    **{f"dataset.{key}": "--" + flag.replace("_", "-") for flag, key in _DATASET_KEYS.items()},
    **{f"engine.{key}": "--" + flag.replace("_", "-") for flag, key in _ENGINE_KEYS.items()},
}
"""The flag that sets each config key, for naming it in configuration errors."""


def apply_dataset_flags(raw: dict[str, Any], **flags: Any) -> None:
    dataset = raw.setdefault("dataset", {})
    for flag, key in _DATASET_KEYS.items():
        value = flags.get(flag)
        if value not in (None, []):
            dataset[key] = value


def apply_engine_flags(raw: dict[str, Any], **flags: Any) -> None:
    engine = raw.setdefault("engine", {})
    for flag, key in _ENGINE_KEYS.items():
        value = flags.get(flag)
        if value is not None:
            engine[key] = str(value) if isinstance(value, Path) else value


def apply_judge_flags(
    raw: dict[str, Any],
    judge: str | None,
    rubric: Path | None,
    base_url: str | None,
    api_key_env: str | None,
) -> None:
    """Set or replace the judge scorer from `--judge offline|openai:MODEL|anthropic:MODEL`."""
    if judge is None and rubric is None and base_url is None and api_key_env is None:
        return
    scorers = raw.setdefault("scorers", [])
    entry = next((s for s in scorers if s.get("kind") == "judge"), None)
    if entry is None:
        entry = {"kind": "judge"}
        scorers.append(entry)
    if judge is not None:
        provider, _, model = judge.partition(":")
        if provider not in ("offline", "openai", "anthropic") or (
            provider != "offline" and not model
        ):
            raise UsageError(
                f"invalid --judge {judge!r}; use offline, openai:MODEL or anthropic:MODEL"
            )
        entry["judge"] = provider
        if model:
            entry["model"] = model
    if rubric is not None:
        entry["rubric"] = str(rubric.resolve())
    if base_url is not None:
        entry["base_url"] = base_url
    if api_key_env is not None:
        entry["api_key_env"] = api_key_env


def parse_target(spec: str, *, base_url: str | None, api_key_env: str | None) -> dict[str, Any]:
    """`recorded`, `python:MODULE:FUNC`, `openai:MODEL`, `anthropic:MODEL` or `http:URL`."""
    kind, _, rest = spec.partition(":")
    if kind == "recorded" and not rest:
        return {"kind": "recorded"}
    if kind == "python" and rest:
        return {"kind": "python", "callable": rest}
    if kind in ("openai", "anthropic") and rest:
        target: dict[str, Any] = {"kind": kind, "model": rest}
        if base_url:
            target["base_url"] = base_url
        if api_key_env:
            target["api_key_env"] = api_key_env
        return target
    if kind == "http" and rest:
        return {"kind": "http", "url": rest}
    raise UsageError(
        f"invalid --target {spec!r}; use recorded, python:MODULE:FUNCTION, openai:MODEL, "
        "anthropic:MODEL or http:URL"
    )
