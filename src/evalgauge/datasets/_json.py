"""Reader for JSON files: an array of cases, or an object with one list of cases."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from evalgauge.datasets._fields import Row, field_list, json_kind
from evalgauge.datasets._files import encoding_error, not_object_error, open_binary
from evalgauge.errors import DatasetError

_JSON_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},]', re.DOTALL)
_NON_SPACE = re.compile(rb"\S")


def json_item_line(path: Path, item: int) -> int | None:
    """Find the line where item number `item` of the array of cases starts in a JSON file.

    Only error messages call this, so it reads the file again instead of keeping it. The
    array of cases is the top-level array, or the one array directly inside the top-level
    object. Returns None if the file has changed and the item is no longer there.
    """
    try:
        data = path.read_bytes()
    except OSError:
        return None
    depth = 0
    array_depth = 0  # depth inside the array of cases, 0 until it opens
    count = 0
    for match in _JSON_TOKEN.finditer(data):
        char = data[match.start() : match.start() + 1]
        if char == b'"':
            continue
        if char in (b"[", b"{"):
            depth += 1
            if array_depth or char != b"[" or depth > 2:
                continue
            array_depth = depth
            count = 1
        elif char in (b"]", b"}"):
            if depth == array_depth:
                return None
            depth -= 1
            continue
        elif depth == array_depth:  # a comma between items of the array of cases
            count += 1
        else:
            continue
        if count == item:
            return _line_at(data, match.end())
    return None


def _line_at(data: bytes, offset: int) -> int:
    """Return the line of the first non-whitespace byte at or after `offset`."""
    match = _NON_SPACE.search(data, offset)
    start = match.start() if match else offset
    return data.count(b"\n", 0, start) + 1


def read_json(path: Path) -> Iterator[tuple[int, Row]]:
    """Yield (item number, row) for each case in the file's array of cases."""
    name = str(path)
    # NOTE: a JSON file is parsed whole, so memory grows with the file. JSONL files stream.
    with open_binary(path) as file:
        data = file.read()
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if not data.strip():
        return
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise _json_error(name, data, error) from None
    del data
    items = _array_of_cases(name, document)
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            line = json_item_line(path, number)
            raise not_object_error(name, line, f"array item {number}: ", item)
        yield number, item


def _json_error(name: str, data: bytes, error: orjson.JSONDecodeError) -> DatasetError:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as decode_error:
        line_start = data.rfind(b"\n", 0, decode_error.start) + 1
        line_end = data.find(b"\n", decode_error.start)
        line = data[line_start : line_end if line_end >= 0 else len(data)]
        number = data.count(b"\n", 0, decode_error.start) + 1
        return encoding_error(name, number, line, decode_error.start - line_start)
    if "after document" in error.msg:
        hint = (
            "The file contains more than one JSON document. If it has one JSON object per "
            "line, name it .jsonl or pass --format jsonl."
        )
    else:
        hint = "Fix the JSON syntax at this position."
    return DatasetError(
        f"invalid JSON: {error.msg} at column {error.colno}",
        path=name,
        line=error.lineno,
        hint=hint,
    )


def _array_of_cases(name: str, document: Any) -> list[Any]:
    """Return the top-level array, or the one list inside a top-level object."""
    if isinstance(document, list):
        return document
    hint = (
        'Use an array of objects, or an object with one list of objects such as {"cases": [...]}.'
    )
    if not isinstance(document, dict):
        raise DatasetError(
            f"expected an array of objects, found {json_kind(document)}",
            path=name,
            line=1,
            hint=hint,
        )
    lists = [key for key, value in document.items() if isinstance(value, list)]
    if len(lists) == 1:
        items: list[Any] = document[lists[0]]
        return items
    if not lists:
        raise DatasetError(
            f"the top-level object contains no list of cases. Its keys are: {field_list(document)}",
            path=name,
            line=1,
            hint=hint + " If the file has one object per line, name it .jsonl.",
        )
    raise DatasetError(
        f"the top-level object contains several lists ({', '.join(lists)}), so the list of "
        "cases is ambiguous",
        path=name,
        line=1,
        hint=hint,
    )
