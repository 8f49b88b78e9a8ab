"""Read output and gold JSONL files, and score a whole output file, in worker processes if large."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from evalgauge.errors import DatasetError, UsageError
from evalgauge.scorers.structured._evaluate import SetAccumulator, StructuredEvaluator

CHUNK_LINES = 4000
"""Output lines sent to a worker process at a time."""

POOL_THRESHOLD = 20_000
"""Output lines below which one process scores the whole file."""


@dataclass(frozen=True, slots=True)
class Fields:
    """Names of the fields that carry the id, the output and the gold value in each line."""

    id: str = "id"
    output: str = "output"
    gold: str = "expected"


DEFAULT_FIELDS = Fields()


def _open(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DatasetError(f"{what} file not found", path=str(path)) from None
    except OSError as exc:
        raise DatasetError(f"cannot read the {what} file: {exc}", path=str(path)) from None


def _rows(data: bytes, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise DatasetError(f"invalid JSON line: {exc}", path=str(path), line=number) from None
        if not isinstance(row, dict):
            raise DatasetError("each line must be a JSON object", path=str(path), line=number)
        yield number, row


def _row_id(row: dict[str, Any], field: str, path: Path, number: int) -> str:
    value = row.get(field)
    if value is None or isinstance(value, dict | list):
        raise DatasetError(
            "missing id",
            path=str(path),
            line=number,
            field=field,
            hint="every line needs a string or number id; set the id field's name with --id-field",
        )
    return str(value)


def gold_value(value: Any) -> Any:
    """Read gold stored as JSON text; other values are gold already."""
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def read_gold(path: Path, fields: Fields) -> dict[str, Any]:
    """Read gold values by id; raise DatasetError for a line without an id or gold field."""
    gold: dict[str, Any] = {}
    for number, row in _rows(_open(path, "gold"), path):
        case_id = _row_id(row, fields.id, path, number)
        if fields.gold not in row:
            raise DatasetError(
                "missing gold value",
                path=str(path),
                line=number,
                field=fields.gold,
                hint="set the gold field's name with --gold-field",
            )
        if case_id in gold:
            raise DatasetError(f"duplicate id {case_id!r}", path=str(path), line=number)
        gold[case_id] = gold_value(row[fields.gold])
    return gold


@dataclass(frozen=True, slots=True)
class SetRun:
    """The accumulated scores of one output file, and the count of gold ids it lacks."""

    accumulator: SetAccumulator
    gold_without_output: int


# Set in the parent before the pool forks, so workers share them without pickling.
_WORK: dict[str, Any] = {}


def _score_chunk_in_worker(chunk: tuple[int, bytes]) -> SetAccumulator | str:
    """Score a chunk; return a dataset problem as its message, since DatasetError's keyword
    arguments do not survive pickling."""
    try:
        return _score_chunk(chunk)
    except DatasetError as exc:
        return str(exc)


def _score_chunk(chunk: tuple[int, bytes]) -> SetAccumulator:
    first_line, data = chunk
    evaluator: StructuredEvaluator = _WORK["evaluator"]
    gold: dict[str, Any] | None = _WORK["gold"]
    fields: Fields = _WORK["fields"]
    path: Path = _WORK["path"]
    accumulator = SetAccumulator()
    allow_extra = evaluator.field_config.allow_extra
    seen: list[str] = []
    for number, row in _rows(data, path):
        line = first_line + number - 1
        case_id = _row_id(row, fields.id, path, line)
        if fields.output not in row:
            raise DatasetError(
                "missing output",
                path=str(path),
                line=line,
                field=fields.output,
                hint="set the output field's name with --output-field",
            )
        seen.append(case_id)
        if gold is None:
            result = evaluator.evaluate(case_id, row[fields.output], has_gold=False)
            result.error = None
        else:
            has_gold = case_id in gold
            result = evaluator.evaluate(
                case_id,
                row[fields.output],
                gold.get(case_id),
                has_gold=has_gold,
                tally=accumulator.tally,
            )
        accumulator.add(result, allow_extra)
    return accumulator


def _chunks(data: bytes, size: int) -> Iterator[tuple[int, bytes]]:
    lines = data.splitlines(keepends=True)
    for start in range(0, len(lines), size):
        yield start + 1, b"".join(lines[start : start + size])


def score_file(
    path: Path,
    evaluator: StructuredEvaluator,
    gold: dict[str, Any] | None,
    *,
    fields: Fields = DEFAULT_FIELDS,
    workers: int | None = None,
    chunk_lines: int = CHUNK_LINES,
) -> SetRun:
    """Score every line of an output JSONL file; `workers` None picks by file size.

    Raises DatasetError (or UsageError from a worker process) for a line that is not a
    JSON object or lacks its id or output field.
    """
    data = _open(path, "outputs")
    lines = data.count(b"\n") + 1
    if workers is None:
        workers = min(os.cpu_count() or 1, 4) if lines >= POOL_THRESHOLD else 1
    _WORK.update(evaluator=evaluator, gold=gold, fields=fields, path=path)
    total = SetAccumulator()
    try:
        if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            for chunk in _chunks(data, chunk_lines):
                total.merge(_score_chunk(chunk))
        else:
            context = multiprocessing.get_context("fork")
            with context.Pool(workers) as pool:
                for part in pool.imap(_score_chunk_in_worker, _chunks(data, chunk_lines)):
                    if isinstance(part, str):
                        raise UsageError(part)
                    total.merge(part)
    finally:
        _WORK.clear()
    _check_unique(total.ids, path)
    missing = 0 if gold is None else len(gold.keys() - set(total.ids))
    return SetRun(total, missing)


def _check_unique(ids: list[str], path: Path) -> None:
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        for case_id in ids:
            if case_id in seen:
                raise DatasetError(f"duplicate id {case_id!r}", path=str(path))
            seen.add(case_id)
