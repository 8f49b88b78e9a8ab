"""Streaming load and validation of dataset files into cases."""

from __future__ import annotations

import hashlib
import os
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson

from evalgauge.cases import Case
from evalgauge.datasets._fields import Row, RowError
from evalgauge.datasets._files import check_file
from evalgauge.datasets._ids import ContentIds, first_repeat, repeated_hashes
from evalgauge.datasets._mapping import FieldMapping
from evalgauge.datasets._readers import read_rows, resolve_format, row_location
from evalgauge.datasets._rows import RowMapper
from evalgauge.errors import DatasetError


@dataclass(frozen=True, slots=True)
class DatasetInfo:
    """Summary of a validated dataset.

    `cases_version` is "sha256:" plus the hex digest of every case's id, inputs, label and
    expected value in file order, and leaves recorded outputs out, so a new recording of the
    same cases keeps it. `version` also covers the recorded outputs: the same cases with the
    same outputs in the same order give the same version, and any change gives another.
    """

    path: str
    format: str
    n_cases: int
    n_labeled: int
    n_pass: int
    n_fail: int
    version: str
    cases_version: str


def iter_cases(
    path: str | os.PathLike[str],
    mapping: FieldMapping,
    *,
    format: str | None = None,
    require_labels: bool = False,
) -> Iterator[Case]:
    """Stream the cases of a dataset file, raising DatasetError at the first bad row.

    The format comes from the file extension unless `format` names one of FORMATS. The
    format, the mapping and the file's existence are checked before this returns. The
    remaining checks run as rows are read. Ids from an id field are not checked for
    duplicates here, because `scan_dataset` checks them.
    """
    file = Path(path)
    check_file(file)  # first, so a missing file or a directory is named as such
    source_format = resolve_format(file, format)
    mapper = RowMapper(mapping, require_labels=require_labels)
    return map(itemgetter(1), _located_cases(file, source_format, mapper))


def scan_dataset(
    path: str | os.PathLike[str],
    mapping: FieldMapping,
    *,
    format: str | None = None,
    require_labels: bool = False,
) -> DatasetInfo:
    """Validate every row in one streaming pass and return the dataset's counts and version.

    Raises DatasetError for the first bad row, for a duplicate id from the id field (naming
    both lines), and for a dataset without cases. Rows are not kept. Ids from an id field
    are kept as 64-bit hashes, 8 bytes per row, and checked for repeats after the pass,
    so a bad row later in the file is reported before a duplicate id.
    """
    file = Path(path)
    check_file(file)  # first, so a missing file or a directory is named as such
    source_format = resolve_format(file, format)
    mapper = RowMapper(mapping, require_labels=require_labels)

    id_hashes = array("q") if mapping.id_field is not None else None
    cases_digest, outputs_digest = hashlib.sha256(), hashlib.sha256()
    update_cases, update_outputs = cases_digest.update, outputs_digest.update
    dumps = orjson.dumps
    n_cases = n_labeled = n_pass = 0
    for _, case in _located_cases(file, source_format, mapper):
        if id_hashes is not None:
            id_hashes.append(hash(case.case_id))
        n_cases += 1
        if case.label is not None:
            n_labeled += 1
            if case.label:
                n_pass += 1
        update_cases(
            dumps((case.case_id, case.inputs, case.label, case.expected), option=_FINGERPRINT_LINE)
        )
        update_outputs(dumps(case.output, option=orjson.OPT_APPEND_NEWLINE))

    if id_hashes is not None:
        candidates = repeated_hashes(id_hashes)
        if candidates:
            _check_duplicate_ids(file, source_format, mapper, candidates)
    if n_cases == 0:
        empty = file.stat().st_size == 0
        raise DatasetError(
            "no cases: " + ("the file is empty" if empty else "the file contains no rows"),
            path=str(file),
            hint="Add at least one case to the file.",
        )
    return DatasetInfo(
        path=str(file),
        format=source_format,
        n_cases=n_cases,
        n_labeled=n_labeled,
        n_pass=n_pass,
        n_fail=n_labeled - n_pass,
        version=dataset_version(cases_digest.hexdigest(), outputs_digest.hexdigest()),
        cases_version="sha256:" + cases_digest.hexdigest(),
    )


def dataset_version(cases_hex: str, outputs_hex: str) -> str:
    """Combine the digest of the cases and the digest of their recorded outputs."""
    return "sha256:" + hashlib.sha256(f"{cases_hex}:{outputs_hex}".encode()).hexdigest()


def case_fingerprint(case: Case) -> bytes:
    """Serialize a case's content as the canonical JSON array [id, inputs, output, label, expected].

    Object keys are sorted at every level. Metadata is left out because it only serves
    slicing. Raises TypeError for values that orjson cannot serialize, which loaded cases
    never contain.
    """
    return orjson.dumps(_fingerprint_content(case), option=orjson.OPT_SORT_KEYS)


# Versions hash each case as canonical JSON followed by a newline.
_FINGERPRINT_LINE = orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE


def _fingerprint_content(case: Case) -> tuple[Any, ...]:
    return (case.case_id, case.inputs, case.output, case.label, case.expected)


def _located_cases(path: Path, format: str, mapper: RowMapper) -> Iterator[tuple[int, Case]]:
    """Yield (position, case) for each row, converting row problems into DatasetError."""
    assign_id = mapper.case_id if mapper.mapping.id_field is not None else ContentIds().assign
    build = mapper.build
    first_row: Row | None = None
    first_position = 0
    for position, row in read_rows(path, format):
        if first_row is None:
            first_row, first_position = row, position
        try:
            case = build(row, assign_id(row))
        except RowError as error:
            raise _located_error(path, format, position, error) from None
        yield position, case

    if first_row is not None and mapper.mapping.label is not None and not mapper.label_seen:
        missing = mapper.missing_label_error(first_row)
        raise _located_error(path, format, first_position, missing)


def _located_error(path: Path, format: str, position: int, error: RowError) -> DatasetError:
    line, prefix = row_location(path, format, position)
    return DatasetError(
        prefix + error.problem, path=str(path), line=line, field=error.field, hint=error.hint
    )


def _check_duplicate_ids(path: Path, format: str, mapper: RowMapper, candidates: set[int]) -> None:
    """Raise DatasetError for the first id that repeats, if any.

    `candidates` are the id hashes seen more than once. This reads the file again to tell
    a true duplicate from a hash collision and to find both lines.
    """
    ids = ((position, mapper.case_id(row)) for position, row in read_rows(path, format))
    repeat = first_repeat(ids, candidates)
    if repeat is None:
        return
    case_id, first, second = repeat
    first_line, prefix = row_location(path, format, first)
    line, _ = row_location(path, format, second)
    lines = f"{first_line} and {line}"
    if prefix:
        lines += f" (array items {first} and {second})"
    raise DatasetError(
        f"duplicate case id {case_id!r} on lines {lines}",
        path=str(path),
        line=line,
        field=mapper.mapping.id_field,
        hint="Give every row a unique id, or leave the id field unset so that ids "
        "are derived from the row content.",
    )
