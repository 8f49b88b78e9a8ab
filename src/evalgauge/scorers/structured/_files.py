"""Read output and gold JSONL files, and score a whole output file, in worker processes if large."""

from __future__ import annotations

import json
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
from evalgauge.scorers.structured._jsonl import (
    duplicate_id_error,
    id_lines,
    jsonl_rows,
    no_records_error,
    read_jsonl,
    row_id,
)

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


def gold_value(value: Any) -> Any:
    """Read gold stored as JSON text; other values are gold already."""
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def read_gold(path: Path, fields: Fields) -> dict[str, Any]:
    """Read gold values by id.

    Raises DatasetError for a file with no records, and for a line without an id or gold
    field or with an id already used.
    """
    data = read_jsonl(path)
    gold: dict[str, Any] = {}
    for number, row in jsonl_rows(data, path):
        case_id = row_id(row, fields.id, path, number)
        if fields.gold not in row:
            raise DatasetError(
                "missing gold value",
                path=str(path),
                line=number,
                field=fields.gold,
                hint="set the gold field's name with --gold-field",
            )
        if case_id in gold:
            raise duplicate_id_error(path, case_id, id_lines(data, path, fields.id, case_id))
        gold[case_id] = gold_value(row[fields.gold])
    if not gold:
        raise no_records_error(path, data, _example_line(fields.id, fields.gold, {}))
    return gold


def _example_line(id_field: str, value_field: str, value: Any) -> str:
    return json.dumps({id_field: "case-1", value_field: value})


@dataclass(frozen=True, slots=True)
class SetRun:
    """The accumulated scores of one output file, and the count of gold ids it lacks."""

    accumulator: SetAccumulator
    gold_without_output: int


# Set in the parent before the pool forks, so workers share them without pickling.
_WORK: dict[str, Any] = {}


@dataclass(frozen=True, slots=True)
class _LineProblem:
    """The arguments of a DatasetError raised in a worker process, to raise it again.

    A DatasetError pickles with its formatted message only, so its path, line and field
    would not reach the parent process.
    """

    problem: str
    path: str | None
    line: int | None
    field: str | None
    hint: str | None

    def error(self) -> DatasetError:
        return DatasetError(
            self.problem, path=self.path, line=self.line, field=self.field, hint=self.hint
        )


def _score_chunk_in_worker(span: tuple[int, int, int]) -> SetAccumulator | _LineProblem:
    """Score the lines at byte offsets `start:end` of the file read before the fork."""
    first_line, start, end = span
    try:
        return _score_chunk((first_line, _WORK["data"][start:end]))
    except DatasetError as exc:
        return _LineProblem(exc.problem, exc.path, exc.line, exc.field, exc.hint)


def _score_chunk(chunk: tuple[int, bytes]) -> SetAccumulator:
    first_line, data = chunk
    evaluator: StructuredEvaluator = _WORK["evaluator"]
    gold: dict[str, Any] | None = _WORK["gold"]
    fields: Fields = _WORK["fields"]
    path: Path = _WORK["path"]
    accumulator = SetAccumulator()
    allow_extra = evaluator.field_config.allow_extra
    for line, row in jsonl_rows(data, path, first_line):
        case_id = row_id(row, fields.id, path, line)
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

    Raises DatasetError for a file with no records, and for a line that is not a JSON
    object, lacks its id or output field, or repeats an id.
    """
    data = read_jsonl(path)
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
                    if isinstance(part, _LineProblem):
                        raise part.error()
                    total.merge(part)
    finally:
        _WORK.clear()
    if total.records == 0:
        raise no_records_error(path, data, _example_line(fields.id, fields.output, "..."))
    _check_unique(total.ids, data, path, fields.id)
    missing = 0 if gold is None else len(gold.keys() - set(total.ids))
    if gold and missing == len(gold):
        # Not one output has a gold record: the files or the id field do not belong together.
        raise UsageError(
            f"{path}: no output id matches a gold id (first output id {total.ids[0]!r}, "
            f"first gold id {next(iter(gold))!r}); check that --id-field names the same field "
            "in both files and that they hold the same cases"
        )
    return SetRun(total, missing)


def _check_unique(ids: list[str], data: bytes, path: Path, id_field: str) -> None:
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        for case_id in ids:
            if case_id in seen:
                raise duplicate_id_error(path, case_id, id_lines(data, path, id_field, case_id))
            seen.add(case_id)
