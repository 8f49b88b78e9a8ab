"""Engine overhead: evalgauge against pydantic-evals on trivial cases, whole processes.

Each case has a recorded output equal to its expected output, so the run measures only the
framework: reading the dataset, scheduling, scoring by exact match and, for evalgauge,
persisting every case result and score to a fresh SQLite file. Each repeat times one
evalgauge process and one pydantic-evals process side by side (interpreter start-up
included) and the report gives medians and the throughput ratio.

The pydantic-evals peer runs in its own virtual environment, set up once with:

    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install pydantic-evals

Run from the repository root:

    .venv/bin/python benchmarks/engine_overhead.py --cases 100000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _harness import (
    BenchmarkError,
    ChildRun,
    evalgauge_executable,
    machine_facts,
    median,
    print_facts,
    require_success,
    run_child,
    write_jsonl_cases,
)

DEFAULT_PEER_PYTHON = Path("/tmp/peers/bin/python")
# The peer script builds N cases in memory (input "case {i}", expected "CASE {i}"), runs
# `Dataset.evaluate_sync` with an upper-casing target, the `EqualsExpected` evaluator and
# max_concurrency=64, and prints the pass rate.
DEFAULT_PEER_SCRIPT = Path("/work/shared/bench/peers/pydantic_evals_trivial.py")
DEFAULT_SCALING = "25000,50000,100000,200000"

# Targets from the project's performance goals, printed next to the figures.
TARGET_RATIO = 10.0
TARGET_PEAK_RSS_MB = 300.0
# "Flat in N" means the largest median peak RSS of the scaling table is at most this much
# above the smallest.
FLAT_TOLERANCE = 0.10


@dataclass(frozen=True)
class EvalgaugeRun:
    child: ChildRun
    engine_elapsed_s: float


def evalgauge_argv(executable: Path, data: Path, database: Path, concurrency: int) -> list[str]:
    return [
        str(executable),
        "run",
        str(data),
        "--output",
        "output",
        "--expected",
        "expected",
        "--id-field",
        "id",
        "--scorer",
        "exact_match",
        "--concurrency",
        str(concurrency),
        "--database",
        f"sqlite:///{database}",
        "--json",
    ]


def check_store(database: Path, run_id: str, n: int) -> None:
    """Raise `BenchmarkError` unless the store contains `n` case results and `n` passing scores."""
    with sqlite3.connect(database) as connection:
        results = connection.execute(
            "SELECT count(*) FROM case_results WHERE run_id = ?", (run_id,)
        ).fetchone()[0]
        scores = connection.execute(
            "SELECT count(*) FROM scores WHERE run_id = ?", (run_id,)
        ).fetchone()[0]
        passed = connection.execute(
            "SELECT count(*) FROM scores WHERE run_id = ? AND passed", (run_id,)
        ).fetchone()[0]
    connection.close()
    if results != n:
        raise BenchmarkError(f"store {database} has {results} case results for {run_id}, not {n}")
    if scores != n:
        raise BenchmarkError(f"store {database} has {scores} scores for {run_id}, not {n}")
    if passed != n:
        raise BenchmarkError(f"store {database} has {passed} passing scores of {n} for {run_id}")


def check_scorecard(card: dict[str, Any], n: int) -> None:
    """Raise `BenchmarkError` unless every case ran without error and exact match is 1.0."""
    invocation = card["invocation"]
    if invocation["status"] != "completed":
        raise BenchmarkError(f"run ended with status {invocation['status']!r}")
    if invocation["processed"] != n or invocation["errored"] != 0:
        raise BenchmarkError(
            f"run processed {invocation['processed']} of {n} cases "
            f"with {invocation['errored']} errors"
        )
    metric = next((m for m in card["metrics"] if m["name"] == "exact_match"), None)
    if metric is None:
        raise BenchmarkError("scorecard has no exact_match metric")
    if metric["scored"] != n or metric["mean"] != 1.0:
        raise BenchmarkError(
            f"exact_match scored {metric['scored']} of {n} cases with mean {metric['mean']}, "
            "expected 1.0"
        )


def run_evalgauge(
    executable: Path, data: Path, database: Path, n: int, concurrency: int, workdir: Path
) -> EvalgaugeRun:
    """Run one evalgauge process on a fresh database and check its scorecard and store."""
    database.unlink(missing_ok=True)
    child = run_child(evalgauge_argv(executable, data, database, concurrency), cwd=workdir)
    require_success(child, "evalgauge run")
    try:
        card = json.loads(child.stdout)
    except json.JSONDecodeError as exc:
        raise BenchmarkError(f"evalgauge --json printed invalid JSON: {exc}") from exc
    check_scorecard(card, n)
    check_store(database, card["invocation"]["run_id"], n)
    return EvalgaugeRun(child=child, engine_elapsed_s=float(card["invocation"]["elapsed_s"]))


def peer_unavailable(python: Path, script: Path) -> str | None:
    """Return why the pydantic-evals peer cannot run, or None if it can."""
    if not script.is_file():
        return f"peer script {script} not found; pass --peer-script"
    if not python.exists():
        return (
            f"{python} not found. Set up the peer with: python3 -m venv /tmp/peers && "
            "/tmp/peers/bin/pip install pydantic-evals (or pass --peer-python)"
        )
    probe = subprocess.run(
        [str(python), "-c", "import pydantic_evals"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        return (
            f"{python} cannot import pydantic_evals; install it with: "
            f"{python.parent / 'pip'} install pydantic-evals"
        )
    return None


def peer_version(python: Path) -> str:
    completed = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('pydantic-evals'))"],
        capture_output=True,
        text=True,
    )
    return completed.stdout.strip() or "unknown"


def run_peer(python: Path, script: Path, n: int, workdir: Path) -> ChildRun:
    """Run the pydantic-evals peer once and check that it printed a pass rate of 1.0."""
    child = run_child([str(python), str(script), str(n)], cwd=workdir)
    require_success(child, "pydantic-evals peer")
    lines = child.stdout.strip().splitlines()
    if not lines or float(lines[-1]) != 1.0:
        raise BenchmarkError(f"pydantic-evals peer printed pass rate {lines[-1:]}, expected 1.0")
    return child


def compare(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Time evalgauge and the peer side by side, alternating which one goes first."""
    n = args.cases
    data = workdir / f"cases-{n}.jsonl"
    write_jsonl_cases(data, n, with_output=True)
    skip_reason = peer_unavailable(args.peer_python, args.peer_script)
    if skip_reason is not None:
        print(f"skipping the pydantic-evals peer: {skip_reason}", file=sys.stderr)

    ours: list[EvalgaugeRun] = []
    peer: list[ChildRun] = []
    for repeat in range(args.repeat):
        database = workdir / f"compare-{repeat}.db"
        order = ["evalgauge", "peer"] if repeat % 2 == 0 else ["peer", "evalgauge"]
        for name in order:
            if name == "evalgauge":
                run = run_evalgauge(args.evalgauge, data, database, n, args.concurrency, workdir)
                ours.append(run)
                print(
                    f"  repeat {repeat + 1}: evalgauge {run.child.wall_s:.2f} s, "
                    f"{run.child.peak_rss_mb:.0f} MB",
                    file=sys.stderr,
                )
            elif skip_reason is None:
                child = run_peer(args.peer_python, args.peer_script, n, workdir)
                peer.append(child)
                print(
                    f"  repeat {repeat + 1}: pydantic-evals {child.wall_s:.2f} s, "
                    f"{child.peak_rss_mb:.0f} MB",
                    file=sys.stderr,
                )

    result: dict[str, Any] = {
        "cases": n,
        "repeat": args.repeat,
        "evalgauge": {
            "wall_s": [r.child.wall_s for r in ours],
            "engine_elapsed_s": [r.engine_elapsed_s for r in ours],
            "peak_rss_mb": [r.child.peak_rss_mb for r in ours],
        },
        "peer": None,
        "peer_skipped": skip_reason,
    }
    if peer:
        result["peer"] = {
            "name": f"pydantic-evals {peer_version(args.peer_python)}",
            "wall_s": [c.wall_s for c in peer],
            "peak_rss_mb": [c.peak_rss_mb for c in peer],
        }
        # Ratio of the runs in the same repeat, so both saw the same background load.
        result["per_repeat_ratio"] = [
            p.wall_s / r.child.wall_s for r, p in zip(ours, peer, strict=True)
        ]
    return result


def scaling(args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    """Run evalgauge at each size in `--scaling` and record peak RSS and wall time."""
    rows = []
    for n in args.scaling:
        data = workdir / f"cases-{n}.jsonl"
        if not data.exists():
            write_jsonl_cases(data, n, with_output=True)
        runs = []
        for repeat in range(args.repeat):
            database = workdir / f"scaling-{n}-{repeat}.db"
            runs.append(run_evalgauge(args.evalgauge, data, database, n, args.concurrency, workdir))
            database.unlink()
        row = {
            "cases": n,
            "wall_s": [r.child.wall_s for r in runs],
            "engine_elapsed_s": [r.engine_elapsed_s for r in runs],
            "peak_rss_mb": [r.child.peak_rss_mb for r in runs],
        }
        print(
            f"  {n} cases: peak RSS {median(row['peak_rss_mb']):.0f} MB, "
            f"wall {median(row['wall_s']):.2f} s",
            file=sys.stderr,
        )
        rows.append(row)
    return rows


def report(comparison: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    n = comparison["cases"]
    ours = comparison["evalgauge"]
    print(f"\nEngine overhead, {n} cases, median of {comparison['repeat']} (whole process)")
    print("| tool | wall s | cases/s | in-engine cases/s | peak RSS MB |")
    print("|---|---|---|---|---|")
    wall = median(ours["wall_s"])
    engine = median(ours["engine_elapsed_s"])
    print(
        f"| evalgauge | {wall:.2f} | {n / wall:,.0f} | {n / engine:,.0f} | "
        f"{median(ours['peak_rss_mb']):.0f} |"
    )
    peer = comparison["peer"]
    if peer is None:
        print(f"| pydantic-evals | skipped: {comparison['peer_skipped']} | | | |")
    else:
        peer_wall = median(peer["wall_s"])
        print(
            f"| {peer['name']} | {peer_wall:.2f} | {n / peer_wall:,.0f} | - | "
            f"{median(peer['peak_rss_mb']):.0f} |"
        )
        ratio = peer_wall / wall
        per_repeat = ", ".join(f"{r:.2f}" for r in comparison["per_repeat_ratio"])
        verdict = "met" if ratio >= TARGET_RATIO else "missed"
        print(
            f"\nthroughput ratio evalgauge / pydantic-evals: {ratio:.2f}x "
            f"(per repeat: {per_repeat}); target >= {TARGET_RATIO:g}x: {verdict}"
        )

    if not rows:
        return
    print(f"\nevalgauge memory scaling, median of {comparison['repeat']}")
    print("| cases | wall s | cases/s | peak RSS MB |")
    print("|---|---|---|---|")
    for row in rows:
        row_wall = median(row["wall_s"])
        print(
            f"| {row['cases']:,} | {row_wall:.2f} | {row['cases'] / row_wall:,.0f} | "
            f"{median(row['peak_rss_mb']):.0f} |"
        )
    peaks = [median(row["peak_rss_mb"]) for row in rows]
    growth = max(peaks) / min(peaks)
    max_peak = max(peaks)
    below = "met" if max_peak < TARGET_PEAK_RSS_MB else "missed"
    flat = "met" if growth <= 1 + FLAT_TOLERANCE else "missed"
    print(
        f"\npeak RSS: max {max_peak:.0f} MB, target < {TARGET_PEAK_RSS_MB:g} MB: {below}; "
        f"max / min over the table {growth:.2f}x, target flat within "
        f"{100 * FLAT_TOLERANCE:g}%: {flat}"
    )


def parse_sizes(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases in the comparison")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement")
    parser.add_argument(
        "--concurrency", type=int, default=64, help="evalgauge --concurrency (the peer uses 64)"
    )
    parser.add_argument(
        "--scaling",
        type=parse_sizes,
        default=parse_sizes(DEFAULT_SCALING),
        help=f"comma-separated case counts of the memory table; empty skips it "
        f"(default {DEFAULT_SCALING})",
    )
    parser.add_argument(
        "--evalgauge",
        type=Path,
        default=evalgauge_executable(Path(sys.executable)),
        help="evalgauge executable (default: the one next to this Python)",
    )
    parser.add_argument("--peer-python", type=Path, default=DEFAULT_PEER_PYTHON)
    parser.add_argument("--peer-script", type=Path, default=DEFAULT_PEER_SCRIPT)
    parser.add_argument("--json-out", type=Path, help="also write the raw figures to this file")
    args = parser.parse_args(argv)
    if args.cases < 1 or args.repeat < 1:
        parser.error("--cases and --repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    facts = machine_facts(Path(sys.executable))
    print_facts(facts)
    with tempfile.TemporaryDirectory(prefix="evalgauge-bench-") as tmp:
        workdir = Path(tmp)
        print(f"comparison at {args.cases} cases", file=sys.stderr)
        comparison = compare(args, workdir)
        if args.scaling:
            print("memory scaling", file=sys.stderr)
        rows = scaling(args, workdir)
    report(comparison, rows)
    if args.json_out is not None:
        payload = {"machine": facts, "comparison": comparison, "scaling": rows}
        args.json_out.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
