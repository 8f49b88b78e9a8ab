"""The alignment report: judge vs human labels on held-out cases, and the corrected rate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evalgauge.stats import ConfusionMatrix, CorrectedPassRate


@dataclass(frozen=True)
class Verdict:
    """The judge's verdict on one case next to the human label, for `--json` output."""

    case_id: str
    split: str
    label: bool | None
    passed: bool | None
    reason: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        verdict = None
        if self.passed is not None:
            verdict = "pass" if self.passed else "fail"
        return {
            "case_id": self.case_id,
            "split": self.split,
            "label": self.label,
            "verdict": verdict,
            "reason": self.reason,
            "error": self.error,
        }


@dataclass
class AlignmentReport:
    run_id: str
    dataset_path: str
    dataset_version: str
    judge: dict[str, str]
    judge_details: dict[str, Any]
    seed: int
    split_sizes: dict[str, dict[str, int]]
    test: ConfusionMatrix
    dev: ConfusionMatrix | None
    judge_errors: dict[str, int]
    corrected: CorrectedPassRate | None
    corrected_error: str | None
    verdicts: list[Verdict]
    warnings: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        """False when the judge is no better than chance on test (J <= 0)."""
        j = self.test.youden_j
        return j is not None and j > 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "dataset": {"path": self.dataset_path, "version": self.dataset_version},
            "judge": self.judge,
            "judge_details": self.judge_details,
            "seed": self.seed,
            "split": self.split_sizes,
            "test": self.test.to_dict(),
            "dev": self.dev.to_dict() if self.dev is not None else None,
            "judge_errors": self.judge_errors,
            "corrected_pass_rate": self.corrected.to_dict() if self.corrected else None,
            "corrected_pass_rate_error": self.corrected_error,
            "warnings": self.warnings,
            "verdicts": [v.to_dict() for v in self.verdicts],
        }
