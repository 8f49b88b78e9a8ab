"""Engine scorers: `json_parse`, `json_schema` and `json_fields`, one score per case each."""

from __future__ import annotations

from typing import Any

from evalgauge.cases import Case
from evalgauge.errors import ScorerError
from evalgauge.scorers._base import Score
from evalgauge.scorers.structured._fieldconfig import FieldConfig
from evalgauge.scorers.structured._fields import FieldPlan
from evalgauge.scorers.structured._files import gold_value
from evalgauge.scorers.structured._parse import ParseResult, parse_json
from evalgauge.scorers.structured._schema import MAX_ERRORS, SchemaCheck

_last_parse: tuple[str, bool, ParseResult] | None = None


def _parse(output: str, repair: bool) -> ParseResult:
    """Parse an output, reusing the result when the previous call got the same string.

    The engine runs a case's scorers one after another on one output string, so a suite
    with all three scorers parses each output once.
    """
    global _last_parse
    last = _last_parse
    if last is not None and last[0] is output and last[1] == repair:
        return last[2]
    result = parse_json(output, repair=repair)
    _last_parse = (output, repair, result)
    return result


class JsonParse:
    """Pass when the output parses as JSON: strictly, or after repair when `repair` is set."""

    def __init__(self, *, name: str = "json_parse", repair: bool = True) -> None:
        self.name = name
        self.repair = repair

    def identity(self) -> dict[str, str]:
        return {"scorer": "json_parse", "repair": str(self.repair).lower()}

    async def score(self, case: Case, output: str) -> Score:
        return self.score_now(case, output)

    def score_now(self, case: Case, output: str) -> Score:
        parsed = _parse(output, self.repair)
        reason = parsed.reason if not parsed.ok else None
        if parsed.ok and parsed.repairs:
            reason = "parsed after repair: " + ", ".join(parsed.repairs)
        return Score(self.name, float(parsed.ok), parsed.ok, reason, details=parsed.to_dict())


class JsonSchema:
    """Pass when the parsed output is valid against a JSON Schema or a pydantic model."""

    def __init__(
        self,
        check: SchemaCheck,
        *,
        name: str = "json_schema",
        repair: bool = True,
        max_errors: int = MAX_ERRORS,
    ) -> None:
        self.name = name
        self.check = check
        self.repair = repair
        self.max_errors = max_errors

    def identity(self) -> dict[str, str]:
        return {"scorer": "json_schema", "schema": self.check.description}

    async def score(self, case: Case, output: str) -> Score:
        return self.score_now(case, output)

    def score_now(self, case: Case, output: str) -> Score:
        parsed = _parse(output, self.repair)
        if not parsed.ok:
            return Score(self.name, 0.0, False, parsed.reason, details={"parse": parsed.to_dict()})
        violations = self.check.violations(parsed.value, self.max_errors)
        details: dict[str, Any] = {
            "parse": parsed.to_dict(),
            "violations": [v.to_dict() for v in violations],
        }
        if not violations:
            return Score(self.name, 1.0, True, None, details=details)
        first = violations[0]
        reason = f"{first.path}: {first.message} ({first.rule})"
        if len(violations) > 1:
            reason += f" and {len(violations) - 1} more"
        return Score(self.name, 0.0, False, reason, details=details)


class JsonFields:
    """Field accuracy against gold JSON; passes when the record matches exactly.

    Gold comes from the case's expected value, or from the row field `gold_field`, as JSON
    data or as JSON text. The value is the share of gold fields the output got right.
    """

    def __init__(
        self,
        config: FieldConfig,
        *,
        name: str = "json_fields",
        gold_field: str | None = None,
        repair: bool = True,
    ) -> None:
        self.name = name
        self.plan = FieldPlan(config)
        self.gold_field = gold_field
        self.repair = repair

    def identity(self) -> dict[str, str]:
        return {
            "scorer": "json_fields",
            "fields": self.plan.config.model_dump_json(),
            "gold_field": self.gold_field or "expected",
        }

    def _gold(self, case: Case) -> Any:
        raw = case.expected if self.gold_field is None else case.field(self.gold_field)
        if raw is None:
            where = "expected value" if self.gold_field is None else f"field {self.gold_field!r}"
            raise ScorerError(f"case {case.case_id!r} has no gold JSON in its {where}")
        return gold_value(raw)

    async def score(self, case: Case, output: str) -> Score:
        return self.score_now(case, output)

    def score_now(self, case: Case, output: str) -> Score:
        gold = self._gold(case)
        parsed = _parse(output, self.repair)
        allow_extra = self.plan.config.allow_extra
        try:
            if parsed.ok:
                record = self.plan.compare(gold, parsed.value)
            else:
                record = self.plan.compare_absent(gold)
        except RecursionError:
            raise ScorerError(
                f"case {case.case_id!r}: the output or gold is nested too deeply to compare"
            ) from None
        details = record.to_dict(allow_extra) | {"parse": parsed.to_dict()}
        exact = record.exact(allow_extra)
        reason = None
        if not parsed.ok:
            reason = parsed.reason
        elif not exact:
            reason = f"{record.correct} of {record.total} fields correct, {record.extra} extra"
        return Score(self.name, record.accuracy, exact, reason, details=details)
