"""Spider dev execution match: `evalgauge sql eval --preset tse` against test-suite-sql-eval.

Both sides score the C3SQL predictions of Spider dev, whole process each (interpreter start,
imports, reading the files, executing), side by side in one run, on one private copy of the
databases:

- evalgauge: `evalgauge sql eval --preset tse --summary-only` over all 1,034 lines (the 62
  questions of wta_1 have no database file and are reported as such);
- test-suite-sql-eval: `scripts/tse_reference_verdicts.py`, which calls the checkout's
  `exec_eval.eval_exec_match` for the 972 questions with a database, with evaluation.py's
  defaults. evaluation.py itself does not run here: its parser needs nltk's punkt data, which
  no package registry provides, and it stops at wta_1. It also parses every query for
  exact match and hardness, so the figure measured for the reference is a lower bound on it.

Run: .venv/bin/python benchmarks/sql_spider.py --tse /tmp/tse [--tse-python PY] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from _harness import (
    BenchmarkError,
    evalgauge_executable,
    machine_facts,
    median,
    print_facts,
    require_success,
    run_child,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EVALGAUGE_SHARED_DATA", ROOT.parent / "shared" / "data"))
SPIDER = SHARED / "spider-dev"
PREDICTIONS = "c3sql_gpt-3.5-turbo_dev_predicted_sql.txt"


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tse",
        type=Path,
        default=Path(os.environ.get("EVALGAUGE_TSE_PATH", "/tmp/tse")),
        help="test-suite-sql-eval checkout (outside the repository)",
    )
    parser.add_argument(
        "--tse-python",
        type=Path,
        default=Path(os.environ.get("EVALGAUGE_TSE_PYTHON", sys.executable)),
        help="Python with the checkout's dependencies (sqlparse, tqdm)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per side; the median counts")
    return parser.parse_args()


def _copy_spider(work: Path) -> Path:
    spider = work / "spider-dev"
    shutil.copytree(SPIDER / "database", spider / "database")
    for name in ("dev_gold.sql", "dev.json"):
        shutil.copyfile(SPIDER / name, spider / name)
    (spider / "predictions").mkdir()
    shutil.copyfile(SPIDER / "predictions" / PREDICTIONS, spider / "predictions" / PREDICTIONS)
    return spider


def main() -> None:
    args = _parse_args()
    if not (args.tse / "exec_eval.py").is_file():
        raise BenchmarkError(f"no test-suite-sql-eval checkout at {args.tse}; pass --tse PATH")
    python = Path(sys.executable)
    print_facts(machine_facts(python))

    with tempfile.TemporaryDirectory(prefix="sql-spider-bench-") as tmp:
        spider = _copy_spider(Path(tmp))
        pred = spider / "predictions" / PREDICTIONS
        ours_argv = [
            str(evalgauge_executable(python)),
            "sql", "eval",
            "--gold", str(spider / "dev_gold.sql"),
            "--pred", str(pred),
            "--db-dir", str(spider / "database"),
            "--preset", "tse",
            "--summary-only",
            "--json",
        ]  # fmt: skip

        out = Path(tmp) / "reference.json"
        peer_argv = [
            str(args.tse_python),
            str(ROOT / "scripts" / "tse_reference_verdicts.py"),
            str(args.tse),
            "--spider", str(spider),
            "--pred", str(pred),
            "--out", str(out),
            "--in-place",
        ]  # fmt: skip

        ours, peer = [], []
        for _ in range(args.repeat):
            run = run_child(ours_argv, cwd=ROOT)
            require_success(run, "evalgauge sql eval")
            ours.append(run)
            run = run_child(peer_argv, cwd=ROOT)
            require_success(run, "test-suite-sql-eval")
            peer.append(run)

        correct = json.loads(ours[-1].stdout)["summary"]["overall"]["correct"]
        reference = json.loads(out.read_text())["matches"]
        if correct != reference:
            raise BenchmarkError(f"verdicts differ: evalgauge {correct}, reference {reference}")

    ours_wall = median([r.wall_s for r in ours])
    peer_wall = median([r.wall_s for r in peer])
    print(f"\nmatches: evalgauge {correct}, test-suite-sql-eval {reference} (of 972)")
    print("| side | wall s (median) | CPU s | peak RSS MB |")
    print("|---|---|---|---|")
    for name, runs, wall in (
        ("evalgauge", ours, ours_wall),
        ("test-suite-sql-eval", peer, peer_wall),
    ):
        cpu = median([r.cpu_s for r in runs])
        rss = max(r.peak_rss_mb for r in runs)
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {rss:.0f} |")
    print(f"\nratio (test-suite-sql-eval / evalgauge wall time): {peer_wall / ours_wall:.2f}x")


if __name__ == "__main__":
    main()
