"""A per-tool and per-category scorecard of scored tool-call cases.

Accuracy carries a 95% Wilson interval. Tool selection precision and recall compare, per
case, the multiset of tools called with the multiset expected. Argument accuracy per tool is
the share of its expected calls matched in full; per parameter, the share of expected calls
(with the right tool called) whose checks all pass on that parameter.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from evalgauge.scorers.toolcalls._bfcl_run import ScoredCase
from evalgauge.scorers.toolcalls._model import ErrorCategory
from evalgauge.stats import percentiles, wilson_interval

_FC_SUFFIX = "-FC"


def _rate(successes: int, n: int) -> dict[str, Any]:
    if n == 0:
        return {"n": 0, "passed": 0, "accuracy": None, "ci95": None}
    low, high = wilson_interval(successes, n)
    return {
        "n": n,
        "passed": successes,
        "accuracy": successes / n,
        "ci95": [round(low, 4), round(high, 4)],
    }


def build_scorecard(scored: list[ScoredCase], *, mode: str) -> dict[str, Any]:
    """Aggregate scored cases into a JSON-serializable scorecard."""
    by_category: dict[str, list[ScoredCase]] = defaultdict(list)
    for case in scored:
        by_category[case.category].append(case)
    checked = [case for case in scored if case.verdict is not None]
    return {
        "mode": mode,
        "overall": _rate(sum(c.passed for c in checked), len(scored)),
        "categories": {
            name: _rate(sum(c.passed for c in cases), len(cases))
            for name, cases in sorted(by_category.items())
        },
        "tools": _tools(checked),
        "errors": _errors(scored),
        "case_errors": [{"id": c.case_id, "error": c.error} for c in scored if c.error],
        "usage": _usage(scored),
    }


def _errors(scored: list[ScoredCase]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for case in scored:
        if case.error is not None:
            counts["case_error"] += 1
        elif case.verdict is not None and case.verdict.outcome.category is not None:
            counts[case.verdict.outcome.category.value] += 1
    return dict(counts.most_common())


def _tools(checked: list[ScoredCase]) -> dict[str, Any]:
    true_pos: Counter[str] = Counter()
    false_pos: Counter[str] = Counter()
    false_neg: Counter[str] = Counter()
    expected_calls: Counter[str] = Counter()
    matched_calls: Counter[str] = Counter()
    params_checked: dict[str, Counter[str]] = defaultdict(Counter)
    params_wrong: dict[str, Counter[str]] = defaultdict(Counter)
    for case in checked:
        verdict = case.verdict
        assert verdict is not None
        expected = Counter(
            c.tool for c in verdict.calls if c.tool is not None and not _is_extra(c.category)
        )
        produced = Counter(call.name for call in verdict.produced or ())
        for tool in expected.keys() | produced.keys():
            hits = min(expected[tool], produced[tool])
            true_pos[tool] += hits
            false_pos[tool] += produced[tool] - hits
            false_neg[tool] += expected[tool] - hits
        _count_arguments(case, expected_calls, matched_calls, params_checked, params_wrong)
    tools = {}
    for tool in sorted(true_pos.keys() | false_pos.keys() | false_neg.keys()):
        tp, fp, fn = true_pos[tool], false_pos[tool], false_neg[tool]
        tools[tool] = {
            "precision": tp / (tp + fp) if tp + fp else None,
            "recall": tp / (tp + fn) if tp + fn else None,
            "arguments": _rate(matched_calls[tool], expected_calls[tool]),
            "parameters": {
                param: _rate(n - params_wrong[tool][param], n)
                for param, n in sorted(params_checked[tool].items())
            },
        }
    return tools


def _is_extra(category: ErrorCategory | None) -> bool:
    return category is ErrorCategory.EXTRA_CALL


def _count_arguments(
    case: ScoredCase,
    expected_calls: Counter[str],
    matched_calls: Counter[str],
    params_checked: dict[str, Counter[str]],
    params_wrong: dict[str, Counter[str]],
) -> None:
    verdict = case.verdict
    assert verdict is not None
    produced_names = {call.name for call in verdict.produced or ()}
    for call in verdict.calls:
        if call.tool is None or _is_extra(call.category):
            continue
        expected_calls[call.tool] += 1
        matched_calls[call.tool] += call.passed
        # Parameters count only where the right tool was called.
        if call.tool not in produced_names:
            continue
        for param in call.extra.get("parameters", ()):
            params_checked[call.tool][param] += 1
        if not call.passed:
            failed = call.extra.get("failed_parameters") or [call.parameter]
            for param in failed:
                if param is not None:
                    params_wrong[call.tool][param] += 1


def _usage(scored: list[ScoredCase]) -> dict[str, Any]:
    results = [case.result for case in scored if case.result is not None]
    latencies = [r.latency_s for r in results if r.latency_s is not None]
    usage: dict[str, Any] = {
        "latency_s": percentiles(latencies, (50, 95)) if latencies else None,
        "input_tokens": sum(r.input_tokens or 0 for r in results),
        "output_tokens": sum(r.output_tokens or 0 for r in results),
        "cost_usd": None,
        "cost_note": "no results",
    }
    models = sorted({r.model for r in results})
    if models:
        usage["models"] = models
        usage["cost_usd"], usage["cost_note"] = _cost(results)
    return usage


def _cost(results: list[Any]) -> tuple[float | None, str]:
    from evalgauge.cost import PriceTable
    from evalgauge.models import Usage

    table = PriceTable()
    total = 0.0
    for result in results:
        # BFCL names function-calling runs `<model>-FC`; the price is the model's.
        model = result.model.removesuffix(_FC_SUFFIX)
        cost = table.cost(model, Usage(result.input_tokens, result.output_tokens))
        if not cost.priced or cost.total_usd is None:
            counted = result.input_tokens is not None or result.output_tokens is not None
            # With token counts, the price is what is missing: often the folder was not
            # named after the model.
            hint = "; pass the model's name with --model" if counted else ""
            return None, f"unpriced for model {model!r}: {cost.unpriced_reason}{hint}"
        total += cost.total_usd
    return total, "priced"
