"""Arguments from BFCL possible answers: the first acceptable value of every parameter."""

from __future__ import annotations

from typing import Any


def first_acceptable(value: Any) -> Any:
    """A ground-truth value with every nested list of acceptable values cut to its first."""
    if isinstance(value, list):
        return [first_acceptable(item) for item in value]
    if isinstance(value, dict):
        return {k: first_acceptable(v[0]) for k, v in value.items() if v and v[0] != ""}
    return value


def answer_arguments(params: dict[str, list[Any]]) -> dict[str, Any]:
    """The arguments of one expected call; `""` first means the parameter is left out."""
    return {k: first_acceptable(v[0]) for k, v in params.items() if v and v[0] != ""}
