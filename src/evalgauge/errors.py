"""Exceptions raised by evalgauge.

The tree::

    EvalgaugeError
    ├── UsageError            a problem the user fixes (bad flag, config, input file); exit 2
    │   ├── DatasetError      a dataset file that cannot be loaded, with file, line and field
    │   ├── ConfigError       an invalid configuration value, with its key
    │   ├── TargetSetupError  a target that cannot start (missing key, unreachable URL)
    │   └── AlignmentError    labels or a judge that make alignment figures meaningless
    ├── RunInterrupted        Ctrl-C stopped a run after saving its finished cases; exit 130
    ├── RunFailed             a run finished but produced nothing usable; exit 1
    ├── OverBudget            a projected cost over the tier's envelope, before any work; exit 1
    └── CaseError             one case failed; recorded in the store, the run goes on
        ├── TargetError       the target raised or returned something unusable
        │   └── TransientError  a retryable failure (429, 5xx, timeout, connection reset)
        ├── CacheMissError    replay mode found no cached response
        └── ScorerError       a scorer raised
            └── JudgeParseError  a judge reply with no readable verdict
"""

from __future__ import annotations


class EvalgaugeError(Exception):
    """Base class of every error evalgauge raises on purpose."""


class UsageError(EvalgaugeError):
    """A mistake the user can fix; the CLI prints the message and exits 2."""


class DatasetError(UsageError):
    """A dataset that cannot be loaded, located by file, line and field."""

    def __init__(
        self,
        problem: str,
        *,
        path: str | None = None,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.problem = problem
        self.path = path
        self.line = line
        self.field = field
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        where = self.path or "dataset"
        if self.line is not None:
            where += f", line {self.line}"
        if self.field is not None:
            where += f", field {self.field!r}"
        message = f"{where}: {self.problem}"
        if self.hint:
            message += f". {self.hint}"
        return message


class ConfigError(UsageError):
    """An invalid configuration value; the message names the key path."""


class TargetSetupError(UsageError):
    """A target that cannot start, found before any case runs."""


class AlignmentError(UsageError):
    """Labels or judge verdicts that make an alignment figure undefined (for example J <= 0)."""


class RunInterrupted(EvalgaugeError):
    """Ctrl-C stopped a run; the finished cases are stored and `--resume` continues it."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        super().__init__(f"run {run_id} interrupted; its finished cases are saved")


class RunFailed(EvalgaugeError):
    """A run completed and is stored, but every case it needed failed."""


class OverBudget(EvalgaugeError):
    """The projected cost of a run is over its tier's envelope, so it does not start."""


class CaseError(EvalgaugeError):
    """A failure confined to one case; stored with its type and message."""

    error_type = "case_error"


class TargetError(CaseError):
    """The target raised, timed out for good, or returned an unusable reply."""

    error_type = "target_error"


class TransientError(TargetError):
    """A failure worth retrying; `retry_after` is the server's requested wait in seconds."""

    error_type = "transient_error"

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CacheMissError(CaseError):
    """Replay mode is on and the request is not in the response cache."""

    error_type = "cache_miss"


class ScorerError(CaseError):
    """A scorer raised while scoring one case."""

    error_type = "scorer_error"


class JudgeParseError(ScorerError):
    """A judge reply that contains no readable pass or fail verdict."""

    error_type = "judge_parse_error"
