"""Stratified train/dev/test split of labeled cases."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

_SPLIT_COUNT = 3
_FRACTION_SUM_TOLERANCE = 1e-9


@dataclass(frozen=True, eq=False)
class Split:
    """Indices into the labels of a train, dev and test split, each sorted and read-only.

    The dataclass compares by identity because numpy arrays have no single truth value.
    """

    train: NDArray[np.intp]
    dev: NDArray[np.intp]
    test: NDArray[np.intp]


def stratified_split(
    labels: Sequence[Hashable] | NDArray[Any],
    *,
    fractions: tuple[float, float, float] = (0.5, 0.2, 0.3),
    seed: int = 0,
) -> Split:
    """Split case indices into train, dev and test, keeping each class's share per split.

    Each class is shuffled with numpy.random.default_rng(seed) and divided by
    `fractions` (train, dev, test), with largest-remainder rounding. A class of 3 or more
    cases puts at least one case in every split. A class of 1 or 2 cases cannot, so its
    first case goes to test and its second to train, and dev gets none. The same labels
    and seed always give the same split.

    Raises ValueError when labels is empty or not one-dimensional, or when fractions
    does not contain three positive numbers that sum to 1.
    """
    _validate_fractions(fractions)
    array = np.asarray(labels)
    if array.ndim != 1:
        raise ValueError(f"labels must be one-dimensional, got an array of shape {array.shape}")
    if array.size == 0:
        raise ValueError("labels is empty; there are no cases to split")

    rng = np.random.default_rng(seed)
    _, class_ids = np.unique(array, return_inverse=True)
    parts: list[list[NDArray[np.intp]]] = [[] for _ in range(_SPLIT_COUNT)]
    for class_id in range(int(class_ids.max()) + 1):
        members = rng.permutation(np.flatnonzero(class_ids == class_id))
        sizes = _class_split_sizes(members.size, fractions)
        boundaries = np.cumsum(sizes)[:-1]
        for part, chunk in zip(parts, np.split(members, boundaries), strict=True):
            part.append(chunk)

    train, dev, test = (_sorted_read_only(part) for part in parts)
    return Split(train=train, dev=dev, test=test)


def _validate_fractions(fractions: tuple[float, float, float]) -> None:
    if len(fractions) != _SPLIT_COUNT:
        raise ValueError(
            f"fractions must contain 3 values (train, dev, test), got {len(fractions)}: "
            f"{fractions!r}"
        )
    if not all(math.isfinite(fraction) and fraction > 0 for fraction in fractions):
        raise ValueError(f"every fraction must be positive, got {fractions!r}")
    total = math.fsum(fractions)
    if abs(total - 1) > _FRACTION_SUM_TOLERANCE:
        raise ValueError(f"fractions must sum to 1, got {fractions!r} with sum {total:g}")


def _class_split_sizes(count: int, fractions: tuple[float, float, float]) -> list[int]:
    """Return the (train, dev, test) sizes for one class of `count` cases."""
    if count < _SPLIT_COUNT:
        # Too few cases to reach every split. Test gets the first case, so that the
        # held-out estimate includes the class, and train gets the second.
        return [1 if count >= 2 else 0, 0, 1]

    ideal = [count * fraction for fraction in fractions]
    sizes = [math.floor(share) for share in ideal]
    # Largest remainder first. Ties go to the earlier split because the sort is stable.
    by_remainder = sorted(range(_SPLIT_COUNT), key=lambda i: ideal[i] - sizes[i], reverse=True)
    for i in by_remainder[: count - sum(sizes)]:
        sizes[i] += 1

    # Move one case into each empty split from the largest one. With count >= 3 the
    # largest split always has at least 2 cases when another split is empty.
    for i in range(_SPLIT_COUNT):
        if sizes[i] == 0:
            largest = max(range(_SPLIT_COUNT), key=lambda j: sizes[j])
            sizes[largest] -= 1
            sizes[i] = 1
    return sizes


def _sorted_read_only(chunks: list[NDArray[np.intp]]) -> NDArray[np.intp]:
    indices = np.sort(np.concatenate(chunks)).astype(np.intp)
    indices.flags.writeable = False
    return indices
