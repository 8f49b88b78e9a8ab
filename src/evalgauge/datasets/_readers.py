"""Readers that yield the raw rows of JSONL, JSON, CSV and TSV files with their positions."""

from __future__ import annotations

import codecs
import csv
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import orjson

from evalgauge.datasets._fields import Row
from evalgauge.datasets._files import encoding_error, not_object_error, open_binary
from evalgauge.datasets._json import json_item_line, read_json
from evalgauge.errors import DatasetError

FORMATS = ("jsonl", "json", "csv", "tsv")
EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "tsv"}
_FORMAT_ALIASES = {"ndjson": "jsonl"}

# Python's csv module rejects fields longer than 131,072 characters by default. The limit
# is a C long, which is 32 bits on Windows, so 2**31 - 1 is the largest value every
# platform accepts. The setting is global to the process.
csv.field_size_limit(2**31 - 1)

# A row's position: the 1-based line where the row starts, or for the JSON format the
# 1-based item number in the array of cases.
Rows = Iterator[tuple[int, Row]]


def resolve_format(path: Path, format: str | None) -> str:
    """Return the format name given explicitly, or else the one the file extension implies."""
    if format is not None:
        name = format.strip().lower()
        name = _FORMAT_ALIASES.get(name, name)
        if name not in FORMATS:
            raise DatasetError(
                f"unknown format {format!r}",
                path=str(path),
                hint=f"Use one of: {', '.join(FORMATS)}.",
            )
        return name
    suffix = path.suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    problem = f"unknown file extension {suffix!r}" if suffix else "the file name has no extension"
    raise DatasetError(
        problem,
        path=str(path),
        hint=f"Use one of the extensions {', '.join(EXTENSIONS)}, or pass --format with one "
        f"of: {', '.join(FORMATS)}.",
    )


def read_rows(path: Path, format: str) -> Rows:
    """Return an iterator over (position, row) that raises DatasetError at the first bad row."""
    if format == "jsonl":
        return _read_jsonl(path)
    if format == "json":
        return read_json(path)
    return _read_delimited(path, format)


def row_location(path: Path, format: str, position: int) -> tuple[int | None, str]:
    """Return the line number of a row and a prefix that names its array item, if any."""
    if format != "json":
        return position, ""
    return json_item_line(path, position), f"array item {position}: "


def _read_jsonl(path: Path) -> Rows:
    name = str(path)
    with open_binary(path) as file:
        first = file.readline()
        if first.startswith(codecs.BOM_UTF8):
            first = first[len(codecs.BOM_UTF8) :]
        for number, line in enumerate(itertools.chain((first,), file), 1):
            try:
                row = orjson.loads(line)
            except orjson.JSONDecodeError as error:
                # Blank lines are skipped. Checking for them only after a failed parse keeps
                # the check off the fast path.
                if not line.strip():
                    continue
                raise _jsonl_error(name, number, line, error) from None
            if not isinstance(row, dict):
                raise not_object_error(name, number, "", row)
            yield number, row


def _jsonl_error(
    name: str, number: int, line: bytes, error: orjson.JSONDecodeError
) -> DatasetError:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as decode_error:
        return encoding_error(name, number, line, decode_error.start)
    return DatasetError(
        f"invalid JSON: {error.msg} at column {error.colno}",
        path=name,
        line=number,
        hint="Each line of a JSONL file must be one complete JSON object. A JSON document "
        "that spans several lines needs the .json extension or --format json.",
    )


def _decoded_lines(file: BinaryIO, name: str) -> Iterator[str]:
    """Yield the file's lines as text with their line endings, so csv can read quoted newlines."""
    first = file.readline()
    if first.startswith(codecs.BOM_UTF8):
        first = first[len(codecs.BOM_UTF8) :]
    for number, line in enumerate(itertools.chain((first,), file), 1):
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError as error:
            raise encoding_error(name, number, line, error.start) from None


def _read_delimited(path: Path, format: str) -> Rows:
    """Yield the rows of a CSV or TSV file as dicts keyed by the header.

    A TSV file is split on tabs with quote processing off (csv.QUOTE_NONE), because TSV
    files such as the BEGIN benchmark contain bare quote characters inside fields.
    """
    name = str(path)
    with open_binary(path) as file:
        lines = _decoded_lines(file, name)
        if format == "tsv":
            reader = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
        else:
            # Strict mode rejects an unclosed quote at the end of the file, which the
            # default mode would read as one long field.
            reader = csv.reader(lines, strict=True)
        start = 1  # line where the row being read starts
        try:
            header = next(reader, None)
            while header == []:
                header = next(reader, None)  # blank lines before the header
            if header is None:
                return
            _check_header(name, reader.line_num, header)
            width = len(header)
            start = reader.line_num + 1
            for row in reader:
                number, start = start, reader.line_num + 1
                if len(row) != width:
                    if not row:
                        continue  # a blank line
                    raise _column_count_error(name, number, format, len(row), width)
                yield number, dict(zip(header, row, strict=True))
        except csv.Error as error:
            raise DatasetError(
                f"invalid {format.upper()}: {error}",
                path=name,
                line=start,
                hint="Check this row for a missing closing quote. A quote inside a quoted "
                'field must be doubled as "".',
            ) from None


def _check_header(name: str, line: int, header: list[str]) -> None:
    columns: dict[str, int] = {}
    for column, title in enumerate(header, 1):
        if title in columns:
            raise DatasetError(
                f"the header has two columns named {title!r} (columns {columns[title]} and "
                f"{column})",
                path=name,
                line=line,
                field=title,
                hint="Give every column a unique name.",
            )
        columns[title] = column


def _column_count_error(name: str, line: int, format: str, found: int, width: int) -> DatasetError:
    if format == "tsv":
        hint = (
            "TSV fields are split at every tab and cannot contain tabs or line breaks. "
            "Remove the extra tabs or add the missing fields."
        )
    else:
        hint = (
            "Quote fields that contain commas or line breaks, and check for a missing "
            "closing quote."
        )
    return DatasetError(
        f"the row has {found} columns but the header has {width}",
        path=name,
        line=line,
        hint=hint,
    )
