"""Per-tool and per-category breakdowns, read from the structured details of scores.

Tool-call scorers store each call's tool and verdict in `details.calls` and the failure
categories in `details.categories` (or per call, as `category`). This adds them up per scorer,
so a run's scorecard shows tool-selection and argument quality per tool next to latency and
cost. Scorers that store no details add nothing.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import orjson

_DETAILS_SQL = (
    "SELECT s.name, c.details_json FROM scores c JOIN run_scorers s "
    "ON s.scorer_id = c.scorer_id WHERE c.run_id = {mark} AND c.details_json IS NOT NULL"
)


class _Tally:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.passed: Counter[str] = Counter()
        self.categories: Counter[str] = Counter()

    def add(self, details: dict[str, Any]) -> None:
        calls = details.get("calls")
        per_call_categories: Counter[str] = Counter()
        if isinstance(calls, list):
            for call in calls:
                if not isinstance(call, dict):
                    continue
                tool = call.get("tool") or call.get("name")
                passed = call.get("passed")
                # A sequence or state check judges the case, not each call, so its calls
                # carry no verdict and do not count per tool.
                if isinstance(tool, str) and isinstance(passed, bool):
                    self.calls[tool] += 1
                    self.passed[tool] += passed
                category = call.get("category")
                if isinstance(category, str):
                    per_call_categories[category] += 1
        categories = details.get("categories")
        if isinstance(categories, dict):
            for name, count in categories.items():
                if isinstance(count, int):
                    self.categories[str(name)] += count
        else:
            self.categories.update(per_call_categories)

    def summary(self) -> dict[str, Any]:
        tools = {
            tool: {
                "calls": n,
                "passed": self.passed[tool],
                "pass_rate": self.passed[tool] / n,
            }
            for tool, n in sorted(self.calls.items())
        }
        return {"tools": tools, "categories": dict(self.categories.most_common())}


def detail_breakdowns(conn: Any, run_id: str) -> dict[str, dict[str, Any]]:
    """Return, per scorer with details, its calls and pass rate per tool and its categories."""
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    tallies: dict[str, _Tally] = {}
    for name, text in conn.exec_driver_sql(_DETAILS_SQL.format(mark=mark), (run_id,)):
        details = orjson.loads(text)
        if isinstance(details, dict):
            tallies.setdefault(name, _Tally()).add(details)
    breakdowns = {name: tally.summary() for name, tally in sorted(tallies.items())}
    return {name: b for name, b in breakdowns.items() if b["tools"] or b["categories"]}
