"""The format constraint's own score: the same cases under several output formats, compared.

Each variant (JSON mode, a schema-constrained request, free text) is scored on its own.
Then every pair of variants is compared on the cases that both have outputs for, paired by
case id. Pass/fail metrics are compared with `evalgauge.stats.compare_binary` (Newcombe's
paired interval and McNemar's test). Field accuracy is compared with `compare_numeric` (a
paired bootstrap interval and the Wilcoxon signed-rank test).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

from evalgauge.errors import UsageError
from evalgauge.scorers.structured._evaluate import StructuredEvaluator
from evalgauge.scorers.structured._files import DEFAULT_FIELDS, Fields, SetRun, score_file

BINARY_METRICS = ("parsed", "strict", "valid", "exact")
NUMERIC_METRICS = ("accuracy",)


@dataclass(frozen=True, slots=True)
class Variant:
    """One output format's file of outputs, named for the report (`json_mode`, `free_text`)."""

    name: str
    path: Path


def parse_variant(text: str) -> Variant:
    """Read `NAME=FILE` as given to `--variant`."""
    name, sep, path = text.partition("=")
    if not sep or not name.strip() or not path.strip():
        raise UsageError(
            f"invalid --variant {text!r}; write it as NAME=FILE, e.g. json_mode=a.jsonl"
        )
    return Variant(name.strip(), Path(path.strip()))


def compare_variants(
    variants: list[Variant],
    evaluator: StructuredEvaluator,
    gold: dict[str, Any],
    *,
    fields: Fields = DEFAULT_FIELDS,
    confidence: float = 0.95,
    workers: int | None = None,
) -> dict[str, Any]:
    """Score each variant and compare every pair on the case ids that both contain."""
    names = [variant.name for variant in variants]
    if len(variants) < 2:
        raise UsageError("compare needs at least two variants; pass --variant NAME=FILE twice")
    if len(set(names)) != len(names):
        raise UsageError(f"variant names must differ, got {', '.join(names)}")
    runs = {
        v.name: score_file(v.path, evaluator, gold, fields=fields, workers=workers)
        for v in variants
    }
    _check_shared_ids(variants, runs)
    report: dict[str, Any] = {
        "variants": {
            name: run.accumulator.summary(
                evaluator.plan,
                schema=evaluator.schema is not None,
                gold_without_output=run.gold_without_output,
            )
            | {"file": str(variant.path)}
            for (name, run), variant in zip(runs.items(), variants, strict=True)
        },
        "comparisons": [
            _compare_pair(base, cand, runs[base], runs[cand], confidence)
            for base, cand in combinations(names, 2)
        ],
    }
    return report


def _check_shared_ids(variants: list[Variant], runs: dict[str, SetRun]) -> None:
    """Raise UsageError for a pair of variants with no case id in common."""
    for base, cand in combinations(variants, 2):
        if set(runs[base.name].accumulator.ids).isdisjoint(runs[cand.name].accumulator.ids):
            raise UsageError(
                f"variants {base.name!r} ({base.path}) and {cand.name!r} ({cand.path}) have no "
                "case id in common, so no case can be paired. Pass outputs of the same cases, "
                "and check that --id-field names the id field of both files."
            )


def _compare_pair(
    base: str, cand: str, base_run: SetRun, cand_run: SetRun, confidence: float
) -> dict[str, Any]:
    import numpy as np

    from evalgauge.stats import align_cases, compare_binary, compare_numeric

    metrics: dict[str, Any] = {}
    paired = 0
    for metric in (*BINARY_METRICS, *NUMERIC_METRICS):
        aligned = align_cases(
            base_run.accumulator.ids,
            np.asarray(base_run.accumulator.scores[metric], dtype=np.float64),
            cand_run.accumulator.ids,
            np.asarray(cand_run.accumulator.scores[metric], dtype=np.float64),
        )
        paired = max(paired, aligned.n)
        if aligned.n == 0:
            metrics[metric] = None
            continue
        if metric in BINARY_METRICS:
            result = compare_binary(
                aligned.base.astype(np.int8), aligned.cand.astype(np.int8), confidence=confidence
            )
            metrics[metric] = {
                "n": result.n,
                "base": result.base_rate,
                "cand": result.cand_rate,
                "delta": result.delta,
                "ci": [result.ci_low, result.ci_high],
                "ci_method": result.ci_method,
                "p_value": result.p_value,
                "test": f"mcnemar-{result.test}",
                "worse": result.b,
                "better": result.c,
            }
        else:
            numeric = compare_numeric(aligned.base, aligned.cand, confidence=confidence)
            metrics[metric] = {
                "n": numeric.n,
                "base": numeric.base_mean,
                "cand": numeric.cand_mean,
                "delta": numeric.delta,
                "ci": [numeric.ci_low, numeric.ci_high],
                "ci_method": numeric.ci_method,
                "p_value": numeric.wilcoxon_p,
                "test": "wilcoxon",
            }
    return {
        "base": base,
        "candidate": cand,
        "paired_cases": paired,
        "confidence": confidence,
        "metrics": metrics,
    }
