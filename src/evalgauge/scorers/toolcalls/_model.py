"""The nouns of tool-call scoring: a tool's definition, a decoded call, a check's outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(frozen=True, slots=True)
class HttpOperation:
    """The HTTP operation behind a tool read from an OpenAPI document."""

    method: str
    """Upper-case HTTP method, e.g. `POST`."""
    path: str
    """The path template of the operation, e.g. `/orders/{order_id}`."""
    locations: dict[str, str]
    """The location of each argument: `path`, `query`, `header`, `cookie` or `body`."""
    body_argument: str | None = None
    """The argument that is the whole JSON body, or None when the body's fields are arguments."""


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """One tool a model may call.

    `parameters` is the tool's argument schema as its source gives it: a JSON Schema object for
    OpenAI function schemas, OpenAPI operations and Python callables, or BFCL's own dialect
    (types such as `dict`, `float`, `tuple` and `any`) for BFCL question files.
    """

    name: str
    parameters: dict[str, Any]
    description: str = ""
    source: str = ""
    """The origin of the definition, e.g. `openai`, `openapi:GET /orders/{id}`, `python:m:f`."""
    http: HttpOperation | None = None
    """The HTTP request behind the tool, for tools read from an OpenAPI document."""


# Not frozen, like Case: a frozen dataclass sets each field through object.__setattr__,
# and every decoded output builds one per call. Treat it as read-only.
@dataclass(slots=True)
class ToolCall:
    """One decoded call: the tool's name and its keyword arguments."""

    name: str
    arguments: dict[str, Any]
    call_id: str | None = None


class ErrorCategory(StrEnum):
    """The reason a check failed, as reported in the per-tool scorecard."""

    WRONG_TOOL = "wrong_tool"
    MISSING_REQUIRED = "missing_required"
    UNEXPECTED_PARAM = "unexpected_param"
    WRONG_TYPE = "wrong_type"
    WRONG_VALUE = "wrong_value"
    WRONG_COUNT = "wrong_count"
    EXTRA_CALL = "extra_call"
    MISSING_CALL = "missing_call"
    WRONG_ORDER = "wrong_order"
    STATE_MISMATCH = "state_mismatch"
    RESPONSE_MISMATCH = "response_mismatch"
    DECODE_FAILURE = "decode_failure"
    IRRELEVANT_CALL = "irrelevant_call"
    NO_CALL = "no_call"


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """The verdict of one check (`schema`, `arguments`, `sequence`, `state`, `relevance`)."""

    check: str
    passed: bool
    category: ErrorCategory | None = None
    detail: str = ""
    """The failure, naming the tool, the parameter and the values involved."""
    tool: str | None = None
    parameter: str | None = None
    reference_error: str | None = None
    """The reference checker's own error type (e.g. `type_error:simple`), in `bfcl` mode."""
    extra: dict[str, Any] = field(default_factory=dict)
