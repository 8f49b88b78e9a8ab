"""Structured-output scoring of 100,000 records: parse, schema and fields, as a whole process.

It writes 100,000 invoice extractions and their gold records into a temporary directory,
with the generator of examples/structured and its JSON-mode or free-text mistake rates. Then
it times `evalgauge structured eval` as a child process with the example's
JSON Schema and field config, once on one process and once with the default worker pool.
Side by side it times the closest peer that runs here: a plain loop of `json.loads`,
jsonschema's Draft202012Validator and an exact comparison of flattened fields, with no
repair. It also times each stage in this process, in µs per record. Run from the repository
root:

    .venv/bin/python benchmarks/structured_100k.py --repeat 3
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _harness import REPO_ROOT, ChildRun, require_success, run_child

EXAMPLES = REPO_ROOT / "examples" / "structured"
SCHEMA = EXAMPLES / "invoice.schema.json"
FIELDS = EXAMPLES / "fields.yaml"
EVALGAUGE = REPO_ROOT / ".venv" / "bin" / "evalgauge"
TARGET_PER_S = 20_000

PEER = """
import json, sys
from jsonschema import Draft202012Validator

def flatten(value, path=""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from flatten(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from flatten(item, f"{path}[{index}]")
    else:
        yield path, value

outputs, gold_path, schema_path = sys.argv[1:4]
schema = json.load(open(schema_path))
validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
gold = {}
for line in open(gold_path):
    row = json.loads(line)
    gold[row["id"]] = row["expected"]
parsed = valid = exact = 0
for line in open(outputs):
    row = json.loads(line)
    try:
        value = json.loads(row["output"])
    except ValueError:
        continue
    parsed += 1
    errors = list(validator.iter_errors(value))
    valid += not errors
    expected = dict(flatten(gold[row["id"]]))
    actual = dict(flatten(value))
    exact += sum(actual.get(k) == v for k, v in expected.items()) == len(expected)
print(json.dumps({"parsed": parsed, "valid": valid, "exact": exact}))
"""


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_examples", EXAMPLES / "make_examples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_records(directory: Path, n: int, variant: str) -> tuple[Path, Path]:
    """Write `n` gold records and one output each, with the variant's mistake rates."""
    make = _generator()
    rng = random.Random(make.SEED)
    rates = make.MISTAKES[variant]
    gold_path, outputs_path = directory / "gold.jsonl", directory / f"{variant}.jsonl"
    with gold_path.open("w", encoding="utf-8") as gold, outputs_path.open("w") as outputs:
        for index in range(1, n + 1):
            invoice = make.make_invoice(rng, index)
            case_id = f"c{index}"
            gold.write(json.dumps({"id": case_id, "expected": invoice}) + "\n")
            value, made = make.mistaken(rng, invoice, rates)
            output = make.render(rng, value, made)
            outputs.write(json.dumps({"id": case_id, "output": output}) + "\n")
    return gold_path, outputs_path


def time_evalgauge(outputs: Path, gold: Path, workers: int | None) -> tuple[ChildRun, Any]:
    argv = [str(EVALGAUGE), "structured", "eval", "--outputs", str(outputs), "--gold", str(gold)]
    argv += ["--schema", str(SCHEMA), "--fields", str(FIELDS), "--json"]
    if workers is not None:
        argv += ["--workers", str(workers)]
    run = run_child(argv, cwd=REPO_ROOT)
    require_success(run, "evalgauge structured eval")
    return run, json.loads(run.stdout)


def time_peer(outputs: Path, gold: Path, directory: Path) -> ChildRun:
    script = directory / "peer.py"
    script.write_text(PEER, encoding="utf-8")
    run = run_child(
        [sys.executable, str(script), str(outputs), str(gold), str(SCHEMA)], cwd=REPO_ROOT
    )
    require_success(run, "peer loop")
    return run


def stage_costs(outputs: Path, gold_path: Path, limit: int) -> dict[str, float]:
    """Time parse, schema and fields in this process on the first `limit` records, µs each."""
    from evalgauge.scorers.structured import (
        build_schema_check,
        load_field_config,
        parse_json,
    )
    from evalgauge.scorers.structured._fields import FieldPlan

    rows = [json.loads(line) for line in outputs.read_text().splitlines()[:limit]]
    gold = {}
    for line in gold_path.read_text().splitlines()[:limit]:
        row = json.loads(line)
        gold[row["id"]] = row["expected"]
    check = build_schema_check(SCHEMA)
    assert check is not None
    plan = FieldPlan(load_field_config(FIELDS))

    # The CLI raises the collector's thresholds and freezes start-up objects. Do the same,
    # so that collections over the loaded records do not dominate the per-stage figures.
    gc.collect()
    gc.freeze()
    # Warm up: the first repair imports json_repair, the first date comparison dateutil.
    parse_json('{"a": "b')
    plan.compare({"d": "2026-01-02"}, {"d": "01/02/2026"})
    started = time.perf_counter()
    parsed = [parse_json(row["output"]) for row in rows]
    parse_s = time.perf_counter() - started
    values = [
        (row["id"], result.value) for row, result in zip(rows, parsed, strict=True) if result.ok
    ]
    started = time.perf_counter()
    for _, value in values:
        check.violations(value, 1)
    schema_s = time.perf_counter() - started
    started = time.perf_counter()
    for _, value in values:
        check.violations(value, 10)
    schema_all_s = time.perf_counter() - started
    started = time.perf_counter()
    for case_id, value in values:
        plan.compare(gold[case_id], value)
    fields_s = time.perf_counter() - started
    strict = [row for row, result in zip(rows, parsed, strict=True) if result.strict]
    started = time.perf_counter()
    for row in strict:
        parse_json(row["output"])
    strict_s = time.perf_counter() - started
    return {
        "parse, all": 1e6 * parse_s / len(rows),
        "parse, strict only": 1e6 * strict_s / max(len(strict), 1),
        "schema, first violation": 1e6 * schema_s / len(values),
        "schema, up to 10 violations": 1e6 * schema_all_s / len(values),
        "fields": 1e6 * fields_s / len(values),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--variant", choices=["json_mode", "free_text"], default="json_mode")
    args = parser.parse_args()

    names = ("evalgauge, 1 process", "evalgauge, pool", "peer")
    walls: dict[str, list[float]] = {name: [] for name in names}
    cpus: dict[str, list[float]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        gold, outputs = write_records(directory, args.records, args.variant)
        report: Any = None
        for _ in range(args.repeat):
            single, report = time_evalgauge(outputs, gold, workers=1)
            pooled, pooled_report = time_evalgauge(outputs, gold, workers=None)
            if pooled_report != report:
                raise SystemExit("the pooled report differs from the single-process one")
            peer = time_peer(outputs, gold, directory)
            for name, run in zip(names, (single, pooled, peer), strict=True):
                walls[name].append(run.wall_s)
                cpus[name].append(run.cpu_s)
        stages = stage_costs(outputs, gold, min(args.records, 20_000))

    n = args.records
    parse = report["parse"]
    print(f"{n:,} records, variant {args.variant}, median of {args.repeat}")
    print(f"strict {parse['strict_rate']:.3f}, parsed {parse['parsed_rate']:.3f}")
    print("| tool | wall s | records/s | vs peer | CPU s | CPU µs/record |")
    print("|---|---|---|---|---|---|")
    peer_wall = median(walls["peer"])
    for name in names:
        wall, cpu = median(walls[name]), median(cpus[name])
        print(
            f"| {name} | {wall:.2f} | {n / wall:,.0f} | {peer_wall / wall:.2f}x | {cpu:.2f} "
            f"| {1e6 * cpu / n:.0f} |"
        )
    print("per repeat:", {name: [round(v, 2) for v in values] for name, values in walls.items()})
    print("| stage | µs/record |")
    print("|---|---|")
    for stage, micros in stages.items():
        print(f"| {stage} | {micros:.1f} |")
    best = n / min(median(walls[names[0]]), median(walls[names[1]]))
    verdict = "met" if best >= TARGET_PER_S else "not met"
    print(f"target {TARGET_PER_S:,} records/s whole process: {verdict} ({best:,.0f}/s)")


if __name__ == "__main__":
    main()
