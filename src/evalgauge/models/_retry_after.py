"""The wait a server requests before a retry, read from its response headers."""

from __future__ import annotations

import email.utils
import math
from collections.abc import Mapping
from datetime import UTC, datetime


def parse_retry_after(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """Return the wait in seconds that the server requests, or None if it sends none.

    Reads `retry-after-ms` (milliseconds, sent by OpenAI) first, then `Retry-After` as a
    number of seconds or as an HTTP-date such as "Wed, 21 Oct 2026 07:28:00 GMT". A date in
    the past gives 0.
    """
    milliseconds = _parse_non_negative_float(headers.get("retry-after-ms"))
    if milliseconds is not None:
        return milliseconds / 1000.0

    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _parse_non_negative_float(value)
    if seconds is not None:
        return seconds

    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now if now is not None else datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


def _parse_non_negative_float(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if not math.isfinite(number) or number < 0:
        return None
    return number
