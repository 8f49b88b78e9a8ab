"""Regenerate tests/sql/data/tse_reference_verdicts.json from a test-suite-sql-eval checkout.

Run it with a Python that has the checkout's own dependencies (sqlparse, tqdm):

    python scripts/tse_reference_verdicts.py /path/to/test-suite-sql-eval \
        --spider ../shared/data/spider-dev \
        --pred ../shared/data/spider-dev/predictions/c3sql_gpt-3.5-turbo_dev_predicted_sql.txt
    python scripts/tse_reference_verdicts.py /path/to/test-suite-sql-eval \
        --spider ../shared/data/spider-dev --perturbed \
        --out tests/sql/data/tse_reference_verdicts_perturbed.json

For every question whose database exists, it calls the checkout's `exec_eval.eval_exec_match`
with the defaults of its `evaluation.py` (no value plugging, DISTINCT removed). The lines are
handled as `evaluation.py` does: both are stripped and split at tabs, and "value" is replaced
by "1" in the prediction. The databases are copied to a temporary folder first, because the
reference opens them writable.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "tests" / "sql" / "data" / "tse_reference_verdicts.json"


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path, help="test-suite-sql-eval checkout folder")
    parser.add_argument("--spider", type=Path, required=True, help="Spider dev folder")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--pred", type=Path, help="predictions, one per line")
    source.add_argument(
        "--perturbed",
        action="store_true",
        help="score edits of the gold queries (scripts/spider_perturbations.py) instead",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="verdict file to write")
    parser.add_argument(
        "--in-place",
        action="store_true",
        help="use the databases where they are, without a copy (benchmarks on a copy)",
    )
    return parser.parse_args()


def _checkout_commit(checkout: Path) -> str | None:
    try:
        found = subprocess.run(
            ["git", "-C", str(checkout), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return found.stdout.strip()


def reference_verdicts(
    checkout: Path, spider: Path, pred_lines: list[str], *, in_place: bool = False
) -> tuple[list[dict[str, Any]], float]:
    """Score every question with a database through the checkout's exec match."""
    sys.path.insert(0, str(checkout.resolve()))
    from exec_eval import eval_exec_match  # type: ignore[import-not-found]

    gold_lines = (spider / "dev_gold.sql").read_text(encoding="utf-8").splitlines()
    records: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="tse-ref-") as tmp:
        db_root = spider / "database"
        if not in_place:
            db_root = Path(tmp) / "database"
            shutil.copytree(spider / "database", db_root)
        started = time.perf_counter()
        for index, (gold_line, pred_line) in enumerate(zip(gold_lines, pred_lines, strict=True)):
            gold_sql, db_id = gold_line.strip().split("\t")
            pred_sql = pred_line.strip().split("\t")[0].replace("value", "1")
            db_path = db_root / db_id / f"{db_id}.sqlite"
            if not db_path.exists():
                continue
            record: dict[str, Any] = {"index": index, "db_id": db_id}
            try:
                record["verdict"] = int(
                    eval_exec_match(
                        db=str(db_path),
                        p_str=pred_sql,
                        g_str=gold_sql,
                        plug_value=False,
                        keep_distinct=False,
                        progress_bar_for_each_datapoint=False,
                    )
                )
            except Exception as exc:  # the reference raises on gold errors and empty input
                record["verdict"] = None
                record["reference_error"] = f"{type(exc).__name__}: {exc}"
            records.append(record)
        elapsed = time.perf_counter() - started
    return records, elapsed


def _render(document: dict[str, Any]) -> str:
    """Render the document as JSON with one verdict per line, so diffs stay readable."""
    head = {key: value for key, value in document.items() if key != "verdicts"}
    lines = [json.dumps(head, indent=1)[:-2] + ',\n "verdicts": [']
    rows = [" " + json.dumps(record) for record in document["verdicts"]]
    lines.append(",\n".join(rows))
    lines.append("]}")
    return "\n".join(lines) + "\n"


def main() -> None:
    args = _parse_args()
    if args.perturbed:
        from spider_perturbations import perturb

        gold_lines = (args.spider / "dev_gold.sql").read_text(encoding="utf-8").splitlines()
        pred_lines = [perturb(i, line.split("\t")[0]) for i, line in enumerate(gold_lines)]
        pred_name = "perturbed gold (scripts/spider_perturbations.py)"
        pred_argument = "--perturbed"
    else:
        pred_lines = args.pred.read_text(encoding="utf-8").splitlines()
        pred_name = args.pred.name
        pred_argument = f"--pred SPIDER_DEV/predictions/{args.pred.name}"
    records, elapsed = reference_verdicts(
        args.checkout, args.spider, pred_lines, in_place=args.in_place
    )
    document = {
        "reference": "taoyds/test-suite-sql-eval",
        "commit": _checkout_commit(args.checkout),
        "function": "exec_eval.eval_exec_match(plug_value=False, keep_distinct=False)",
        "command": "python scripts/tse_reference_verdicts.py CHECKOUT --spider SPIDER_DEV "
        f"{pred_argument} --out {args.out.name}",
        "predictions": pred_name,
        "questions": len(records),
        "matches": sum(1 for record in records if record["verdict"] == 1),
        "verdicts": records,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(_render(document), encoding="utf-8")
    print(f"{len(records)} verdicts, {document['matches']} matches, {elapsed:.1f} s -> {args.out}")


if __name__ == "__main__":
    main()
