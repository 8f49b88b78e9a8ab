"""Time decode + check of the 2,480 BFCL v1 outputs (1,240 per model, two models): evalgauge's
`bfcl` and `default` modes, `default` plus the JSON Schema check of every call, and
bfcl-eval 2026.3.23's own decoder and `ast_checker`, in one run.

Questions are compiled once before timing (evalgauge), and the v1-to-v4 adaptation is done
once before timing (reference), so both sides time only decoding and checking. One untimed
run of each evalgauge side loads lazy imports and caches first. Each repeat times every side
once, in an order rotated per repeat. The ratio is the median of the per-repeat ratios to the
reference; µs/case is the median run, and `min` the fastest run, which background load
disturbs least.

The reference runs in a child process of the virtualenv that the conformance test creates
at `.evalgauge-cache/bfcl-venv`, so run `.venv/bin/pytest
tests/toolcalls/test_bfcl_conformance.py` once first. The script stops before printing
figures if evalgauge's `bfcl` verdicts differ from the reference's.

Run from the repository root:

    .venv/bin/python benchmarks/toolcalls_bfcl.py --repeat 11
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _harness import REPO_ROOT, BenchmarkError, machine_facts, median, print_facts
from evalgauge.scorers.toolcalls._ast_check import check_case
from evalgauge.scorers.toolcalls._bfcl_data import (
    BfclResult,
    load_answers,
    load_questions,
    load_results,
)
from evalgauge.scorers.toolcalls._bfcl_run import compile_question, decode_result, is_fc_model
from evalgauge.scorers.toolcalls._expected import ExpectedCase
from evalgauge.scorers.toolcalls._model import ToolSpec

V1 = (
    Path(os.environ.get("EVALGAUGE_SHARED_DATA") or REPO_ROOT.parent / "shared" / "data")
    / "bfcl-v1-model-outputs"
)
VENV_PYTHON = REPO_ROOT / ".evalgauge-cache" / "bfcl-venv" / "bin" / "python"
REFERENCE = REPO_ROOT / "tests" / "toolcalls" / "_bfcl_reference.py"

REFERENCE_NAME = "bfcl-eval 2026.3.23 (decode + ast_checker)"

Job = tuple[ExpectedCase, BfclResult, Any]


def _jobs() -> tuple[list[Job], float]:
    """Load every result with its compiled question and schema checker; time the compiling."""
    questions = load_questions(V1 / "question")
    answers = load_answers(V1 / "possible_answer")
    jobs = []
    compile_s = 0.0
    for model_dir in sorted((V1 / "result").iterdir()):
        for result in load_results(model_dir).values():
            question = questions[result.case_id]
            fc = is_fc_model(result.model)
            started = time.perf_counter()
            case = compile_question(question, answers.get(result.case_id), underscore_to_dot=fc)
            compile_s += time.perf_counter() - started
            jobs.append((case, result, _schema_checker(case, fc)))
    return jobs, compile_s


def _schema_checker(case: ExpectedCase, fc: bool) -> Any:
    try:
        from evalgauge.scorers.toolcalls._schema_check import SchemaChecker
    except ImportError:
        return None
    specs = []
    for spec in case.tools:
        name = spec.name.replace(".", "_") if fc else spec.name
        specs.append(ToolSpec(name, spec.parameters, spec.description, "bfcl"))
    return SchemaChecker(specs)


def _run(jobs: list[Job], mode: str, schema: bool) -> list[bool]:
    verdicts = []
    for case, result, checker in jobs:
        decoded = decode_result(result.result, model=result.model, mode=mode)  # type: ignore[arg-type]
        verdict = check_case(case, decoded, mode=mode)  # type: ignore[arg-type]
        if schema and checker is not None and decoded.calls:
            checker.check_calls(decoded.calls)
        verdicts.append(verdict.passed)
    return verdicts


def _reference(repeat: int) -> tuple[dict[str, Any], list[float]]:
    if not VENV_PYTHON.exists():
        raise BenchmarkError(
            f"{VENV_PYTHON} not found; run .venv/bin/pytest"
            " tests/toolcalls/test_bfcl_conformance.py once to install bfcl-eval there"
        )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "verdicts.json"
        argv = [str(VENV_PYTHON), str(REFERENCE), str(V1), str(out), str(repeat)]
        subprocess.run(argv, check=True, timeout=600)
        verdicts: dict[str, Any] = json.loads(out.read_text())
    return verdicts, verdicts.pop("_seconds", [])


def _timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    jobs, compile_s = _jobs()
    # As `evalgauge`'s entry point does: loaded objects leave the collector's generations.
    gc.freeze()
    reference, _ = _reference(0)
    ours = _run(jobs, "bfcl", schema=False)
    for (case, result, _), passed in zip(jobs, ours, strict=True):
        if reference[result.model][case.case_id]["valid"] != passed:
            raise BenchmarkError(f"{result.model} {case.case_id}: verdict differs from bfcl-eval")

    has_schema = jobs[0][2] is not None
    sides: dict[str, Callable[[], float]] = {
        REFERENCE_NAME: lambda: _reference(1)[1][0],
        "evalgauge bfcl": lambda: _timed(lambda: _run(jobs, "bfcl", False)),
        "evalgauge default": lambda: _timed(lambda: _run(jobs, "default", False)),
    }
    if has_schema:
        sides["evalgauge default + schema check"] = lambda: _timed(
            lambda: _run(jobs, "default", True)
        )
    for name, side in sides.items():
        if name != REFERENCE_NAME:
            side()  # untimed warm-up: lazy imports (scipy for matching) and caches
    seconds: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    for repeat in range(args.repeat):
        # Rotate the order each repeat, so background load hits every side alike.
        for name in names[repeat % len(names) :] + names[: repeat % len(names)]:
            seconds[name].append(sides[name]())

    print_facts(machine_facts(Path(sys.executable)))
    n = len(jobs)
    print(f"cases: {n}; compiling the questions once took {compile_s * 1e3:.0f} ms (untimed)")
    if not has_schema:
        print("_schema_check.py not found: no schema-check row")
    print(f"{'':44} {'us/case':>8} {'min':>6} {'set ms':>7} {'ratio':>6}  runs (ms)")
    for name, runs in seconds.items():
        ratios = [ours / theirs for ours, theirs in zip(runs, seconds[REFERENCE_NAME], strict=True)]
        runs_ms = ", ".join(f"{run * 1e3:.0f}" for run in runs)
        per_case = median(runs) / n * 1e6
        fastest = min(runs) / n * 1e6
        print(
            f"{name:44} {per_case:8.1f} {fastest:6.1f} {median(runs) * 1e3:7.1f}"
            f" {median(ratios):6.2f}  {runs_ms}"
        )


if __name__ == "__main__":
    main()
