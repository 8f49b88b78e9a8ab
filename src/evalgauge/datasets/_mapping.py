"""FieldMapping, the mapping from the fields of a dataset row to a case, and its label rules."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from evalgauge.datasets._fields import RowError
from evalgauge.errors import UsageError

DEFAULT_PASS_WORDS = ("pass", "passed", "true", "1", "yes")
DEFAULT_FAIL_WORDS = ("fail", "failed", "false", "0", "no")


@dataclass(frozen=True, slots=True)
class FieldMapping:
    """Mapping from the fields of a dataset row to a `Case`.

    Field names may be dotted paths into nested objects (`request.messages`), and an
    all-digit segment indexes a list (`messages.0.content`). A key that contains the dots
    literally, such as a CSV column named `meta.id`, takes precedence over the path.

    `inputs` lists the fields the target and the judge see, in order. An empty tuple
    selects every field except the output, label, id and expected fields.
    `pass_values` and `fail_values` name the label values that mean pass and fail, matched
    exactly after stripping whitespace. When only one of the two is given, every other
    non-empty value means the opposite verdict. When neither is given, the label words in
    DEFAULT_PASS_WORDS and DEFAULT_FAIL_WORDS are recognized in any letter case.
    """

    inputs: tuple[str, ...] = ()
    output: str | None = None
    label: str | None = None
    pass_values: tuple[str, ...] = ()
    fail_values: tuple[str, ...] = ()
    id_field: str | None = None
    expected: str | None = None

    def __post_init__(self) -> None:
        for attribute in ("inputs", "pass_values", "fail_values"):
            value = getattr(self, attribute)
            if not isinstance(value, tuple) or not all(isinstance(item, str) for item in value):
                raise UsageError(
                    f"FieldMapping.{attribute} must be a tuple of strings, got {value!r}"
                )
        for name in self.inputs:
            _check_field_name(name, "input")
        for role, name in self.non_input_fields():
            _check_field_name(name, role)

        roles: dict[str, str] = {}
        for role, name in [("input", name) for name in self.inputs] + [
            (role, name) for role, name in self.non_input_fields() if role != "id"
        ]:
            if name in roles:
                raise UsageError(
                    f"field {name!r} is mapped as both {roles[name]} and {role}. "
                    "Map each field to one role."
                )
            roles[name] = role

        if (self.pass_values or self.fail_values) and self.label is None:
            raise UsageError("pass and fail values need a label field. Set --label.")
        pass_set = {value.strip() for value in self.pass_values}
        fail_set = {value.strip() for value in self.fail_values}
        if "" in pass_set or "" in fail_set:
            raise UsageError(
                "an empty pass or fail value is not allowed, because an empty label means "
                "the row is unlabeled"
            )
        overlap = sorted(pass_set & fail_set)
        if overlap:
            raise UsageError(
                f"label values {', '.join(map(repr, overlap))} are listed as both pass and "
                "fail values. List each value once."
            )

    @classmethod
    def from_cli(
        cls,
        *,
        input: str | Sequence[str] | None = None,
        output: str | None = None,
        label: str | None = None,
        pass_value: str | Sequence[str] = (),
        fail_value: str | Sequence[str] = (),
        id_field: str | None = None,
        expected: str | None = None,
    ) -> FieldMapping:
        """Build a mapping from command-line option values.

        `input` is a comma-separated list of field names, or several such lists. Pass and
        fail values are taken whole, without splitting on commas, because label values
        may contain commas. An empty string counts as an option that is not set.
        """
        pieces = [input] if isinstance(input, str) else list(input or ())
        inputs: list[str] = []
        for piece in pieces:
            if not piece.strip():
                continue
            names = [name.strip() for name in piece.split(",")]
            if "" in names:
                raise UsageError(f"--input {piece!r} contains an empty field name")
            inputs.extend(names)
        return cls(
            inputs=tuple(inputs),
            output=output or None,
            label=label or None,
            pass_values=_as_values(pass_value),
            fail_values=_as_values(fail_value),
            id_field=id_field or None,
            expected=expected or None,
        )

    def non_input_fields(self) -> list[tuple[str, str]]:
        """Return (role, name) for each mapped field other than the inputs."""
        fields = [
            ("output", self.output),
            ("label", self.label),
            ("id", self.id_field),
            ("expected", self.expected),
        ]
        return [(role, name) for role, name in fields if name is not None]


def _as_values(values: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        return (values,) if values else ()
    return tuple(values)


def _check_field_name(name: object, role: str) -> None:
    if not isinstance(name, str) or not name.strip():
        raise UsageError(f"the {role} field name must be a non-empty string, got {name!r}")


def compile_verdict(mapping: FieldMapping) -> Callable[[str], bool]:
    """Return the function that turns a stripped, non-empty label value into pass or fail."""
    pass_values = tuple(value.strip() for value in mapping.pass_values)
    fail_values = tuple(value.strip() for value in mapping.fail_values)
    table = dict.fromkeys(fail_values, False) | dict.fromkeys(pass_values, True)

    if not table:
        words = dict.fromkeys(DEFAULT_FAIL_WORDS, False) | dict.fromkeys(DEFAULT_PASS_WORDS, True)
        hint = (
            f"Recognized labels are {', '.join(DEFAULT_PASS_WORDS)} for pass and "
            f"{', '.join(DEFAULT_FAIL_WORDS)} for fail, in any letter case. Use --pass-value "
            "and --fail-value to name the values this dataset uses."
        )

        def verdict_from_words(text: str) -> bool:
            verdict = words.get(text.lower())
            if verdict is None:
                raise _neither_error(text, mapping.label, hint)
            return verdict

        return verdict_from_words

    if not fail_values or not pass_values:
        # A value outside the one given list gets the opposite verdict: fail when only pass
        # values are given, pass when only fail values are.
        other = bool(fail_values)

        def verdict_from_one_list(text: str) -> bool:
            return table.get(text, other)

        return verdict_from_one_list

    hint = (
        f"Pass values are {_quoted(pass_values)} and fail values are {_quoted(fail_values)}, "
        "matched exactly. Add this value with --pass-value or --fail-value."
    )

    def verdict_from_lists(text: str) -> bool:
        verdict = table.get(text)
        if verdict is None:
            raise _neither_error(text, mapping.label, hint)
        return verdict

    return verdict_from_lists


def _neither_error(text: str, field: str | None, hint: str) -> RowError:
    return RowError(f"label {text!r} maps to neither pass nor fail", field=field, hint=hint)


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(repr(value) for value in values)
