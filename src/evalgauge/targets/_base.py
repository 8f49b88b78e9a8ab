"""The target protocol: what produces the output for a case."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from evalgauge.cases import Case
from evalgauge.models._base import Usage


# Not frozen, like Case: a frozen dataclass costs about 0.5 µs more per construction, and
# every case builds one. Treat it as read-only.
@dataclass(slots=True)
class TargetOutput:
    """Output of a target for one case, with its latency and usage when known."""

    text: str
    latency_ms: float | None = None
    usage: Usage | None = None
    model: str | None = None
    cached: bool = False
    ttft_ms: float | None = None
    """Time to the first streamed token; None when the reply was not streamed."""


class Target(Protocol):
    """The system under test."""

    kind: str
    retries: bool
    """Whether the engine retries `generate` on transient errors; model-backed targets
    retry inside their wrapped model instead."""

    def identity(self) -> dict[str, str]:
        """Lineage fields: at least `target`, and `model` for model-backed targets."""
        ...

    async def generate(self, case: Case) -> TargetOutput:
        """Produce the output for `case`; raise a `CaseError` subclass on failure."""
        ...

    async def check_ready(self) -> None:
        """Raise `TargetSetupError` before any work if the target cannot run."""
        ...

    async def aclose(self) -> None: ...


@runtime_checkable
class ImmediateTarget(Target, Protocol):
    """A target that needs no I/O, such as a recorded output: the engine calls it inline."""

    def generate_now(self, case: Case) -> TargetOutput:
        """Return the output that `generate` returns, without awaiting."""
        ...
