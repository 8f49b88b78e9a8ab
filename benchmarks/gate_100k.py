"""`evalgauge gate` on a 100,000-case run with a baseline, timed as a whole process.

It writes 100,000 recorded cases with latency and token counts and a contract with four
rules (a quality floor on its confidence bound, a no-regression rule against the baseline,
p95 latency and cost per request), runs the tier once with `--save-scorecard` to make the
baseline and once more as the candidate, then times `evalgauge gate --baseline` with JUnit
and Markdown output. Run from the repository root:

    .venv/bin/python benchmarks/gate_100k.py --repeat 3
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

CONTRACT = """\
suites:
  big:
    dataset: {path: cases.jsonl, id: id, output: output, expected: expected, input: [id]}
    target: {kind: recorded, model: gpt-4o-mini, latency_field: lat,
             input_tokens_field: in, output_tokens_field: out}
    scorers: [{kind: exact_match, name: accuracy}]
    slices: [cat]
tiers:
  full: {cost_envelope_usd: 100}
gates:
  - {rule: "accuracy >= 0.9", basis: confidence_bound}
  - {rule: "accuracy >= baseline - 0.02"}
  - {rule: "p95_latency_ms <= 1200"}
  - {rule: "cost_per_request_usd <= 0.002"}
"""


def write_cases(path: Path, n: int) -> None:
    rng = random.Random(0)
    with path.open("w") as file:
        for i in range(n):
            passed = rng.random() < 0.92
            row = {
                "id": f"c{i}",
                "cat": f"k{i % 7}",
                "output": f"ANSWER {i}" if passed else "wrong",
                "expected": f"ANSWER {i}",
                "in": 300 + i % 50,
                "out": 20 + i % 9,
                "lat": 200 + rng.random() * 800,
            }
            file.write(json.dumps(row) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    evalgauge = str(Path(sys.executable).with_name("evalgauge"))
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        write_cases(work / "cases.jsonl", args.cases)
        (work / "evalgauge.yaml").write_text(CONTRACT)
        for extra in (["--save-scorecard", "base.json"], []):
            subprocess.run(
                [evalgauge, "run", "--tier", "full", *extra],
                cwd=work,
                check=True,
                capture_output=True,
            )
        gate = [
            evalgauge,
            "gate",
            "--tier",
            "full",
            "--baseline",
            "base.json",
            "--junit",
            "junit.xml",
            "--markdown",
            "summary.md",
            "--json",
        ]
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            done = subprocess.run(gate, cwd=work, capture_output=True)
            times.append(time.perf_counter() - started)
            if done.returncode not in (0, 1):
                raise SystemExit(f"gate failed: {done.stderr.decode()}")
            report = json.loads(done.stdout)
            if len(report["outcomes"]) != 4:
                raise SystemExit(f"expected 4 rule outcomes, got {len(report['outcomes'])}")
    print(
        f"gate on {args.cases:,} cases with a baseline: median {median(times):.2f} s "
        f"(runs: {', '.join(f'{t:.2f}' for t in times)}); target < 2 s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
