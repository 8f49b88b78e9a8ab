"""The example project that `evalgauge quickstart` writes."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from evalgauge.errors import UsageError

CONFIG = """\
# evalgauge suite: a support assistant's replies, judged for groundedness.
name: support-answers
dataset:
  path: traces.jsonl
  id: trace_id
  input: [question, context]   # fields shown to the judge next to the answer
  output: answer
  label: label                 # human verdicts; empty rows are unlabeled traffic
  pass_value: [pass]
  fail_value: [fail]
scorers:
  - kind: judge
    name: grounded
    judge: offline             # a TF-IDF + logistic regression judge trained on the train split
    rubric: rubric.md
    # To use an LLM judge instead, replace the line `judge: offline` with:
    #   judge: openai          # or anthropic
    #   model: gpt-4o-mini
    #   base_url: http://127.0.0.1:8000/v1   # optional: vLLM, Ollama, llama.cpp, ...
    #   api_key_env: OPENAI_API_KEY
engine:
  concurrency: 16
  cache: read-write            # LLM judge replies are cached in .evalgauge/cache.sqlite
  cache_path: .evalgauge/cache.sqlite
align:
  seed: 0
  split: [0.5, 0.2, 0.3]       # train, dev, test; every figure below comes from test
"""

FILES = ("traces.jsonl", "rubric.md")


def write_project(directory: Path, *, force: bool = False) -> Path:
    """Write the config, the traces and the rubric into `directory`; return the config path."""
    config_path = directory / "evalgauge.yaml"
    existing = [name for name in ("evalgauge.yaml", *FILES) if (directory / name).exists()]
    if existing and not force:
        raise UsageError(
            f"{directory} already contains {', '.join(existing)}; choose a new directory or "
            "pass --force to overwrite those files"
        )
    data = resources.files("evalgauge.quickstart").joinpath("data")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            text = data.joinpath(name).read_text(encoding="utf-8")
            (directory / name).write_text(text, encoding="utf-8")
        config_path.write_text(CONFIG, encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"cannot write the example project into {str(directory)!r}: {exc}; choose a "
            "writable directory"
        ) from None
    return config_path
