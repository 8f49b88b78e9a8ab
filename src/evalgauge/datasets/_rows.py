"""The compiled field mapping that turns one raw row into a Case."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from evalgauge.cases import Case, as_text
from evalgauge.datasets._fields import (
    MISSING,
    Row,
    RowError,
    compile_getter,
    compile_optional_getter,
    explain_missing,
    field_list,
    json_kind,
    path_steps,
    without_path,
)
from evalgauge.datasets._mapping import FieldMapping, compile_verdict
from evalgauge.errors import UsageError

# RowMapper.build passes these fields positionally, which is faster than by keyword; this
# check keeps the order in step with Case.
_CASE_FIELDS = ("case_id", "inputs", "output", "label", "expected", "metadata")
if tuple(field.name for field in fields(Case)) != _CASE_FIELDS:
    raise ImportError(f"Case fields changed; update RowMapper.build, which expects {_CASE_FIELDS}")

_ROLE_HINTS = {
    "input": "Set --input to fields that the rows have, or add the field to this row.",
    "output": "Set --output to the field that holds the recorded output, or add it to this row.",
    "label": "Set --label to the field that holds the human label.",
    "id": "Set --id-field to a field that every row has, or leave it unset to derive ids "
    "from the row content.",
    "expected": "Set --expected to the field that holds the expected output, or add it to "
    "this row.",
}


class RowMapper:
    """The compiled form of a FieldMapping that turns one raw row into a Case.

    Getters are built once so that the per-row work is dictionary lookups. A field that
    a row lacks surfaces as KeyError or IndexError, and only then does `build` work out
    which field is missing and why.
    """

    def __init__(self, mapping: FieldMapping, *, require_labels: bool) -> None:
        if require_labels and mapping.label is None:
            raise UsageError("labels are required but no label field is set. Set --label.")
        self.mapping = mapping
        self.require_labels = require_labels
        self.label_seen = False

        self._inputs = [(name, compile_getter(name)) for name in mapping.inputs]
        self._single_input = self._inputs[0] if len(self._inputs) == 1 else None
        self._all_inputs = not mapping.inputs
        self._output = compile_getter(mapping.output) if mapping.output else None
        self._expected = compile_getter(mapping.expected) if mapping.expected else None
        self._id = compile_getter(mapping.id_field) if mapping.id_field else None
        self._label = compile_optional_getter(mapping.label) if mapping.label else None
        self._verdict = compile_verdict(mapping)

        roles = [("input", name) for name in mapping.inputs] + mapping.non_input_fields()
        self._roles = [(role, name, path_steps(name)) for role, name in roles]
        # Fields left out of the rest of the row. That rest becomes the metadata, or the
        # inputs when `inputs` is empty.
        excluded = [name for role, name in roles if role != "input" or not self._all_inputs]
        self._excluded_keys = frozenset(name for name in excluded if "." not in name)
        self._excluded_paths = [(name, path_steps(name)) for name in excluded if "." in name]

    def case_id(self, row: Row) -> str:
        """Return the case id from the id field, converted to a string."""
        assert self._id is not None, "case_id needs a mapping with id_field"
        try:
            value = self._id(row)
        except (KeyError, IndexError):
            problem = self._missing_field_error(row)
            if problem is None:
                raise  # the getters and explain_missing disagree, which is a bug
            raise problem from None
        if isinstance(value, str):
            if not value.strip():
                raise RowError("id is empty", field=self.mapping.id_field, hint=_ROLE_HINTS["id"])
            return value
        if isinstance(value, int | float):
            return str(value)
        raise RowError(
            f"id must be a string or a number, found {json_kind(value)}",
            field=self.mapping.id_field,
            hint=_ROLE_HINTS["id"],
        )

    def build(self, row: Row, case_id: str) -> Case:
        """Map one raw row onto a Case with the given id."""
        try:
            if self._all_inputs:
                inputs = self._rest(row)
                metadata: Row = {}
            elif self._single_input is not None:
                name, get = self._single_input
                inputs = {name: get(row)}  # about 0.2 µs faster than a comprehension
                metadata = self._rest(row)
            else:
                inputs = {name: get(row) for name, get in self._inputs}
                metadata = self._rest(row)
            output = self._output(row) if self._output is not None else None
            expected = self._expected(row) if self._expected is not None else None
        except (KeyError, IndexError):
            problem = self._missing_field_error(row)
            if problem is None:
                raise  # the getters and explain_missing disagree, which is a bug
            raise problem from None

        if output is not None and not isinstance(output, str):
            output = as_text(output)  # checked here first: most outputs are strings
        label = None
        if self._label is not None:
            raw_label = self._label(row)
            if raw_label is not MISSING:
                self.label_seen = True
            label = self._label_verdict(raw_label)
        # Positional arguments, in the order that _CASE_FIELDS checks.
        return Case(case_id, inputs, output, label, expected, metadata)

    def missing_label_error(self, row: Row) -> RowError:
        """Describe a label field that no row of the dataset has, using the first row."""
        return RowError(
            "label field not found in any row. The first row has fields: " + field_list(row),
            field=self.mapping.label,
            hint=_ROLE_HINTS["label"],
        )

    def _label_verdict(self, raw: Any) -> bool | None:
        if raw is MISSING or raw is None:
            text = None
        elif isinstance(raw, str):
            text = raw.strip() or None
        elif isinstance(raw, bool):
            text = "true" if raw else "false"
        elif isinstance(raw, int | float):
            text = str(raw)
        else:
            raise RowError(
                f"label must be a string, a number or a boolean, found {json_kind(raw)}",
                field=self.mapping.label,
                hint=_ROLE_HINTS["label"],
            )
        if text is None:
            if self.require_labels:
                problem = "label field not found" if raw is MISSING else "label is empty"
                raise RowError(
                    problem + ", but every row needs a label here",
                    field=self.mapping.label,
                    hint="Label this row, or remove it from the dataset.",
                )
            return None
        return self._verdict(text)

    def _rest(self, row: Row) -> Row:
        """Return the row without the excluded fields, dropping objects left empty."""
        excluded = self._excluded_keys
        if not self._excluded_paths and row.keys() <= excluded:
            return {}
        rest = {key: value for key, value in row.items() if key not in excluded}
        for name, steps in self._excluded_paths:
            rest = without_path(rest, name, steps)
        return rest

    def _missing_field_error(self, row: Row) -> RowError | None:
        """Name the first mapped field that the row lacks, or return None if it has them all."""
        for role, name, steps in self._roles:
            if role == "label":
                continue  # a row without a label is unlabeled, not invalid
            reason = explain_missing(row, name, steps)
            if reason is not None:
                return RowError(f"{role} field {reason}", field=name, hint=_ROLE_HINTS[role])
        return None
