"""Time the baseline comparison of evalgauge.stats on synthetic runs of N cases.

Each repeat pairs two runs by case id with align_cases and compares their pass/fail
verdicts with compare_binary. It then runs compare_numeric twice. On continuous
latencies the bootstrap resamples indices, and on scores on a five-point scale it draws
counts per distinct difference. One untimed warm-up repeat imports scipy.stats first,
so the figures exclude that import. A repeat whose results do not match the synthetic
data stops the script before it prints figures.

Run from the repository root:

    .venv/bin/python benchmarks/paired_stats.py --cases 100000 --repeat 5
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from _harness import BenchmarkError, machine_facts, median, print_facts
from evalgauge.stats import align_cases, compare_binary, compare_numeric

STEPS = ("align_cases", "compare_binary", "compare_numeric latency", "compare_numeric scale")


@dataclass(frozen=True)
class Runs:
    """Two synthetic runs of the same cases, the candidate's in shuffled order."""

    base_ids: np.ndarray[Any, Any]
    base_passed: np.ndarray[Any, Any]
    cand_ids: np.ndarray[Any, Any]
    cand_passed: np.ndarray[Any, Any]
    base_latency: np.ndarray[Any, Any]
    cand_latency: np.ndarray[Any, Any]
    base_scale: np.ndarray[Any, Any]
    cand_scale: np.ndarray[Any, Any]
    regressed: int
    fixed: int


def build_runs(n: int, seed: int) -> Runs:
    """Build runs where the first 2% of cases go from pass to fail and 1% the reverse."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"case-{i}" for i in range(n)], dtype=object)
    base_passed = np.arange(n) < int(n * 0.8)
    cand_passed = base_passed.copy()
    regressed = int(n * 0.02)
    fixed = int(n * 0.01)
    cand_passed[:regressed] = False
    cand_passed[int(n * 0.8) : int(n * 0.8) + fixed] = True
    order = rng.permutation(n)
    base_latency = rng.lognormal(0.0, 0.5, size=n)
    cand_latency = base_latency + rng.normal(0.01, 0.2, size=n)
    base_scale = rng.integers(1, 6, size=n) / 5
    cand_scale = np.clip(base_scale + rng.choice([-0.2, 0.0, 0.2], size=n), 0.2, 1.0)
    return Runs(
        base_ids=ids,
        base_passed=base_passed.astype(np.float64),
        cand_ids=ids[order],
        cand_passed=cand_passed[order].astype(np.float64),
        base_latency=base_latency,
        cand_latency=cand_latency,
        base_scale=base_scale,
        cand_scale=cand_scale,
        regressed=regressed,
        fixed=fixed,
    )


def timed(function: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def run_once(runs: Runs, iterations: int) -> dict[str, float]:
    """Run every step once, check its result, and return the seconds each took."""
    n = runs.base_ids.size
    aligned, align_s = timed(
        lambda: align_cases(runs.base_ids, runs.base_passed, runs.cand_ids, runs.cand_passed)
    )
    if aligned.n != n or aligned.only_in_base != 0 or aligned.only_in_candidate != 0:
        raise BenchmarkError(f"align_cases paired {aligned.n} of {n} cases")

    binary, binary_s = timed(lambda: compare_binary(aligned.base, aligned.cand))
    if binary.b != runs.regressed or binary.c != runs.fixed:
        raise BenchmarkError(
            f"compare_binary found b = {binary.b} and c = {binary.c}, "
            f"expected {runs.regressed} and {runs.fixed}"
        )

    latency, latency_s = timed(
        lambda: compare_numeric(runs.base_latency, runs.cand_latency, iterations=iterations)
    )
    scale, scale_s = timed(
        lambda: compare_numeric(runs.base_scale, runs.cand_scale, iterations=iterations)
    )
    for name, result, base, cand in (
        ("latency", latency, runs.base_latency, runs.cand_latency),
        ("scale", scale, runs.base_scale, runs.cand_scale),
    ):
        expected = float(np.mean(cand - base))
        if not result.ci_low <= expected <= result.ci_high:
            raise BenchmarkError(
                f"compare_numeric on {name}: the interval [{result.ci_low}, {result.ci_high}] "
                f"misses the observed mean difference {expected}"
            )
    return dict(zip(STEPS, (align_s, binary_s, latency_s, scale_s), strict=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases per run")
    parser.add_argument("--repeat", type=int, default=5, help="timed repeats; medians are shown")
    parser.add_argument(
        "--iterations", type=int, default=2000, help="bootstrap draws of compare_numeric"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic runs")
    options = parser.parse_args()

    print_facts(machine_facts(Path(sys.executable)))
    runs = build_runs(options.cases, options.seed)
    try:
        run_once(runs, options.iterations)
        timings = [run_once(runs, options.iterations) for _ in range(options.repeat)]
    except BenchmarkError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    print(
        f"\n{options.cases} cases, {options.iterations} bootstrap draws, "
        f"median of {options.repeat} repeats after one warm-up:"
    )
    for step in STEPS:
        seconds = [timing[step] for timing in timings]
        spread = f"(min {min(seconds):.3f}, max {max(seconds):.3f})"
        print(f"{step:>26}: {median(seconds):7.3f} s  {spread}")
    for numeric_step in STEPS[2:]:
        totals = [
            timing["align_cases"] + timing["compare_binary"] + timing[numeric_step]
            for timing in timings
        ]
        label = f"total with {numeric_step.split()[-1]}"
        print(f"{label:>26}: {median(totals):7.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
