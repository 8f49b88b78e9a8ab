"""Compare a suite's scorecard with its baseline: deltas, intervals, paired tests, regressions."""

from __future__ import annotations

from typing import Any

import numpy as np

from evalgauge.stats import align_cases, compare_binary, compare_numeric, compare_unpaired_rates


def compare_scorecards(
    current: dict[str, Any], baseline: dict[str, Any], *, confidence: float = 0.95
) -> tuple[list[dict[str, Any]], list[str]]:
    """Return one comparison per metric the two share, and the ids that went pass to fail.

    With per-case scores on both sides the comparison is paired (McNemar for pass/fail,
    a paired bootstrap for numeric scores); otherwise pass rates are compared as two
    independent samples.
    """
    comparisons: list[dict[str, Any]] = []
    regressed: list[str] = []
    base_metrics = {m["name"]: m for m in baseline.get("metrics", [])}
    for metric in current.get("metrics", []):
        name = metric["name"]
        base = base_metrics.get(name)
        if base is None or metric.get("mean") is None or base.get("mean") is None:
            continue
        paired = _paired(current, baseline, name, metric["kind"] == "binary", confidence)
        if paired is not None:
            entry, ids = paired
            regressed.extend(ids)
        elif metric["kind"] == "binary":
            entry = _unpaired(metric, base, confidence)
        else:
            entry = {"test": "none", "p_value": None, "ci_low": None, "ci_high": None}
        entry = {
            "metric": name,
            "baseline": base["mean"],
            "candidate": metric["mean"],
            "delta": metric["mean"] - base["mean"],
        } | entry
        comparisons.append(entry)
    return comparisons, regressed


def _case_scores(scorecard: dict[str, Any], name: str) -> tuple[Any, Any] | None:
    cases = scorecard.get("case_scores")
    if not isinstance(cases, dict) or name not in cases.get("scores", {}):
        return None
    values = np.array([np.nan if v is None else v for v in cases["scores"][name]], dtype=np.float64)
    return np.array(cases["ids"], dtype=object), values


def _paired(
    current: dict[str, Any],
    baseline: dict[str, Any],
    name: str,
    binary: bool,
    confidence: float,
) -> tuple[dict[str, Any], list[str]] | None:
    cand = _case_scores(current, name)
    base = _case_scores(baseline, name)
    if cand is None or base is None:
        return None
    aligned = align_cases(base[0], base[1], cand[0], cand[1])
    if aligned.n == 0:
        return None
    common = {
        "paired_cases": aligned.n,
        "only_in_baseline": aligned.only_in_base,
        "only_in_candidate": aligned.only_in_candidate,
    }
    if binary:
        result = compare_binary(aligned.base >= 0.5, aligned.cand >= 0.5, confidence=confidence)
        ids = aligned.ids[result.regressed_indices].tolist()
        return common | {
            "ci_low": result.ci_low,
            "ci_high": result.ci_high,
            "test": f"mcnemar-{result.test}",
            "p_value": result.p_value,
            "pass_to_fail": result.b,
            "fail_to_pass": result.c,
        }, ids
    numeric = compare_numeric(aligned.base, aligned.cand, confidence=confidence)
    return common | {
        "ci_low": numeric.ci_low,
        "ci_high": numeric.ci_high,
        "test": "wilcoxon",
        "p_value": numeric.wilcoxon_p,
    }, []


def _unpaired(metric: dict[str, Any], base: dict[str, Any], confidence: float) -> dict[str, Any]:
    cand_n, base_n = int(metric["scored"]), int(base["scored"])
    result = compare_unpaired_rates(
        round(base["mean"] * base_n),
        base_n,
        round(metric["mean"] * cand_n),
        cand_n,
        confidence=confidence,
    )
    return {
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
        "test": "unpaired",
        "p_value": result.p_value,
    }
