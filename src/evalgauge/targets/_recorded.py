"""The recorded-output target: the output is a field of the case."""

from __future__ import annotations

from evalgauge.cases import Case
from evalgauge.errors import TargetError
from evalgauge.targets._base import TargetOutput


class RecordedTarget:
    """Serve `Case.output` as the output; a case without one is a case error."""

    kind = "recorded"
    retries = False

    def __init__(self, field: str | None = None) -> None:
        self.field = field

    def identity(self) -> dict[str, str]:
        return {"target": f"recorded:{self.field}" if self.field else "recorded"}

    async def generate(self, case: Case) -> TargetOutput:
        if case.output is None:
            raise TargetError(f"case {case.case_id!r} has no recorded output")
        return TargetOutput(text=case.output)

    async def check_ready(self) -> None:
        return None

    async def aclose(self) -> None:
        return None
