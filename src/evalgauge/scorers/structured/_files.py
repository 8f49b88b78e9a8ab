"""Read output and gold JSONL files, and score a whole output file, in worker processes if large."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

import orjson

from evalgauge.errors import DatasetError, UsageError
from evalgauge.scorers.structured._evaluate import SetAccumulator, StructuredEvaluator

CHUNK_LINES = 4000
"""Output lines sent to a worker process at a time."""

MIN_CHUNK_LINES = 250
"""Minimum output lines in a chunk that is cut short near the end of the file."""

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
        if not line or line.isspace():
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


def _score_chunk_in_worker(span: tuple[int, int, int]) -> SetAccumulator | str:
    """Score the lines at byte offsets `start:end` of the file read before the fork.

    Returns a dataset problem as its message, since DatasetError's keyword arguments do
    not survive pickling.
    """
    first_line, start, end = span
    try:
        return _score_chunk((first_line, _WORK["data"][start:end]))
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


def _line_ends(data: bytes) -> list[int]:
    """List the offset after each line, with the line breaks of `bytes.splitlines`."""
    if b"\r" in data:
        return list(accumulate(map(len, data.splitlines(keepends=True))))
    # Only \n breaks lines here, and finding each is about half as fast as splitlines.
    ends: list[int] = []
    find = data.find
    end = find(b"\n") + 1
    while end:
        ends.append(end)
        end = find(b"\n", end) + 1
    if data and not data.endswith(b"\n"):
        ends.append(len(data))
    return ends


def _spans(ends: list[int], size: int, workers: int = 1) -> Iterator[tuple[int, int, int]]:
    """Yield the first line number and the byte offsets of each chunk of at most `size` lines.

    For several workers, chunks near the end hold a quarter of the remaining lines per
    worker, down to `MIN_CHUNK_LINES`, so that the workers finish at about the same time.
    """
    first = 0
    while first < len(ends):
        count = size
        if workers > 1:
            count = min(size, max((len(ends) - first) // (4 * workers), MIN_CHUNK_LINES))
        last = min(first + count, len(ends))
        yield first + 1, ends[first - 1] if first else 0, ends[last - 1]
        first = last


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
    ends = _line_ends(data)
    if workers is None:
        workers = min(os.cpu_count() or 1, 4) if len(ends) >= POOL_THRESHOLD else 1
    _WORK.update(evaluator=evaluator, gold=gold, fields=fields, path=path, data=data)
    total = SetAccumulator()
    try:
        if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            for first_line, start, end in _spans(ends, chunk_lines):
                total.merge(_score_chunk((first_line, data[start:end])))
        else:
            context = multiprocessing.get_context("fork")
            with context.Pool(workers) as pool:
                for part in pool.imap(_score_chunk_in_worker, _spans(ends, chunk_lines, workers)):
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
