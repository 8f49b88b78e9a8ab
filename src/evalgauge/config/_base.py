"""The base of every configuration model, and validators that several models share."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A frozen model that rejects unknown keys, so a misspelled key is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def check_base_url(value: str | None) -> str | None:
    """Reject a base URL without an http or https scheme and a host."""
    if value is None:
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"invalid base URL {value!r}: expected http:// or https:// and a host, "
            "e.g. http://127.0.0.1:8000/v1"
        )
    return value
