"""Read the lines of an outputs or gold JSONL file, with errors that name the file line."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from evalgauge.datasets._fields import json_kind
from evalgauge.datasets._files import encoding_error, open_binary
from evalgauge.errors import DatasetError

_ID_HINT = "Give every line a string or number id; set the id field's name with --id-field."


def read_jsonl(path: Path) -> bytes:
    """Return the bytes of a JSONL file without its UTF-8 byte order mark, if it has one."""
    with open_binary(path) as file:
        try:
            data = file.read()
        except OSError as exc:
            raise DatasetError(f"cannot read the file: {exc.strerror}", path=str(path)) from None
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :]
    return data


def jsonl_rows(
    data: bytes, path: Path, first_line: int = 1
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (file line number, object) for each non-blank line.

    `data` may be a chunk of the file that starts at line `first_line`, so that the
    numbers, and those in the errors raised, count from the start of the file.
    """
    for number, line in enumerate(data.splitlines(), first_line):
        if not line or line.isspace():
            continue
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise _json_error(path, number, line, exc) from None
        if not isinstance(row, dict):
            raise DatasetError(
                f"expected a JSON object, found {json_kind(row)}",
                path=str(path),
                line=number,
                hint="Each line must contain one JSON object.",
            )
        yield number, row


def _json_error(path: Path, number: int, line: bytes, exc: orjson.JSONDecodeError) -> DatasetError:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as decode_error:
        return encoding_error(str(path), number, line, decode_error.start)
    return DatasetError(
        f"invalid JSON: {exc.msg} at column {exc.colno}",
        path=str(path),
        line=number,
        hint="Each line must contain one complete JSON object.",
    )


def row_id(row: dict[str, Any], field: str, path: Path, number: int) -> str:
    """Return the line's id as a string, and raise DatasetError unless it is a string or number."""
    value = row.get(field)
    if type(value) is str:
        return value
    if field not in row:
        problem = "missing id"
    elif isinstance(value, bool) or not isinstance(value, int | float):
        problem = f"the id must be a string or a number, found {json_kind(value)}"
    else:
        return str(value)
    raise DatasetError(problem, path=str(path), line=number, field=field, hint=_ID_HINT)


def id_lines(data: bytes, path: Path, field: str, case_id: str) -> list[int]:
    """Return the numbers of the first two lines whose id is `case_id`."""
    lines: list[int] = []
    for number, row in jsonl_rows(data, path):
        if row_id(row, field, path, number) == case_id:
            lines.append(number)
            if len(lines) == 2:
                break
    return lines


def duplicate_id_error(path: Path, case_id: str, lines: list[int]) -> DatasetError:
    first, second = lines
    return DatasetError(
        f"duplicate id {case_id!r}, first used on line {first}",
        path=str(path),
        line=second,
        hint="Each case needs its own id, so remove or rename one of the two lines.",
    )


def no_records_error(path: Path, data: bytes, example: str) -> DatasetError:
    """Describe a file with no JSON lines; `example` is one line as it should look."""
    found = "the file is empty" if not data else "the file contains only blank lines"
    return DatasetError(
        f"no records: {found}",
        path=str(path),
        hint=f"Add one JSON object per case, such as {example}.",
    )
