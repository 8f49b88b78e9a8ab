"""Score one output (parse, schema, fields) and add it up over a set of outputs."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson

from evalgauge.scorers.structured._fieldconfig import FieldConfig, as_pattern
from evalgauge.scorers.structured._fields import FieldPlan, FieldTally, RecordFields
from evalgauge.scorers.structured._parse import REPAIR_KINDS, ParseResult, parse_json
from evalgauge.scorers.structured._schema import MAX_ERRORS, SchemaCheck, Violation

MAX_EXAMPLES = 5
"""Failing records quoted in a report per kind of failure."""

_NAN = math.nan


@dataclass(slots=True)
class RecordResult:
    """Everything scored on one output; `fields` is None when the record has no gold."""

    case_id: str
    parse: ParseResult
    violations: list[Violation] | None = None
    fields: RecordFields | None = None
    error: str | None = None
    """A per-case problem that kept a stage from running, such as a missing gold record."""


class StructuredEvaluator:
    """Parse, validate and compare outputs with one compiled schema check and field plan."""

    def __init__(
        self,
        *,
        schema: SchemaCheck | None = None,
        fields: FieldConfig | None = None,
        repair: bool = True,
        max_errors: int = MAX_ERRORS,
    ) -> None:
        self.schema = schema
        self.field_config = fields or FieldConfig()
        self.plan = FieldPlan(self.field_config)
        self.repair = repair
        self.max_errors = max_errors

    def parse(self, output: Any) -> ParseResult:
        """Parse a reply; a value that is already JSON data (not text) counts as strict.

        A null output, as a failed call records it, is a parse failure.
        """
        if isinstance(output, str):
            return parse_json(output, repair=self.repair)
        if output is None:
            return ParseResult(False, failure="empty", reason="the output is null")
        return ParseResult(True, output)

    def evaluate(
        self,
        case_id: str,
        output: Any,
        gold: Any = None,
        *,
        has_gold: bool = True,
        tally: FieldTally | None = None,
    ) -> RecordResult:
        parsed = self.parse(output)
        result = RecordResult(case_id, parsed)
        if self.schema is not None:
            result.violations = (
                self.schema.violations(parsed.value, self.max_errors)
                if parsed.ok
                else [Violation("$", "parse", "the output is not JSON, so it cannot be valid")]
            )
        if not has_gold:
            result.error = f"no gold record for id {case_id!r}"
            return result
        try:
            if parsed.ok:
                result.fields = self.plan.compare(gold, parsed.value, tally)
            else:
                result.fields = self.plan.compare_absent(gold, tally)
        except RecursionError:
            result.error = "the output or gold is nested too deeply to compare fields"
        return result


@dataclass(slots=True)
class SetAccumulator:
    """Counts over a set of records, mergeable across worker processes."""

    records: int = 0
    parsed: int = 0
    strict: int = 0
    repairs: Counter[str] = field(default_factory=Counter)
    repaired_only_by: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    schema_checked: int = 0
    schema_valid: int = 0
    rules: Counter[str] = field(default_factory=Counter)
    tally: FieldTally = field(default_factory=FieldTally)
    with_gold: int = 0
    exact: int = 0
    errors: int = 0
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ids: list[str] = field(default_factory=list)
    scores: dict[str, list[float]] = field(
        default_factory=lambda: {k: [] for k in ("parsed", "strict", "valid", "accuracy", "exact")}
    )

    def add(self, result: RecordResult, allow_extra: bool) -> None:
        self.records += 1
        parsed = result.parse
        scores = self.scores
        self.ids.append(result.case_id)
        scores["parsed"].append(1.0 if parsed.ok else 0.0)
        scores["strict"].append(1.0 if parsed.strict else 0.0)
        if parsed.ok:
            self.parsed += 1
            if parsed.repairs:
                self.repairs.update(parsed.repairs)
                if len(parsed.repairs) == 1:
                    self.repaired_only_by[parsed.repairs[0]] += 1
            else:
                self.strict += 1
        else:
            self.failures[parsed.failure or "unrepairable"] += 1
            self._example("parse", result, {"reason": parsed.reason})
        self._add_schema(result)
        self._add_fields(result, allow_extra)
        if result.error is not None:
            self.errors += 1
            self._example("error", result, {"reason": result.error})

    def _add_schema(self, result: RecordResult) -> None:
        violations = result.violations
        if violations is None:
            self.scores["valid"].append(_NAN)
            return
        self.schema_checked += 1
        if violations == []:
            self.schema_valid += 1
            self.scores["valid"].append(1.0)
            return
        self.scores["valid"].append(0.0)
        for violation in violations:
            self.rules[f"{as_pattern(violation.path)} {violation.rule}"] += 1
        if result.parse.ok:
            detail = {"violations": [v.to_dict() for v in violations[:3]]}
            self._example("schema", result, detail)

    def _add_fields(self, result: RecordResult, allow_extra: bool) -> None:
        fields = result.fields
        if fields is None:
            self.scores["accuracy"].append(_NAN)
            self.scores["exact"].append(_NAN)
            return
        self.with_gold += 1
        accuracy = fields.accuracy
        exact = fields.exact(allow_extra)
        self.scores["accuracy"].append(accuracy)
        self.scores["exact"].append(1.0 if exact else 0.0)
        if exact:
            self.exact += 1
        elif result.parse.ok:
            self._example("fields", result, {"findings": fields.findings[:5]})

    def _example(self, kind: str, result: RecordResult, detail: dict[str, Any]) -> None:
        found = self.examples.setdefault(kind, [])
        if len(found) < MAX_EXAMPLES:
            found.append({"id": result.case_id, **detail})

    def merge(self, other: SetAccumulator) -> None:
        for name in ("records", "parsed", "strict", "schema_checked", "schema_valid"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("with_gold", "exact", "errors"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.repairs.update(other.repairs)
        self.repaired_only_by.update(other.repaired_only_by)
        self.failures.update(other.failures)
        self.rules.update(other.rules)
        self.tally.merge(other.tally)
        for kind, found in other.examples.items():
            mine = self.examples.setdefault(kind, [])
            mine.extend(found[: MAX_EXAMPLES - len(mine)])
        self.ids.extend(other.ids)
        for name, values in other.scores.items():
            self.scores[name].extend(values)

    def summary(
        self, plan: FieldPlan, *, schema: bool, gold_without_output: int = 0
    ) -> dict[str, Any]:
        """Build the report of the set as JSON-ready data."""
        n = self.records
        return {
            "records": n,
            "errors": self.errors,
            "gold_without_output": gold_without_output,
            "parse": self._parse_summary(),
            "schema": None
            if not schema
            else {
                "checked": self.schema_checked,
                "valid": self.schema_valid,
                "valid_rate": _rate(self.schema_valid, n),
                "top_violations": dict(self.rules.most_common(10)),
            },
            "fields": self._field_summary(),
            "exact_record_rate": _rate(self.exact, self.with_gold),
            # fsum is exact, so the mean does not depend on how worker chunks were merged.
            "mean_field_accuracy": _rate(
                math.fsum(a for a in self.scores["accuracy"] if not math.isnan(a)),
                self.with_gold,
            ),
            "records_with_gold": self.with_gold,
            "warnings": [
                f"field config path {path!r} matched no gold field"
                for path in plan.unused_paths(self.tally)
            ],
            "examples": self.examples,
        }

    def _parse_summary(self) -> dict[str, Any]:
        n = self.records
        return {
            "strict": self.strict,
            "strict_rate": _rate(self.strict, n),
            "parsed": self.parsed,
            "parsed_rate": _rate(self.parsed, n),
            "repaired": self.parsed - self.strict,
            "repairs": {kind: self.repairs.get(kind, 0) for kind in REPAIR_KINDS},
            "repaired_only_by": {kind: self.repaired_only_by.get(kind, 0) for kind in REPAIR_KINDS},
            "failed": n - self.parsed,
            "failures": dict(self.failures),
        }

    def _field_summary(self) -> dict[str, dict[str, Any]]:
        fields: dict[str, dict[str, Any]] = {}
        for pattern in sorted(set(self.tally.counts) | set(self.tally.extra)):
            total, correct, missing, wrong = self.tally.counts.get(pattern, [0, 0, 0, 0])
            fields[pattern or "$"] = {
                "total": total,
                "correct": correct,
                "accuracy": _rate(correct, total),
                "missing": missing,
                "wrong": wrong,
                "extra": self.tally.extra.get(pattern, 0),
            }
        return fields


def _rate(part: float, whole: int) -> float | None:
    return part / whole if whole else None


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY)
