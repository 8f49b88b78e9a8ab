"""Which cases a tier runs: a seeded sample, a tag filter, or all of them.

A sample keeps the cases whose seeded hash of the case id is smallest. The same ids give
the same sample on every run and on every machine, and a case added to the dataset changes
the sample by at most that one case, so successive CI runs compare like with like.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from evalgauge.cases import Case


@dataclass(frozen=True, slots=True)
class SelectionSpec:
    """A sample size with its seed, and tag filters: metadata field -> accepted values."""

    sample_size: int | None = None
    seed: int = 0
    tags: dict[str, list[str]] = field(default_factory=dict)

    @property
    def selects_all(self) -> bool:
        return self.sample_size is None and not self.tags

    def describe(self) -> dict[str, Any]:
        return {"sample": self.sample_size, "seed": self.seed, "tags": self.tags}


@dataclass(frozen=True, slots=True)
class Selection:
    """The cases chosen from one dataset, their count and the versions of the subset.

    `cases_version` leaves the recorded outputs out, like `DatasetInfo.cases_version`.
    """

    n_cases: int
    version: str
    keep: Callable[[Case], bool] | None  # None keeps every case
    cases_version: str | None = None

    def filter(self, cases: Iterable[Case]) -> Iterator[Case]:
        if self.keep is None:
            return iter(cases)
        return filter(self.keep, cases)


def _tag_match(tags: dict[str, list[str]]) -> Callable[[Case], bool]:
    accepted = {name: {str(v) for v in values} for name, values in tags.items()}

    def match(case: Case) -> bool:
        for name, values in accepted.items():
            value = case.field(name)
            if value is None or str(value) not in values:
                return False
        return True

    return match


def _sample_key(seed: int, case_id: str) -> bytes:
    return hashlib.blake2b(f"{seed}:{case_id}".encode(), digest_size=8).digest()


def select_cases(
    cases: Callable[[], Iterable[Case]],
    spec: SelectionSpec,
    dataset_version: str,
    n_total: int,
    cases_version: str | None = None,
) -> Selection:
    """Choose the cases of `spec` in one pass over `cases`; a full selection reads nothing."""
    if spec.selects_all:
        return Selection(n_total, dataset_version, None, cases_version)
    match = _tag_match(spec.tags) if spec.tags else None
    candidates = (c for c in cases() if match is None or match(c))
    if spec.sample_size is None:
        n_cases = sum(1 for _ in candidates)
        keep = match
    else:
        keyed = ((_sample_key(spec.seed, c.case_id), c.case_id) for c in candidates)
        chosen = {case_id for _, case_id in heapq.nsmallest(spec.sample_size, keyed)}
        n_cases = len(chosen)

        def keep(case: Case) -> bool:
            return case.case_id in chosen

    described = orjson.dumps(spec.describe(), option=orjson.OPT_SORT_KEYS)
    return Selection(
        n_cases,
        _subset_version(dataset_version, described),
        keep,
        None if cases_version is None else _subset_version(cases_version, described),
    )


def _subset_version(version: str, described: bytes) -> str:
    digest = hashlib.sha256(version.encode())
    digest.update(described)
    return "sha256:" + digest.hexdigest()
