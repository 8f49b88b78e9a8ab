"""The recorded-output target: the output is a field of the case.

A recording can carry what the call cost when it was made: its latency and token counts, in
other fields of the same row. Such a case is replayed: its output is marked as cached and
keeps the latency recorded with it, so a scorecard over replayed outputs shows the latency
and cost of the calls that produced them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from evalgauge.cases import Case
from evalgauge.errors import TargetError
from evalgauge.models._base import Usage
from evalgauge.targets._base import TargetOutput


@dataclass(frozen=True, slots=True)
class RecordedUsageFields:
    """Names of the row fields that hold a recorded call's latency and token counts."""

    latency: str | None = None
    latency_unit: str = "ms"  # "ms" or "s"
    input_tokens: str | None = None
    output_tokens: str | None = None
    cached_input_tokens: str | None = None
    reasoning_tokens: str | None = None

    @property
    def any(self) -> bool:
        return any(
            name is not None
            for name in (
                self.latency,
                self.input_tokens,
                self.output_tokens,
                self.cached_input_tokens,
                self.reasoning_tokens,
            )
        )


class RecordedTarget:
    """Serve `Case.output` as the output; a case without one is a case error."""

    kind = "recorded"
    retries = False

    def __init__(
        self,
        field: str | None = None,
        *,
        model: str | None = None,
        recorded: RecordedUsageFields | None = None,
    ) -> None:
        self.field = field
        self.model = model
        self.recorded = recorded if recorded is not None and recorded.any else None
        self._scale = 1000.0 if recorded is not None and recorded.latency_unit == "s" else 1.0

    def identity(self) -> dict[str, str]:
        identity = {"target": f"recorded:{self.field}" if self.field else "recorded"}
        if self.model is not None:
            identity["model"] = self.model
        return identity

    async def generate(self, case: Case) -> TargetOutput:
        return self.generate_now(case)

    def generate_now(self, case: Case) -> TargetOutput:
        if case.output is None:
            raise TargetError(f"case {case.case_id!r} has no recorded output")
        fields = self.recorded
        if fields is None:
            return TargetOutput(text=case.output, model=self.model)
        latency = _number(case, fields.latency, "latency")
        usage = Usage(
            input_tokens=_count(case, fields.input_tokens),
            output_tokens=_count(case, fields.output_tokens),
            cached_input_tokens=_count(case, fields.cached_input_tokens),
            reasoning_tokens=_count(case, fields.reasoning_tokens),
        )
        return TargetOutput(
            text=case.output,
            latency_ms=None if latency is None else latency * self._scale,
            usage=usage,
            model=self.model,
            cached=True,
        )

    async def check_ready(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


def _number(case: Case, name: str | None, what: str) -> float | None:
    value = None if name is None else case.field(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TargetError(
            f"case {case.case_id!r}: recorded {what} field {name!r} is {value!r}, not a number"
        )
    if value < 0:
        raise TargetError(f"case {case.case_id!r}: recorded {what} field {name!r} is negative")
    return float(value)


def _count(case: Case, name: str | None) -> int | None:
    value = _number(case, name, "token count")
    if value is None:
        return None
    if not value.is_integer():
        raise TargetError(
            f"case {case.case_id!r}: recorded token count field {name!r} is {value!r}, "
            "not a whole number"
        )
    return int(value)
