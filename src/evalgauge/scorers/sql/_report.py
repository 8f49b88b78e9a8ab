"""Aggregate per-question verdicts: accuracy with an interval, by database, hardness, feature."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from evalgauge.scorers.sql._evaluate import Verdict
from evalgauge.scorers.sql._spider import SqlQuestion
from evalgauge.stats import wilson_interval

HARDNESS_ORDER = ("easy", "medium", "hard", "extra")
UNSCORED = ("database_missing", "gold_error")
"""Verdicts left out of the accuracy: the prediction could not be judged."""


@dataclass(frozen=True, slots=True)
class GroupScore:
    n: int
    correct: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.n if self.n else None

    def to_dict(self, confidence: float) -> dict[str, Any]:
        low, high = wilson_interval(self.correct, self.n, confidence) if self.n else (None, None)
        return {
            "n": self.n,
            "correct": self.correct,
            "accuracy": self.accuracy,
            "ci_low": low,
            "ci_high": high,
        }


def _group(pairs: Iterable[tuple[str, Verdict]]) -> dict[str, GroupScore]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for key, verdict in pairs:
        if verdict.kind in UNSCORED:
            continue
        totals[key][0] += 1
        totals[key][1] += verdict.passed
    return {key: GroupScore(n, correct) for key, (n, correct) in totals.items()}


def summarize(
    questions: Sequence[SqlQuestion],
    verdicts: Sequence[Verdict],
    *,
    preset: str,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """Build the JSON-ready summary of a run."""
    pairs = list(zip(questions, verdicts, strict=True))
    overall = _group(("all", v) for _, v in pairs).get("all", GroupScore(0, 0))
    by_db = _group((q.db_id, v) for q, v in pairs)
    by_hardness = _group((q.hardness or "unknown", v) for q, v in pairs)
    by_feature = _group((f, v) for q, v in pairs for f in q.features)
    hardness_keys = [k for k in HARDNESS_ORDER if k in by_hardness]
    hardness_keys += sorted(set(by_hardness) - set(HARDNESS_ORDER))
    return {
        "preset": preset,
        "questions": len(pairs),
        "scored": overall.n,
        "verdicts": dict(Counter(v.kind for v in verdicts).most_common()),
        "both_empty": sum(v.both_empty for v in verdicts),
        "both_empty_matches": sum(v.both_empty and v.passed for v in verdicts),
        "confidence": confidence,
        "overall": overall.to_dict(confidence),
        "by_database": {k: by_db[k].to_dict(confidence) for k in sorted(by_db)},
        "by_hardness": {k: by_hardness[k].to_dict(confidence) for k in hardness_keys},
        "by_feature": {k: by_feature[k].to_dict(confidence) for k in sorted(by_feature)},
    }


def question_record(question: SqlQuestion, verdict: Verdict) -> dict[str, Any]:
    return {
        "index": question.index,
        "db_id": question.db_id,
        "hardness": question.hardness,
        "features": list(question.features),
        **verdict.to_dict(),
    }


def format_question(question: SqlQuestion, verdict: Verdict) -> str:
    line = f"{question.index:>5} {question.db_id:<30} {verdict.kind}"
    if verdict.kind != "match" and verdict.reason and verdict.reason != verdict.kind:
        line += f" ({verdict.reason})"
    if verdict.both_empty:
        line += " [both empty]"
    if verdict.detail and verdict.kind != "match":
        line += f": {verdict.detail}"
    return line


def _format_group(name: str, stats: dict[str, Any]) -> str:
    if not stats["n"]:
        return f"  {name:<32} n=0"
    return (
        f"  {name:<32} {stats['accuracy']:6.1%}  ({stats['correct']}/{stats['n']}, "
        f"CI {stats['ci_low']:.1%}-{stats['ci_high']:.1%})"
    )


def format_summary(summary: dict[str, Any]) -> str:
    """Render the summary as text: overall line, verdict counts, then the breakdowns."""
    level = f"{summary['confidence']:.0%}"
    lines = [
        f"execution accuracy, preset {summary['preset']} ({level} Wilson interval):",
        _format_group("all", summary["overall"]),
        "verdicts: " + ", ".join(f"{k} {n}" for k, n in summary["verdicts"].items()),
        f"both results empty: {summary['both_empty']} "
        f"({summary['both_empty_matches']} counted as matches)",
    ]
    for title, key in (
        ("by hardness", "by_hardness"),
        ("by feature", "by_feature"),
        ("by database", "by_database"),
    ):
        lines.append(f"{title}:")
        lines.extend(_format_group(name, stats) for name, stats in summary[key].items())
    return "\n".join(lines)
