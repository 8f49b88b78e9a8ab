"""File opening and the row errors that every reader shares."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any, BinaryIO

from evalgauge.datasets._fields import json_kind
from evalgauge.errors import DatasetError

_UTF8_HINT = (
    "Save the file as UTF-8, for example with iconv -f latin1 -t utf-8. "
    "A UTF-8 byte order mark is accepted."
)
_UTF16_HINT = (
    "The file starts with a UTF-16 byte order mark. Save it as UTF-8, for example with "
    "iconv -f utf-16 -t utf-8."
)


def check_file(path: Path) -> None:
    """Raise DatasetError unless the file exists and can be opened for reading."""
    with open_binary(path):
        pass


def open_binary(path: Path) -> BinaryIO:
    name = str(path)
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise DatasetError(
            "file not found",
            path=name,
            hint=f"Check the path. A relative path starts from {Path.cwd()}.",
        ) from None
    except IsADirectoryError:
        raise DatasetError(
            "is a directory, not a dataset file", path=name, hint="Name a file inside it."
        ) from None
    except PermissionError:
        raise DatasetError(
            "permission denied", path=name, hint="Make the file readable by this user."
        ) from None
    except OSError as error:
        raise DatasetError(f"cannot open the file: {error.strerror}", path=name) from None


def not_object_error(name: str, line: int | None, prefix: str, value: Any) -> DatasetError:
    return DatasetError(
        f"{prefix}expected a JSON object, found {json_kind(value)}",
        path=name,
        line=line,
        hint='Each case must be a JSON object such as {"input": "..."}.',
    )


def encoding_error(name: str, number: int, line: bytes, offset: int) -> DatasetError:
    """Describe the undecodable byte at `offset` within `line`."""
    at_start = number == 1 and line.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    return DatasetError(
        f"the file is not valid UTF-8: byte 0x{line[offset]:02x} at byte {offset + 1} of the "
        "line cannot be decoded",
        path=name,
        line=number,
        hint=_UTF16_HINT if at_start else _UTF8_HINT,
    )
