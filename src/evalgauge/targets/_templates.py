"""Placeholder substitution shared by prompt and request-body templates."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import orjson

from evalgauge.cases import Case

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")


def case_values(case: Case) -> dict[str, Any]:
    """Collect the values a template may name: every input, plus `input` and `output`."""
    values: dict[str, Any] = dict(case.inputs)
    values.setdefault("input", case.input_text())
    values.setdefault("case_id", case.case_id)
    if case.output is not None:
        values.setdefault("output", case.output)
    return values


def render_text(template: str, values: dict[str, Any]) -> str:
    """Replace `{name}` placeholders; braces that name no value are left as they are."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        value = values[name]
        return value if isinstance(value, str) else orjson.dumps(value).decode()

    return _PLACEHOLDER.sub(substitute, template)


def render_json(template: Any, values: dict[str, Any]) -> Any:
    """Fill a JSON body template: a string that is exactly `{name}` takes the raw value."""
    if isinstance(template, str):
        match = _PLACEHOLDER.fullmatch(template)
        if match and match.group(1) in values:
            return values[match.group(1)]
        return render_text(template, values)
    if isinstance(template, dict):
        return {key: render_json(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [render_json(value, values) for value in template]
    return template


def unknown_placeholders(template: Any, values: dict[str, Any]) -> list[str]:
    """List the `{name}` placeholders of a text or JSON template that name no value."""
    if isinstance(template, str):
        names = _PLACEHOLDER.findall(template)
        return [name for name in dict.fromkeys(names) if name not in values]
    if isinstance(template, dict):
        parts = [unknown_placeholders(v, values) for v in template.values()]
    elif isinstance(template, list):
        parts = [unknown_placeholders(v, values) for v in template]
    else:
        return []
    return list(dict.fromkeys(name for part in parts for name in part))


def template_hash(*parts: str) -> str:
    digest = hashlib.sha256("\x00".join(parts).encode())
    return digest.hexdigest()[:16]
