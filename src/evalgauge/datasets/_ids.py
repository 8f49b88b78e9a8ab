"""Case ids: ids derived from row content, and the detection of repeated ids."""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable

import orjson

from evalgauge.datasets._fields import Row


def content_hash(row: Row) -> bytes:
    """Return the first 8 bytes of the BLAKE2b-512 digest of the row as canonical JSON.

    Their hex form, the first 16 hex digits of the digest, is the row's content id.
    """
    return hashlib.blake2b(orjson.dumps(row, option=orjson.OPT_SORT_KEYS)).digest()[:8]


class ContentIds:
    """Case ids derived from row content, with `-2`, `-3`, ... appended to repeated content.

    NOTE: memory grows by 16 to 48 bytes per row, because every id issued is kept so that
    repeated content can be detected.
    """

    def __init__(self) -> None:
        self._seen = UInt64Set()
        self._repeats: dict[str, int] = {}

    def assign(self, row: Row) -> str:
        """Return the content id of the row, with a suffix if the same content came before."""
        prefix = content_hash(row)
        case_id = prefix.hex()
        if not self._seen.add(int.from_bytes(prefix, "big")):
            return case_id
        count = self._repeats.get(case_id, 1) + 1
        self._repeats[case_id] = count
        return f"{case_id}-{count}"


class UInt64Set:
    """Set of unsigned 64-bit integers in one open-addressing array.

    It takes 16 to 32 bytes per member, and 48 while the table doubles. A Python set of
    200,000 such integers takes about 78 bytes per member (CPython 3.11, tracemalloc).
    Members should be hash values, because the low bits pick the slot.
    """

    __slots__ = ("_has_zero", "_mask", "_size", "_table")

    def __init__(self) -> None:
        self._table = array("Q", [0]) * 1024
        self._mask = 1023
        self._size = 0
        self._has_zero = False  # 0 marks an empty slot, so the member 0 is kept apart

    def __len__(self) -> int:
        return self._size + self._has_zero

    def add(self, key: int) -> bool:
        """Add `key` and return whether it was already a member."""
        if key == 0:
            present = self._has_zero
            self._has_zero = True
            return present
        table = self._table
        mask = self._mask
        slot = key & mask
        while True:
            current = table[slot]
            if current == 0:
                break
            if current == key:
                return True
            slot = (slot + 1) & mask
        table[slot] = key
        self._size += 1
        if 2 * self._size > mask:
            self._grow()
        return False

    def _grow(self) -> None:
        old = self._table
        self._table = array("Q", [0]) * (2 * len(old))  # no temporary buffer
        self._mask = 2 * len(old) - 1
        table = self._table
        mask = self._mask
        for key in old:
            if key:
                slot = key & mask
                while table[slot]:
                    slot = (slot + 1) & mask
                table[slot] = key


def repeated_hashes(hashes: array[int]) -> set[int]:
    """Return the values that occur more than once in an array of 64-bit hashes.

    Sorting a copy takes 8 bytes per value, far less than a Python set of the values.
    """
    import numpy as np  # imported here because only scans with an id field need it

    ordered = np.sort(np.frombuffer(hashes, dtype=np.int64))
    repeats = ordered[1:][ordered[1:] == ordered[:-1]]
    return set(repeats.tolist())


def first_repeat(
    ids: Iterable[tuple[int, str]], candidates: set[int]
) -> tuple[str, int, int] | None:
    """Find the first id that repeats, among ids whose hash is a candidate.

    `ids` yields (position, id) in file order. Returns (id, first position, repeat
    position), or None when the candidate hashes were collisions between different ids.
    """
    first_positions: dict[str, int] = {}
    for position, case_id in ids:
        if hash(case_id) not in candidates:
            continue
        first = first_positions.setdefault(case_id, position)
        if first != position:
            return case_id, first, position
    return None
