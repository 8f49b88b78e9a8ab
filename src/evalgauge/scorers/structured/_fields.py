"""Field-level comparison of one output JSON value with its gold value.

Every scalar in gold is one field, named by its pattern path (`items[].sku`). A comparator
configured on an array (`set`) makes the whole array one field, and `keyed` pairs the
elements of an array of objects by a key before their fields are compared.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from evalgauge.datasets._fields import json_kind
from evalgauge.scorers.structured._comparators import (
    ComparatorSpec,
    DateSpec,
    DateTimeSpec,
    KeyedSpec,
    NumberSpec,
    SetSpec,
    TextSpec,
    Verdict,
    compare_date,
    compare_datetime,
    compare_exact,
    compare_number,
    compare_set,
    compare_text,
    json_type,
)
from evalgauge.scorers.structured._fieldconfig import FieldConfig

Compare = Callable[[Any, Any], Verdict]

_INDEXED = re.compile(r"\[\d+\]")

MAX_FINDINGS = 20
"""Findings kept per record; the counts still cover every field."""


def build_comparator(spec: ComparatorSpec) -> Compare:
    if isinstance(spec, TextSpec):
        return compare_text
    if isinstance(spec, NumberSpec):
        return partial(compare_number, spec=spec)
    if isinstance(spec, DateSpec):
        return partial(compare_date, spec=spec)
    if isinstance(spec, DateTimeSpec):
        return partial(compare_datetime, spec=spec)
    if isinstance(spec, SetSpec):
        return partial(compare_set, spec=spec)
    return compare_exact


@dataclass(slots=True)
class FieldTally:
    """Counts per field pattern over many records: [total, correct, missing, wrong]."""

    counts: dict[str, list[int]] = field(default_factory=dict)
    extra: dict[str, int] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    """Configured paths that some gold record reached."""

    def merge(self, other: FieldTally) -> None:
        for pattern, counts in other.counts.items():
            mine = self.counts.setdefault(pattern, [0, 0, 0, 0])
            for i, count in enumerate(counts):
                mine[i] += count
        for pattern, count in other.extra.items():
            self.extra[pattern] = self.extra.get(pattern, 0) + count
        self.used |= other.used


@dataclass(slots=True)
class RecordFields:
    """The field comparison of one record."""

    total: int = 0
    correct: int = 0
    extra: int = 0
    findings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        if self.total:
            return self.correct / self.total
        # A gold value with no fields is matched only by an output with none either.
        return 0.0 if self.extra else 1.0

    def exact(self, allow_extra: bool) -> bool:
        return self.correct == self.total and (allow_extra or self.extra == 0)

    def to_dict(self, allow_extra: bool) -> dict[str, Any]:
        return {
            "accuracy": self.accuracy,
            "fields": self.total,
            "correct": self.correct,
            "extra": self.extra,
            "exact": self.exact(allow_extra),
            "findings": self.findings,
        }


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _brief(value: Any) -> Any:
    """Shorten a value for a finding: long strings are cut and containers summarized."""
    if isinstance(value, str):
        return value if len(value) <= 200 else value[:197] + "..."
    if isinstance(value, dict | list):
        return f"<{json_type(value)} of {len(value)}>"
    return value


class FieldPlan:
    """A compiled field configuration: comparator functions looked up by pattern path."""

    def __init__(self, config: FieldConfig) -> None:
        self.config = config
        self._default = build_comparator(config.default)
        self._explicit: dict[str, Compare] = {}
        self._keyed: dict[str, str] = {}
        for path, spec in config.fields.items():
            if isinstance(spec, KeyedSpec):
                self._keyed[path] = spec.key
            else:
                self._explicit[path] = build_comparator(spec)
        self._by_index = any(_INDEXED.search(path) for path in config.fields)
        self._configured = set(config.fields)
        self._null_is_absent = config.absent_equals_null

    def compare(self, gold: Any, output: Any, tally: FieldTally | None = None) -> RecordFields:
        """Compare `output` with `gold` field by field, adding the counts to `tally`."""
        record = RecordFields()
        self._walk(gold, output, "", "", record, tally if tally is not None else FieldTally())
        return record

    def compare_absent(self, gold: Any, tally: FieldTally | None = None) -> RecordFields:
        """Count every gold field as missing, for an output that could not be parsed."""
        record = RecordFields()
        self._missing(gold, "", "", record, tally if tally is not None else FieldTally())
        return record

    def _lookup(self, pattern: str, path: str, tally: FieldTally) -> Compare | None:
        if self._by_index and path in self._explicit:
            tally.used.add(path)
            return self._explicit[path]
        compare = self._explicit.get(pattern)
        if compare is not None:
            tally.used.add(pattern)
        return compare

    def _walk(
        self, gold: Any, output: Any, pattern: str, path: str, rec: RecordFields, tally: FieldTally
    ) -> None:
        explicit = self._lookup(pattern, path, tally) if self._explicit else None
        if explicit is not None:
            self._judge(explicit, gold, output, pattern, path, rec, tally)
        elif isinstance(gold, dict):
            self._walk_object(gold, output, pattern, path, rec, tally)
        elif isinstance(gold, list):
            key = self._keyed.get(pattern)
            if key is not None:
                tally.used.add(pattern)
            if not isinstance(output, list):
                self._wrong(gold, output, pattern, path, rec, tally)
            elif key is not None:
                self._walk_keyed(gold, output, key, pattern, path, rec, tally)
            else:
                self._walk_positions(gold, output, pattern, path, rec, tally)
        else:
            self._judge(self._default, gold, output, pattern, path, rec, tally)

    def _judge(
        self,
        compare: Compare,
        gold: Any,
        output: Any,
        pattern: str,
        path: str,
        rec: RecordFields,
        tally: FieldTally,
    ) -> None:
        counts = tally.counts.get(pattern)
        if counts is None:
            counts = tally.counts[pattern] = [0, 0, 0, 0]
        counts[0] += 1
        rec.total += 1
        same = type(gold) is type(output) and gold == output
        if same or (reason := compare(gold, output)) is None:
            counts[1] += 1
            rec.correct += 1
            return
        counts[3] += 1
        self._find(rec, path, pattern, "wrong", reason, gold, output)

    def _walk_object(
        self,
        gold: dict[str, Any],
        output: Any,
        pattern: str,
        path: str,
        rec: RecordFields,
        tally: FieldTally,
    ) -> None:
        if not isinstance(output, dict):
            self._wrong(gold, output, pattern, path, rec, tally)
            return
        present = 0
        counts_by_pattern = tally.counts
        fast = not self._by_index
        for key, value in gold.items():
            child_pattern = f"{pattern}.{key}" if pattern else key
            if key in output:
                present += 1
                actual = output[key]
                # Equal scalars of one type match under every comparator, so they skip the
                # comparator call; this is most fields of most records.
                kind = type(value)
                if (
                    fast
                    and kind is type(actual)
                    and kind is not dict
                    and kind is not list
                    and value == actual
                ):
                    counts = counts_by_pattern.get(child_pattern)
                    if counts is None:
                        counts = counts_by_pattern[child_pattern] = [0, 0, 0, 0]
                    counts[0] += 1
                    counts[1] += 1
                    rec.total += 1
                    rec.correct += 1
                    continue
                child_path = f"{path}.{key}" if path else key
                nested = kind is dict and type(actual) is dict
                if fast and nested and child_pattern not in self._configured:
                    self._walk_object(value, actual, child_pattern, child_path, rec, tally)
                    continue
                self._walk(value, actual, child_pattern, child_path, rec, tally)
            elif value is None and self._null_is_absent:
                self._judge(compare_exact, None, None, child_pattern, path, rec, tally)
            else:
                self._missing(value, child_pattern, _child(path, key), rec, tally)
        if len(output) > present:
            for key, value in output.items():
                if key not in gold and not (value is None and self._null_is_absent):
                    self._extra(value, _child(pattern, key), _child(path, key), rec, tally)

    def _walk_positions(
        self,
        gold: list[Any],
        output: list[Any],
        pattern: str,
        path: str,
        rec: RecordFields,
        tally: FieldTally,
    ) -> None:
        element = pattern + "[]"
        for index, value in enumerate(gold):
            where = f"{path}[{index}]"
            if index < len(output):
                self._walk(value, output[index], element, where, rec, tally)
            else:
                self._missing(value, element, where, rec, tally)
        for index in range(len(gold), len(output)):
            self._extra(output[index], element, f"{path}[{index}]", rec, tally)

    def _walk_keyed(
        self,
        gold: list[Any],
        output: list[Any],
        key: str,
        pattern: str,
        path: str,
        rec: RecordFields,
        tally: FieldTally,
    ) -> None:
        element = pattern + "[]"
        positions: dict[Any, list[int]] = {}
        for index, item in enumerate(output):
            if isinstance(item, dict) and key in item:
                positions.setdefault(_hashable(item[key]), []).append(index)
        matched: set[int] = set()
        for index, item in enumerate(gold):
            if not isinstance(item, dict) or key not in item:
                self._missing(item, element, f"{path}[{index}]", rec, tally)
                continue
            where = f"{path}[{key}={item[key]}]"
            candidates = positions.get(_hashable(item[key]))
            if candidates:
                position = candidates.pop(0)
                matched.add(position)
                if element in self._configured or self._by_index:
                    self._walk(item, output[position], element, where, rec, tally)
                else:
                    self._walk_object(item, output[position], element, where, rec, tally)
            else:
                self._missing(item, element, where, rec, tally)
        for index, item in enumerate(output):
            if index not in matched:
                label = item[key] if isinstance(item, dict) and key in item else index
                self._extra(item, element, f"{path}[{key}={label}]", rec, tally)

    def _leaves(self, value: Any, pattern: str) -> list[str]:
        """List the field patterns under a gold value, as the walk would count them."""
        if pattern in self._explicit:
            return [pattern]
        if isinstance(value, dict) and value:
            return [
                p for key, item in value.items() for p in self._leaves(item, _child(pattern, key))
            ]
        if isinstance(value, list) and value:
            return [p for item in value for p in self._leaves(item, pattern + "[]")]
        return [pattern]

    def _missing(
        self, gold: Any, pattern: str, path: str, rec: RecordFields, tally: FieldTally
    ) -> None:
        for leaf in self._leaves(gold, pattern):
            counts = tally.counts.setdefault(leaf, [0, 0, 0, 0])
            counts[0] += 1
            counts[2] += 1
            rec.total += 1
        self._find(rec, path, pattern, "missing", "absent from the output", gold, None)

    def _wrong(
        self, gold: Any, output: Any, pattern: str, path: str, rec: RecordFields, tally: FieldTally
    ) -> None:
        for leaf in self._leaves(gold, pattern):
            counts = tally.counts.setdefault(leaf, [0, 0, 0, 0])
            counts[0] += 1
            counts[3] += 1
            rec.total += 1
        reason = f"expected {json_kind(gold)}, got {json_kind(output)}"
        self._find(rec, path, pattern, "wrong", reason, gold, output)

    def _extra(
        self, output: Any, pattern: str, path: str, rec: RecordFields, tally: FieldTally
    ) -> None:
        for leaf in self._leaves(output, pattern):
            tally.extra[leaf] = tally.extra.get(leaf, 0) + 1
            rec.extra += 1
        self._find(rec, path, pattern, "extra", "absent from gold", None, output)

    @staticmethod
    def _find(
        rec: RecordFields,
        path: str,
        pattern: str,
        status: str,
        reason: str,
        gold: Any,
        output: Any,
    ) -> None:
        if len(rec.findings) < MAX_FINDINGS:
            rec.findings.append(
                {
                    "path": path or "$",
                    "field": pattern or "$",
                    "status": status,
                    "reason": reason,
                    "gold": _brief(gold),
                    "output": _brief(output),
                }
            )

    def unused_paths(self, tally: FieldTally) -> list[str]:
        """List the configured paths that no gold field reached.

        A path with an array index is reached when the walk looked it up. Any other path is
        reached when a gold field was counted at it or under it.
        """
        counted = set(tally.counts)
        unused = []
        for path in self.config.fields:
            if path in tally.used:
                continue
            if not _INDEXED.search(path) and any(
                field == path or field.startswith((path + ".", path + "[")) for field in counted
            ):
                continue
            unused.append(path)
        return sorted(unused)


def _hashable(value: Any) -> Any:
    if type(value) is str:
        return value
    if isinstance(value, dict | list):
        import orjson

        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    return (json_type(value), value)
