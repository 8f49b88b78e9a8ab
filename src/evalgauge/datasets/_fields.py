"""Field access in raw rows: dotted-path getters and the descriptions of missing fields."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from typing import Any

# Maximum number of field names listed in a "field not found" message.
MAX_LISTED_FIELDS = 10

Row = dict[str, Any]
Getter = Callable[[Row], Any]
# One segment of a dotted path: the dict key, and the list index when the segment is all digits.
Step = tuple[str, int | None]

MISSING = object()


class RowError(Exception):
    """A problem with one row, raised without a location.

    The loader adds the file and line and raises DatasetError in its place.
    """

    def __init__(self, problem: str, *, field: str | None = None, hint: str | None = None):
        super().__init__(problem)
        self.problem = problem
        self.field = field
        self.hint = hint


def path_steps(name: str) -> tuple[Step, ...]:
    return tuple(
        (segment, int(segment) if segment.isdigit() else None) for segment in name.split(".")
    )


def compile_getter(name: str) -> Getter:
    """Return a function that reads the field and raises KeyError or IndexError if absent."""
    if "." not in name:
        return operator.itemgetter(name)
    steps = path_steps(name)

    def get_path(row: Row) -> Any:
        if name in row:
            return row[name]
        value: Any = row
        for key, index in steps:
            if isinstance(value, dict):
                value = value[key]
            elif isinstance(value, list) and index is not None:
                value = value[index]
            else:
                raise KeyError(name)
        return value

    return get_path


def compile_optional_getter(name: str) -> Getter:
    """Return a function that reads the field, or MISSING if the row lacks it."""
    if "." not in name:

        def get_key(row: Row) -> Any:
            return row.get(name, MISSING)

        return get_key
    get_path = compile_getter(name)

    def get_path_or_missing(row: Row) -> Any:
        try:
            return get_path(row)
        except (KeyError, IndexError):
            return MISSING

    return get_path_or_missing


def without_path(row: Row, name: str, steps: tuple[Step, ...]) -> Row:
    """Return a shallow copy of the row without the value at a dotted path."""
    if name in row:
        return {key: value for key, value in row.items() if key != name}
    pruned = _without_steps(row, steps)
    assert isinstance(pruned, dict)
    return pruned


def _without_steps(container: Any, steps: tuple[Step, ...]) -> Any:
    """Copy the containers along the path and remove its last segment.

    An object left empty is removed from its parent. A list item at the end of a path
    stays, because removing it would shift the indices of the items after it.
    """
    (key, index), rest = steps[0], steps[1:]
    if isinstance(container, dict) and key in container:
        copy = dict(container)
        if not rest:
            del copy[key]
            return copy
        child = _without_steps(container[key], rest)
        if isinstance(child, dict) and not child:
            del copy[key]
        else:
            copy[key] = child
        return copy
    if isinstance(container, list) and index is not None and index < len(container) and rest:
        items = list(container)
        items[index] = _without_steps(container[index], rest)
        return items
    return container


def explain_missing(row: Row, name: str, steps: tuple[Step, ...]) -> str | None:
    """Describe why the field cannot be read, starting "not found", or return None if it can."""
    if name in row:
        return None
    value: Any = row
    walked: list[str] = []
    for key, index in steps:
        where = ".".join(walked)
        if isinstance(value, dict):
            if key not in value:
                if not walked:
                    return "not found among the row's fields: " + field_list(value)
                keys = field_list(value)
                return f"not found: {where!r} has no key {key!r}, only the keys: {keys}"
            value = value[key]
        elif isinstance(value, list):
            if index is None:
                return f"not found: {where!r} is an array, so {key!r} is not a valid index"
            if index >= len(value):
                return (
                    f"not found: {where!r} has {len(value)} items, so index {index} is out of range"
                )
            value = value[index]
        else:
            return f"not found: {where!r} is {json_kind(value)}, not an object or an array"
        walked.append(key)
    return None


def field_list(names: Iterable[str]) -> str:
    listed = list(names)
    if not listed:
        return "(none)"
    text = ", ".join(listed[:MAX_LISTED_FIELDS])
    if len(listed) > MAX_LISTED_FIELDS:
        text += f" and {len(listed) - MAX_LISTED_FIELDS} more"
    return text


def json_kind(value: Any) -> str:
    """Name the JSON type of a value for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
