"""Read BFCL question, possible-answer and result files, v1 (2024) and v4 (2026), as they are.

All three are JSON Lines (even where the name ends in `.json`) keyed by `id`. The differences
this module absorbs:

- v1 `question` is a string and `function` a dict or a list; v4 `question` is a list of turns
  and `function` always a list.
- v1 `ground_truth` is one dict; a function called twice in a parallel case appears as
  `name_1`, `name_2` (some files use `name 1`). v4 `ground_truth` is a list of one-call dicts.
- Results hold `result` (a Python-call string for prompting models, a list of
  `{name: "<JSON arguments>"}` for `-FC` models), token counts and latency in seconds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalgauge.errors import DatasetError
from evalgauge.scorers.toolcalls._bfcl_types import Language

_SUFFIX = re.compile(r"[ _]\d+$")
_ID_TAIL = re.compile(r"_\d+(-\d+)*$")


@dataclass(frozen=True, slots=True)
class BfclQuestion:
    """One question: its id, category, offered function docs and the user's turns."""

    case_id: str
    category: str
    docs: list[dict[str, Any]]
    question: Any


@dataclass(frozen=True, slots=True)
class BfclResult:
    """One model result with the usage BFCL recorded for it."""

    case_id: str
    model: str
    result: Any
    input_tokens: int | None = None
    output_tokens: int | None = None
    latency_s: float | None = None


def category_of(case_id: str) -> str:
    """Return the category an id names: `parallel_function_3` -> `parallel_function`."""
    return _ID_TAIL.sub("", case_id)


def language_of(category: str) -> Language:
    if "javascript" in category:
        return "javascript"
    if "java" in category:
        return "java"
    return "python"


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-empty line; raise DatasetError on bad JSON."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise DatasetError(f"cannot read the file: {exc.strerror}", path=str(path)) from None
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(
                    f"invalid JSON: {exc.msg}", path=str(path), line=number
                ) from None
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                raise DatasetError(
                    "expected an object with a string `id`", path=str(path), line=number
                )
            yield number, entry


def json_files(path: Path) -> list[Path]:
    """List the `.json`/`.jsonl` files of a folder (sorted, not recursive), or the file."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".json", ".jsonl"))
    if not path.exists():
        raise DatasetError("file or folder not found", path=str(path))
    return [path]


def load_questions(path: Path) -> dict[str, BfclQuestion]:
    questions = {}
    for file in json_files(path):
        for number, entry in read_jsonl(file):
            function = entry.get("function")
            listed: list[Any] = function if isinstance(function, list) else [function]
            docs = [doc for doc in listed if isinstance(doc, dict) and "name" in doc]
            if len(docs) != len(listed):
                raise DatasetError(
                    "`function` must be a function doc or a list of them",
                    path=str(file),
                    line=number,
                    field="function",
                )
            case_id = entry["id"]
            questions[case_id] = BfclQuestion(
                case_id, category_of(case_id), docs, entry.get("question")
            )
    return questions


def load_answers(path: Path) -> dict[str, Any]:
    """Map each id to its raw `ground_truth` (v1 dict or v4 list)."""
    answers = {}
    for file in json_files(path):
        for number, entry in read_jsonl(file):
            truth = entry.get("ground_truth")
            if not isinstance(truth, (dict, list)):
                raise DatasetError(
                    "`ground_truth` must be an object or a list",
                    path=str(file),
                    line=number,
                    field="ground_truth",
                )
            answers[entry["id"]] = truth
    return answers


def load_results(path: Path, model: str | None = None) -> dict[str, BfclResult]:
    """Read result files; the model is named by `model`, else by the folder holding them."""
    results: dict[str, BfclResult] = {}
    for file in json_files(path):
        name = model or (path.name if path.is_dir() else file.resolve().parent.name)
        for line, entry in read_jsonl(file):
            if entry["id"] in results:
                raise DatasetError(
                    f"duplicate id {entry['id']!r}",
                    path=str(file),
                    line=line,
                    field="id",
                    hint="Keep one result per question id",
                )
            results[entry["id"]] = BfclResult(
                entry["id"],
                name,
                entry.get("result"),
                _int_or_none(entry.get("input_token_count")),
                _int_or_none(entry.get("output_token_count")),
                _float_or_none(entry.get("latency")),
            )
    return results


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float_or_none(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def ground_truth_calls(truth: Any, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the ground truth as a list of one-call dicts, v1's suffixes removed.

    A v1 key such as `spotify.play_2` becomes `spotify.play` when no offered function has the
    suffixed name and one has the bare name.
    """
    if isinstance(truth, list):
        return [call for call in truth if isinstance(call, dict)]
    names = {str(doc.get("name")) for doc in docs}
    calls = []
    for key, params in truth.items():
        bare = _SUFFIX.sub("", key)
        name = bare if key not in names and bare in names else key
        calls.append({name: params})
    return calls
