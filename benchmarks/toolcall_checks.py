"""Time the schema, sequence and state checks of tool calls, in µs per case, in this process.

Schema check: every BFCL v4 case with a possible answer (shared data), its expected calls
written as OpenAI `tool_calls` JSON, once as given and once with one argument's type broken.
Each case's function docs are loaded and their validators compiled before timing ("warm"),
as a run does once per distinct tool list; the cold figure times that loading itself, on the
first 200 cases. Each figure is the fastest of several passes, the one least disturbed by
other work on the machine. Side by
side, in the same repeat, it times two peers on the same calls: `json.loads` plus a bare
jsonschema `Draft202012Validator.is_valid`, and `json.loads` plus fastjsonschema's compiled
validator. Sequence and state checks run on the orders example's cases.

    .venv/bin/python benchmarks/toolcall_checks.py --repeat 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator

sys.path.insert(0, str(Path(__file__).parent))
from _harness import REPO_ROOT, BenchmarkError, machine_facts, print_facts

sys.path.insert(0, str(REPO_ROOT))
from tests.toolcalls._bfcl_answers import answer_arguments

from evalgauge.cases import Case
from evalgauge.scorers.toolcalls import _dialect
from evalgauge.scorers.toolcalls._check_scorers import ToolStateScorer
from evalgauge.scorers.toolcalls._decode import decode_output
from evalgauge.scorers.toolcalls._dialect import tool_json_schema
from evalgauge.scorers.toolcalls._model import ToolSpec
from evalgauge.scorers.toolcalls._schema_check import SchemaChecker, ValidatorCache
from evalgauge.scorers.toolcalls._sequence import check_sequence, parse_expectation
from evalgauge.scorers.toolcalls._specs import specs_from_definitions
from evalgauge.scorers.toolcalls._state import PythonClassBackend

DATA = Path(os.environ.get("EVALGAUGE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
BFCL = DATA / "bfcl-v4"
ORDERS = REPO_ROOT / "examples" / "orders_service"
TARGET_US = 50.0
PASSES = 5
COLD_CASES = 200


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _tool_calls(calls: list[tuple[str, dict[str, Any]]]) -> str:
    return json.dumps(
        [
            {"type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}
            for name, arguments in calls
        ]
    )


def _broken(arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments with the first one's value wrapped in a list, a type error for scalars."""
    if not arguments:
        return {"unexpected": 1}
    key = next(iter(arguments))
    return {**arguments, key: [arguments[key], {"x": 1}]}


def bfcl_cases() -> list[tuple[list[ToolSpec], str]]:
    """(specs, output) pairs: each BFCL answer as given, then with a broken argument."""
    if not BFCL.is_dir():
        raise BenchmarkError(f"{BFCL} not found; set EVALGAUGE_SHARED_DATA to the shared data")
    cases = []
    for answers_path in sorted((BFCL / "possible_answer").glob("*.json")):
        questions = {e["id"]: e for e in _jsonl(BFCL / "question" / answers_path.name)}
        for entry in _jsonl(answers_path):
            specs = specs_from_definitions(questions[entry["id"]]["function"], origin=entry["id"])
            calls = [
                (name, answer_arguments(params))
                for expected in entry["ground_truth"]
                for name, params in expected.items()
            ]
            cases.append((specs, _tool_calls(calls)))
            cases.append((specs, _tool_calls([(n, _broken(a)) for n, a in calls])))
    return cases


def _per_case_us(cases: list[Any], check: Callable[[Any], Any], passes: int = PASSES) -> float:
    """The fastest of `passes` passes over the cases, in µs per case.

    The minimum is the figure least disturbed by other work on a shared machine.
    """
    best = float("inf")
    for _ in range(passes):
        start = time.perf_counter()
        for case in cases:
            check(case)
        best = min(best, time.perf_counter() - start)
    return best / len(cases) * 1e6


def schema_sides(cases: list[tuple[list[ToolSpec], str]]) -> dict[str, Callable[[], float]]:
    valid_cases = cases[0::2]
    warm = [(SchemaChecker(specs), output) for specs, output in cases]
    plain = []
    fast = []
    for specs, output in valid_cases:
        schemas = {s.name: tool_json_schema(s) for s in specs}
        plain.append(({n: Draft202012Validator(s) for n, s in schemas.items()}, output))
        fast.append(
            (
                {
                    n: fastjsonschema.compile(_draft7(s), use_default=False)
                    for n, s in schemas.items()
                },
                output,
            )
        )

    def evalgauge_warm(item: tuple[SchemaChecker, str]) -> int:
        checker, output = item
        decoded = decode_output(output)
        assert decoded.calls is not None
        return sum(len(checker.check_call(call)) for call in decoded.calls)

    def jsonschema_peer(item: tuple[dict[str, Any], str]) -> int:
        validators, output = item
        calls = json.loads(output)
        return sum(
            validators[c["function"]["name"]].is_valid(json.loads(c["function"]["arguments"]))
            for c in calls
        )

    def fastjsonschema_peer(item: tuple[dict[str, Any], str]) -> int:
        validators, output = item
        valid = 0
        for c in json.loads(output):
            try:
                validators[c["function"]["name"]](json.loads(c["function"]["arguments"]))
                valid += 1
            except fastjsonschema.JsonSchemaValueException:
                pass  # BFCL's few inconsistent answers
        return valid

    def evalgauge_cold(item: tuple[list[ToolSpec], str]) -> int:
        specs, output = item
        definitions = [{"name": s.name, "parameters": s.parameters} for s in specs]
        checker = SchemaChecker(
            specs_from_definitions(definitions, origin="bench"), cache=ValidatorCache()
        )
        decoded = decode_output(output)
        assert decoded.calls is not None
        return sum(len(checker.check_call(call)) for call in decoded.calls)

    def cold() -> float:
        best = float("inf")
        for _ in range(3):
            _dialect._VALID_SCHEMAS.clear()  # time the meta-schema check too
            best = min(best, _per_case_us(valid_cases[:COLD_CASES], evalgauge_cold, passes=1))
        return best

    return {
        "evalgauge decode+schema check, valid (warm)": lambda: _per_case_us(
            warm[0::2], evalgauge_warm
        ),
        "peer json.loads+jsonschema is_valid, valid": lambda: _per_case_us(plain, jsonschema_peer),
        "peer json.loads+fastjsonschema, valid": lambda: _per_case_us(fast, fastjsonschema_peer),
        "evalgauge decode+schema check, broken (warm)": lambda: _per_case_us(
            warm[1::2], evalgauge_warm
        ),
        "evalgauge load definitions+check, valid (cold)": cold,
    }


def _draft7(schema: dict[str, Any]) -> dict[str, Any]:
    # fastjsonschema implements drafts 4, 6 and 7; BFCL's translated schemas use no 2020-12-only
    # keyword, so they mean the same under draft 7.
    return {k: v for k, v in schema.items() if k != "$schema"}


def orders_sides() -> dict[str, Callable[[], float]]:
    rows = _jsonl(ORDERS / "cases.jsonl")
    expectations = [(parse_expectation(r["expected"]["calls"]), r["output"]) for r in rows]
    scorer = ToolStateScorer(PythonClassBackend(f"{ORDERS / 'backend.py'}:OrdersBackend"))
    cases = [(Case(r["id"], {}, None, None, r["expected"]), r["output"]) for r in rows]

    def sequence(item: tuple[Any, str]) -> bool:
        expectation, output = item
        decoded = decode_output(output)
        assert decoded.calls is not None
        return check_sequence(list(decoded.calls), expectation).passed

    async def state_all() -> None:
        for case, output in cases:
            await scorer.score(case, output)

    def state() -> float:
        start = time.perf_counter()
        asyncio.run(state_all())
        return (time.perf_counter() - start) / len(cases) * 1e6

    return {
        "evalgauge decode+sequence check (orders)": lambda: _per_case_us(expectations, sequence),
        "evalgauge state check, Python class (orders)": state,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="repeats; medians are reported")
    parser.add_argument("--json-out", type=Path, help="write every raw figure to this file")
    args = parser.parse_args()
    print_facts(machine_facts(Path(sys.executable)))
    cases = bfcl_cases()
    sides = {**schema_sides(cases), **orders_sides()}
    names = list(sides)
    figures: dict[str, list[float]] = {name: [] for name in names}
    ratios: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(args.repeat):
        order = names[repeat % len(names) :] + names[: repeat % len(names)]
        measured = {name: sides[name]() for name in order}
        for name in names:
            figures[name].append(measured[name])
        for name in names[1:3]:
            ratios[name].append(measured[names[0]] / measured[name])
    print(f"BFCL cases: {len(cases) // 2}, each valid and with one argument's type broken")
    for name in names:
        print(f"{name:48s} {median(figures[name]):9.1f} µs/case")
    for name in names[1:3]:
        print(f"time of evalgauge warm (valid) / {name}: {median(ratios[name]):.2f}")
    for name in (names[0], names[3]):
        figure = median(figures[name])
        verdict = "within" if figure <= TARGET_US else "over"
        print(f"{name}: {figure:.1f} µs/case, {verdict} the {TARGET_US:.0f} µs target")
    if args.json_out:
        args.json_out.write_text(json.dumps({"figures": figures, "ratios": ratios}, indent=2))


if __name__ == "__main__":
    main()
