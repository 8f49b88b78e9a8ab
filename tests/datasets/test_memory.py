"""Streaming 200,000 rows must not keep the rows in memory."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy  # noqa: F401 - imported before measuring, as scan_dataset imports it on first use
import pytest

from evalgauge.datasets import FieldMapping, iter_cases, scan_dataset

N_ROWS = 200_000
WITH_IDS = FieldMapping(inputs=("input",), output="output", expected="expected", id_field="id")
CONTENT_IDS = FieldMapping(inputs=("input",), output="output", expected="expected")


@pytest.fixture(scope="module")
def big_jsonl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("memory") / "big.jsonl"
    with path.open("w", encoding="utf-8") as file:
        for index in range(N_ROWS):
            file.write(
                f'{{"id": "c{index}", "input": "case {index}", "expected": "CASE {index}", '
                f'"output": "CASE {index}"}}\n'
            )
    return path


def peak_bytes(load: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        load()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def count_cases(path: Path, mapping: FieldMapping) -> int:
    return sum(1 for _ in iter_cases(path, mapping))


def test_iter_cases_memory_constant(big_jsonl: Path) -> None:
    size = big_jsonl.stat().st_size
    peak = peak_bytes(lambda: count_cases(big_jsonl, WITH_IDS))
    assert peak < 1_000_000  # no per-row state when ids come from a field
    assert peak < size // 10


def test_iter_cases_content_ids_memory(big_jsonl: Path) -> None:
    size = big_jsonl.stat().st_size
    peak = peak_bytes(lambda: count_cases(big_jsonl, CONTENT_IDS))
    assert peak < 50 * N_ROWS  # the 64-bit table of ids issued so far
    assert peak < size // 2


def test_scan_memory(big_jsonl: Path) -> None:
    size = big_jsonl.stat().st_size
    peak = peak_bytes(lambda: scan_dataset(big_jsonl, WITH_IDS))
    assert peak < 24 * N_ROWS  # 8-byte id hashes, plus a sorted copy after the pass
    assert peak < size // 4
