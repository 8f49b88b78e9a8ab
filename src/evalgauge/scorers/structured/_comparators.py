"""Comparators of one gold field value with the output's value, configured per field path."""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Annotated, Any, Final, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from evalgauge.datasets._fields import json_kind

COMPARATOR_NAMES: Final = ("exact", "text", "number", "date", "datetime", "set", "keyed")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExactSpec(_Spec):
    """Equal JSON values of the same JSON type (so `true` differs from `1`)."""

    comparator: Literal["exact"] = "exact"


class TextSpec(_Spec):
    """Equal strings after Unicode NFKC, case folding and whitespace collapsing."""

    comparator: Literal["text"]


class NumberSpec(_Spec):
    """Numbers within `abs_tol` or `rel_tol` of each other (as `math.isclose`)."""

    comparator: Literal["number"]
    abs_tol: float = Field(0.0, ge=0)
    rel_tol: float = Field(0.0, ge=0)
    parse_strings: bool = True
    """Read numeric strings such as "1,234.50" as numbers; the schema check reports the type."""


class DateSpec(_Spec):
    """The same calendar date, read from ISO 8601 or a common format by python-dateutil."""

    comparator: Literal["date"]
    dayfirst: bool = False
    """Read an ambiguous date such as 03/04/2026 as 3 April rather than March 4."""


class DateTimeSpec(_Spec):
    """The same instant; a value without a UTC offset is taken to be in `assume_tz`."""

    comparator: Literal["datetime"]
    dayfirst: bool = False
    assume_tz: str = "UTC"
    """IANA zone name for values without an offset, e.g. "UTC" or "Europe/Berlin"."""
    tolerance_s: float = Field(0.0, ge=0)


class SetSpec(_Spec):
    """The same elements in any order, counting repeats; `of: text` normalizes strings."""

    comparator: Literal["set"]
    of: Literal["exact", "text"] = "exact"


class KeyedSpec(_Spec):
    """A list of objects matched by `key` (e.g. line items by `sku`), then compared per field."""

    comparator: Literal["keyed"]
    key: str


ComparatorSpec = Annotated[
    ExactSpec | TextSpec | NumberSpec | DateSpec | DateTimeSpec | SetSpec | KeyedSpec,
    Field(discriminator="comparator"),
]


def json_type(value: Any) -> str:
    """Name the JSON type of a parsed value: object, array, string, number, boolean or null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    return "array"


def normalize_text(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


Verdict = str | None
"""None when the values match, else the reason they do not."""


def compare_exact(gold: Any, output: Any) -> Verdict:
    if gold == output and json_type(gold) == json_type(output):
        return None
    if json_type(gold) != json_type(output):
        return f"expected {json_kind(gold)}, got {json_kind(output)}"
    return "values differ"


def compare_text(gold: Any, output: Any) -> Verdict:
    if isinstance(gold, str) and isinstance(output, str):
        return None if normalize_text(gold) == normalize_text(output) else "texts differ"
    return compare_exact(gold, output)


def _as_number(value: Any, parse_strings: bool) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if parse_strings and isinstance(value, str):
        cleaned = value.strip().replace(",", "").lstrip("$€£")
        try:
            return float(cleaned)
        except ValueError:
            return None
    return None


def compare_number(gold: Any, output: Any, spec: NumberSpec) -> Verdict:
    expected = _as_number(gold, True)
    if expected is None:
        return compare_exact(gold, output)
    actual = _as_number(output, spec.parse_strings)
    if actual is None:
        return f"expected a number, got {json_type(output)} {_short(output)}"
    if math.isclose(expected, actual, rel_tol=spec.rel_tol, abs_tol=spec.abs_tol):
        return None
    return f"{actual:g} differs from {expected:g}"


@lru_cache(maxsize=4096)
def _parse_datetime(text: str, dayfirst: bool) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    from dateutil import parser

    try:
        return parser.parse(text, dayfirst=dayfirst)
    except (ValueError, OverflowError, parser.ParserError):
        return None


def _as_datetime(value: Any, dayfirst: bool) -> datetime | None:
    if isinstance(value, str) and value.strip():
        return _parse_datetime(value.strip(), dayfirst)
    return None


def compare_date(gold: Any, output: Any, spec: DateSpec) -> Verdict:
    expected = _as_datetime(gold, spec.dayfirst)
    if expected is None:
        return compare_exact(gold, output)
    actual = _as_datetime(output, spec.dayfirst)
    if actual is None:
        return f"{_short(output)} is not a date"
    if expected.date() == actual.date():
        return None
    return f"{actual.date().isoformat()} differs from {expected.date().isoformat()}"


@lru_cache(maxsize=64)
def zone(name: str) -> tzinfo:
    if name.upper() == "UTC":
        return UTC
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def _aware(moment: datetime, assume: tzinfo) -> datetime:
    return moment.replace(tzinfo=assume) if moment.tzinfo is None else moment


def compare_datetime(gold: Any, output: Any, spec: DateTimeSpec) -> Verdict:
    expected = _as_datetime(gold, spec.dayfirst)
    if expected is None:
        return compare_exact(gold, output)
    actual = _as_datetime(output, spec.dayfirst)
    if actual is None:
        return f"{_short(output)} is not a date and time"
    assume = zone(spec.assume_tz)
    difference = abs((_aware(expected, assume) - _aware(actual, assume)).total_seconds())
    if difference <= spec.tolerance_s:
        return None
    return f"{actual.isoformat()} is {difference:g} s from {expected.isoformat()}"


def _element_key(value: Any, of: str) -> Any:
    if of == "text" and isinstance(value, str):
        return normalize_text(value)
    if isinstance(value, dict | list):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    return (json_type(value), value)


def compare_set(gold: Any, output: Any, spec: SetSpec) -> Verdict:
    if not isinstance(gold, list):
        return compare_exact(gold, output)
    if not isinstance(output, list):
        return f"expected an array, got {json_kind(output)}"
    expected = Counter(_element_key(item, spec.of) for item in gold)
    actual = Counter(_element_key(item, spec.of) for item in output)
    if expected == actual:
        return None
    missing = sum((expected - actual).values())
    extra = sum((actual - expected).values())
    return f"{missing} element(s) missing, {extra} extra"


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_zone(name: str) -> None:
    """Raise ValueError for an unknown IANA zone name."""
    from zoneinfo import ZoneInfoNotFoundError

    try:
        zone(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {name!r}: {error}") from None
