"""Turn pydantic validation errors into messages that name the key and the allowed values."""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Union

from pydantic import BaseModel, ValidationError

MAX_PROBLEMS = 10


def format_validation_error(
    exc: ValidationError,
    source: str,
    model: type[BaseModel] | None = None,
    flags: Mapping[str, str] | None = None,
) -> str:
    """Format one line per problem: the dotted key path and what is wrong.

    For an unknown key the line lists the keys allowed at that level, looked up on `model`,
    the class that was validated. A key in `flags` is followed by the flag that sets it.
    """
    problems = []
    for error in exc.errors()[:MAX_PROBLEMS]:
        location = error["loc"]
        key = ".".join(str(part) for part in location)
        if flags and key in flags:
            key += f" ({flags[key]})"
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "missing":
            message = "missing required key"
        elif error["type"] == "union_tag_invalid":
            message = _unknown_kind(error.get("ctx") or {})
        elif error["type"] == "extra_forbidden":
            message = "unknown key"
            allowed = _allowed_keys(model, location[:-1]) if model is not None else None
            if allowed:
                message += "; the keys allowed here are " + ", ".join(allowed)
        problems.append(f"{key}: {message}" if key else message)
    more = len(exc.errors()) - MAX_PROBLEMS
    tail = f" (and {more} more)" if more > 0 else ""
    return f"{source}: invalid configuration: " + "; ".join(problems) + tail


def _unknown_kind(context: dict[str, Any]) -> str:
    """Name the unknown `kind` value, the closest allowed one, and all of them."""
    import difflib

    tag = str(context.get("tag", ""))
    allowed = [name.strip().strip("'") for name in str(context.get("expected_tags", "")).split(",")]
    key = str(context.get("discriminator", "'kind'")).strip("'")
    message = f"unknown {key} {tag!r}"
    close = difflib.get_close_matches(tag, allowed, n=1)
    if close:
        message += f"; did you mean {close[0]!r}?"
    end = " " if message.endswith("?") else ". "
    return message + end + "The allowed values are " + ", ".join(allowed)


def _allowed_keys(model: type[BaseModel], location: Sequence[int | str]) -> list[str] | None:
    """Return the field names of the model reached by following `location` from `model`."""
    current: Any = model
    parts = list(location)
    while parts:
        current = _unwrap(current)
        part = parts.pop(0)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
            continue
        origin = typing.get_origin(current)
        arguments = typing.get_args(current)
        if origin in (list, tuple, Sequence) and arguments:
            current = arguments[0]
        elif origin is dict and len(arguments) == 2:
            current = arguments[1]
        elif origin in (Union, types.UnionType):
            # A discriminated union puts the tag value in the location.
            current = _member_for_tag(arguments, part)
            if current is None:
                return None
        else:
            return None
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip `Annotated[...]` and `X | None` down to the type that contains the keys."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])
    return annotation


def _member_for_tag(members: Sequence[Any], tag: int | str) -> Any:
    for member in members:
        member = _unwrap(member)
        if not (isinstance(member, type) and issubclass(member, BaseModel)):
            continue
        for field in member.model_fields.values():
            if typing.get_origin(field.annotation) is Literal and tag in typing.get_args(
                field.annotation
            ):
                return member
    return None
