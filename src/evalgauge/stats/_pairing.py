"""Pairing of the per-case scores of a baseline run and a candidate run by case id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, eq=False)
class AlignedCases:
    """The cases that both runs scored, in the baseline's order, with what was left out.

    `ids`, `base` and `cand` are read-only arrays of equal length: the case ids as
    strings and the two runs' scores. `only_in_base` and `only_in_candidate` count the
    ids that one run lacks, and `unscored` counts the ids in both runs whose score is
    NaN in either. The dataclass compares by identity because numpy arrays have no single
    truth value.
    """

    ids: NDArray[np.str_]
    base: NDArray[np.float64]
    cand: NDArray[np.float64]
    only_in_base: int
    only_in_candidate: int
    unscored: int

    @property
    def n(self) -> int:
        """Number of paired cases."""
        return int(self.ids.size)


def align_cases(
    base_ids: Sequence[str] | NDArray[Any],
    base_values: Sequence[float] | NDArray[np.floating],
    cand_ids: Sequence[str] | NDArray[Any],
    cand_values: Sequence[float] | NDArray[np.floating],
) -> AlignedCases:
    """Pair the scores of the cases present and scored in both runs.

    NaN in `base_values` or `cand_values` means that the case was not scored. Ids are
    compared as strings, so an object array is converted with `astype(str)`, which also
    turns the integer 1 and the string "1" into the same id. The pairs keep the order of
    `base_ids`.

    Raises ValueError when an input is not one-dimensional, when an id array and its
    values differ in length, when a value is not a number, or when an id occurs twice in
    one run.
    """
    base_keys = _as_ids(base_ids, "base_ids")
    cand_keys = _as_ids(cand_ids, "cand_ids")
    base_scores = _as_values(base_values, "base_values", base_keys.size, "base_ids")
    cand_scores = _as_values(cand_values, "cand_values", cand_keys.size, "cand_ids")

    base_order = np.argsort(base_keys, kind="stable")
    cand_order = np.argsort(cand_keys, kind="stable")
    base_sorted = base_keys[base_order]
    cand_sorted = cand_keys[cand_order]
    _check_unique(base_sorted, "base_ids")
    _check_unique(cand_sorted, "cand_ids")

    # Look up every sorted baseline id among the sorted candidate ids. A position past
    # the end, or one whose id differs, means the candidate lacks that id.
    if cand_sorted.size > 0:
        positions = np.searchsorted(cand_sorted, base_sorted)
        np.minimum(positions, cand_sorted.size - 1, out=positions)
        in_both = cand_sorted[positions] == base_sorted
    else:
        positions = np.zeros(base_sorted.size, dtype=np.intp)
        in_both = np.zeros(base_sorted.size, dtype=np.bool_)
    base_index = base_order[in_both]
    cand_index = cand_order[positions[in_both]]
    baseline_order = np.argsort(base_index, kind="stable")
    base_index = base_index[baseline_order]
    cand_index = cand_index[baseline_order]

    paired_base = base_scores[base_index]
    paired_cand = cand_scores[cand_index]
    scored = ~(np.isnan(paired_base) | np.isnan(paired_cand))
    common = int(base_index.size)
    return AlignedCases(
        ids=_read_only(base_keys[base_index[scored]]),
        base=_read_only(paired_base[scored]),
        cand=_read_only(paired_cand[scored]),
        only_in_base=int(base_keys.size) - common,
        only_in_candidate=int(cand_keys.size) - common,
        unscored=common - int(np.count_nonzero(scored)),
    )


def _as_ids(ids: Sequence[str] | NDArray[Any], name: str) -> NDArray[np.str_]:
    array = np.asarray(ids)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got an array of shape {array.shape}")
    # Sorting a numpy string array is several times faster than sorting Python objects.
    result: NDArray[np.str_] = array.astype(np.str_)
    return result


def _as_values(
    values: Sequence[float] | NDArray[np.floating], name: str, expected: int, ids_name: str
) -> NDArray[np.float64]:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"{name} must contain numbers, with NaN for a case that was not scored: {error}"
        ) from error
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got an array of shape {array.shape}")
    if array.size != expected:
        raise ValueError(
            f"{name} has {array.size} values but {ids_name} has {expected} ids; "
            "pass one value per case id, with NaN for a case that was not scored"
        )
    return array


def _check_unique(sorted_ids: NDArray[np.str_], name: str) -> None:
    repeated = np.flatnonzero(sorted_ids[1:] == sorted_ids[:-1])
    if repeated.size > 0:
        duplicate = str(sorted_ids[repeated[0]])
        distinct = np.unique(sorted_ids[repeated]).size
        raise ValueError(
            f"{name} contains the id {duplicate!r} more than once ({distinct} id(s) repeated "
            "in total); case ids must be unique within a run, so remove or rename the repeats"
        )


def _read_only(array: NDArray[Any]) -> NDArray[Any]:
    array.setflags(write=False)
    return array
