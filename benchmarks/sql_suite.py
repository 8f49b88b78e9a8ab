"""Distilled test-suite evaluation: `evalgauge sql eval --suite` against test-suite-sql-eval.

Builds a distilled suite of Spider dev databases, then scores the C3SQL predictions on it
three ways in each repeat, rotating which goes first:

- `evalgauge sql eval --suite DIR --preset tse`, started as a subprocess, so the time
  includes start-up and its worker processes;
- evalgauge's `ExecutionSession` in this process (one worker, connections kept open, gold
  results computed once per instance);
- test-suite-sql-eval: when a checkout is at /tmp/tse, its own `exec_eval.eval_exec_match`
  (per question and per instance, `asyncio.run` of a coroutine that connects, executes,
  fetches and closes, for gold and then for the prediction, in one process). Without the
  checkout, that pattern is reproduced here. With the checkout, the same loop is also
  timed as a child process, so that its start-up counts as the CLI's does. That row is
  printed for comparison only: the ratio judged uses the in-process reference.

Throughput is (question, instance) pairs of the suite per second of wall time, as medians of
`--repeat` runs. The script stops if the CLI and the reference disagree on any verdict. It
also prints the distillation's coverage and the single-database and suite accuracy.

Run: .venv/bin/python benchmarks/sql_suite.py [--databases a,b,...] [--keep DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from evalgauge.scorers.sql._compare import compare_results, gold_orders_output
from evalgauge.scorers.sql._evaluate import ExecutionSession
from evalgauge.scorers.sql._presets import TSE
from evalgauge.scorers.sql.distill import (
    DistillConfig,
    build_suite,
    read_gold,
    read_manifest,
    suite_databases,
)
from evalgauge.scorers.sql.distill.verdicts import suite_verdicts

ROOT = Path(__file__).resolve().parents[1]
SPIDER = (
    Path(os.environ.get("EVALGAUGE_SHARED_DATA", ROOT.parent / "shared" / "data")) / "spider-dev"
)
PREDICTIONS = SPIDER / "predictions" / "c3sql_gpt-3.5-turbo_dev_predicted_sql.txt"
DEFAULT_DATABASES = "concert_singer,pets_1,singer,orchestra,poker_player,car_1,world_1"
TSE_CHECKOUT = Path("/tmp/tse")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default=DEFAULT_DATABASES)
    parser.add_argument("--max-instances", type=int, default=40)
    parser.add_argument("--patience", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--keep", type=Path, help="Write the suite here and keep it; reuse it if it exists."
    )
    parser.add_argument("--repeat", type=int, default=3, help="Timed runs of each side.")
    args = parser.parse_args()
    databases = args.databases.split(",")

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        suite = args.keep or work / "suite"
        config = DistillConfig(
            seed=args.seed,
            max_instances=args.max_instances,
            patience=args.patience,
            max_rounds=10 * args.patience,
            neighbors_per_query=200,
            tables_json=SPIDER / "tables.json",
        )
        started = time.perf_counter()
        if (suite / "manifest.json").is_file():
            manifest = read_manifest(suite)  # a suite kept by an earlier --keep run
        else:
            manifest = build_suite(
                SPIDER / "dev_gold.sql", SPIDER / "database", suite, config, databases=databases
            )
        build_s = time.perf_counter() - started
        items = _items(databases)
        gold_file, pred_file = _write_subset(work, items)
        pairs = sum(len(suite_databases(suite, db)) for _, db, _, _ in items)

        timings: dict[str, list[float]] = {"cli": [], "session": [], "reference": []}
        sides = ["cli", "session", "reference"]
        if (TSE_CHECKOUT / "exec_eval.py").is_file():
            timings["reference_process"] = []
            sides.append("reference_process")
        for repeat in range(args.repeat):
            # rotate which side goes first, so background load hits both alike
            order = sides[repeat % len(sides) :] + sides[: repeat % len(sides)]
            for side in order:
                if side == "cli":
                    elapsed, cli_passed = _run_evalgauge(gold_file, pred_file, suite)
                elif side == "session":
                    elapsed = _run_session(suite, items)
                elif side == "reference":
                    elapsed, reference_passed, pattern = _run_reference(suite, items)
                else:
                    elapsed, process_passed = _run_tse_process(work, suite, items)
                    if process_passed != reference_passed:
                        raise SystemExit(
                            "the reference verdicts differ between its child process and this one"
                        )
                timings[side].append(elapsed)
        accuracy = suite_verdicts(suite, items, preset="tse")

    differing = [
        items[n][0] for n, (a, b) in enumerate(zip(cli_passed, reference_passed, strict=True))
        if a != b
    ]  # fmt: skip
    if differing:
        raise SystemExit(f"verdicts differ between the two sides on dev lines {differing}")
    _report(manifest, build_s, items, accuracy, args)
    cli, session, reference = (
        statistics.median(timings[k]) for k in ("cli", "session", "reference")
    )
    ratios = [r / c for r, c in zip(timings["reference"], timings["cli"], strict=True)]
    print(f"\n## throughput: median of {args.repeat} runs, pairs = question x instance")
    print(f"questions {len(items)}, pairs {pairs}, both sides count {sum(cli_passed)} matches")
    workers = os.cpu_count() or 1
    print(
        f"evalgauge sql eval --suite (CLI, {workers} workers): {cli:.2f} s, "
        f"{pairs / cli:,.0f} pairs/s"
    )
    print(
        f"evalgauge ExecutionSession (1 process): {session:.2f} s, {pairs / session:,.0f} pairs/s"
    )
    print(f"test-suite-sql-eval {pattern}: {reference:.2f} s, {pairs / reference:,.0f} pairs/s")
    per_repeat = ", ".join(f"{r:.1f}x" for r in ratios)
    print(
        f"ratio reference / CLI per repeat: {per_repeat}; median {statistics.median(ratios):.1f}x"
    )
    print(f"ratio reference / ExecutionSession (medians): {reference / session:.1f}x")
    if "reference_process" in timings:
        process = statistics.median(timings["reference_process"])
        print(
            f"test-suite-sql-eval as a child process (start-up, imports, the same loop): "
            f"{process:.2f} s, {pairs / process:,.0f} pairs/s; "
            f"ratio to the CLI (medians) {process / cli:.1f}x"
        )


def _items(databases: list[str]) -> list[tuple[int, str, str, str]]:
    predictions = PREDICTIONS.read_text(encoding="utf-8").splitlines()
    return [
        (index, db, sql, predictions[index])
        for index, sql, db in read_gold(SPIDER / "dev_gold.sql")
        if db in databases
    ]


def _write_subset(work: Path, items: list[tuple[int, str, str, str]]) -> tuple[Path, Path]:
    gold, pred = work / "gold.sql", work / "pred.sql"
    gold.write_text("".join(f"{sql}\t{db}\n" for _, db, sql, _ in items), encoding="utf-8")
    pred.write_text("".join(f"{p}\n" for _, _, _, p in items), encoding="utf-8")
    return gold, pred


def _run_evalgauge(gold: Path, pred: Path, suite: Path) -> tuple[float, list[bool]]:
    command = [
        str(Path(sys.executable).with_name("evalgauge")), "sql", "eval", "--gold", str(gold),
        "--pred", str(pred), "--suite", str(suite), "--preset", "tse", "--json",
    ]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"evalgauge sql eval failed ({done.returncode}): {done.stderr}")
    questions = json.loads(done.stdout)["questions"]
    return elapsed, [q["verdict"] == "match" for q in questions]


def _run_session(suite: Path, items: list[tuple[int, str, str, str]]) -> float:
    """Time the module API in this process: one `ExecutionSession`, connections kept open."""
    session = ExecutionSession(TSE)
    started = time.perf_counter()
    try:
        for _, db, gold, pred in items:
            session.evaluate(gold, pred, suite_databases(suite, db))
    finally:
        session.close()
    return time.perf_counter() - started


def _evaluation_py_lines(gold: str, pred: str) -> tuple[str, str]:
    """Strip both lines and cut them at a tab, as test-suite-sql-eval's evaluation.py reads them."""
    return gold.strip().split("\t")[0], pred.strip().split("\t")[0].replace("value", "1")


def _run_reference(
    suite: Path, items: list[tuple[int, str, str, str]]
) -> tuple[float, list[bool], str]:
    if (TSE_CHECKOUT / "exec_eval.py").is_file():
        return _run_tse_checkout(suite, items)
    verdicts = []
    started = time.perf_counter()
    for _, db, gold_line, pred_line in items:
        gold, pred = _evaluation_py_lines(gold_line, pred_line)
        gold_sql, pred_sql = TSE.prepare_gold(gold), TSE.prepare_prediction(pred)
        ordered = gold_orders_output(gold_sql, "substring")
        passed = True
        for path in suite_databases(suite, db):
            gold_rows = asyncio.run(_exec_on_db(path, gold_sql))
            pred_rows = asyncio.run(_exec_on_db(path, pred_sql))
            if (
                pred_rows is None
                or not compare_results(
                    gold_rows or [], pred_rows, TSE.compare, ordered=ordered
                ).match
            ):
                passed = False
                break
        verdicts.append(passed)
    elapsed = time.perf_counter() - started
    return elapsed, verdicts, "pattern (reproduced, no /tmp/tse checkout)"


async def _exec_on_db(path: Path, sql: str) -> list[tuple[Any, ...]] | None:
    """Connect, execute, fetch and close, as test-suite-sql-eval does for every execution."""
    conn = sqlite3.connect(path)
    conn.text_factory = lambda raw: raw.decode(errors="ignore")
    try:
        return conn.execute(sql).fetchall()
    except (sqlite3.Error, sqlite3.Warning):
        # the reference scores any failed prediction as a mismatch
        return None
    finally:
        conn.close()


def _run_tse_checkout(
    suite: Path, items: list[tuple[int, str, str, str]]
) -> tuple[float, list[bool], str]:
    import types

    # exec_eval imports tqdm only for an optional progress bar, which stays off here
    sys.modules.setdefault("tqdm", types.ModuleType("tqdm"))
    sys.path.insert(0, str(TSE_CHECKOUT))
    from exec_eval import eval_exec_match  # type: ignore[import-not-found]

    started = time.perf_counter()
    verdicts = []
    for _, db, gold_line, pred_line in items:
        gold, pred = _evaluation_py_lines(gold_line, pred_line)
        db_path = str(suite / db / f"{db}.sqlite")
        verdicts.append(eval_exec_match(db_path, pred, gold, False, False, False) == 1)
    elapsed = time.perf_counter() - started
    return elapsed, verdicts, "exec_eval.eval_exec_match (/tmp/tse checkout, in this process)"


TSE_PROCESS = """
import json, sys, types
sys.modules.setdefault("tqdm", types.ModuleType("tqdm"))
checkout, suite, items_path = sys.argv[1:4]
sys.path.insert(0, checkout)
from exec_eval import eval_exec_match
verdicts = [
    eval_exec_match(f"{suite}/{db}/{db}.sqlite", pred, gold, False, False, False) == 1
    for db, gold, pred in json.load(open(items_path))
]
print(json.dumps(verdicts))
"""


def _run_tse_process(
    work: Path, suite: Path, items: list[tuple[int, str, str, str]]
) -> tuple[float, list[bool]]:
    """Time `_run_tse_checkout`'s loop in a child process, start-up and imports included."""
    items_path = work / "tse_items.json"
    lines = [(db, *_evaluation_py_lines(gold, pred)) for _, db, gold, pred in items]
    items_path.write_text(json.dumps([[db, gold, pred] for db, gold, pred in lines]))
    command = [sys.executable, "-c", TSE_PROCESS, str(TSE_CHECKOUT), str(suite), str(items_path)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the reference failed in a child process: {done.stderr[-2000:]}")
    return elapsed, json.loads(done.stdout.splitlines()[-1])


def _report(
    manifest: dict[str, Any],
    build_s: float,
    items: list[tuple[int, str, str, str]],
    accuracy: list[Any],
    args: argparse.Namespace,
) -> None:
    print(f"## distillation (seed {args.seed}, max {args.max_instances} instances, "
          f"patience {args.patience}): {build_s:.1f} s")  # fmt: skip
    print("| database | questions | instances | killed by original | killed by suite | total |")
    print("|---|---:|---:|---:|---:|---:|")
    for db_id, entry in manifest["databases"].items():
        by_original = sum(q["killed_by_original"] for q in entry["queries"])
        print(f"| {db_id} | {len(entry['queries'])} | {len(entry['instances'])} | "
              f"{by_original} | {entry['killed']} | {entry['total']} |")  # fmt: skip
    single = sum(v.single for v in accuracy)
    on_suite = sum(v.suite for v in accuracy)
    print(f"\n## C3SQL accuracy (tse preset), {len(items)} questions")
    print(f"original database only: {single}/{len(items)} = {single / len(items):.1%}")
    print(f"distilled suite: {on_suite}/{len(items)} = {on_suite / len(items):.1%}")


if __name__ == "__main__":
    main()
