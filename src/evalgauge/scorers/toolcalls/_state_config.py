"""The state backend's configuration, validated by pydantic, and building a backend from it.

```yaml
backend: python
class: examples/orders_service/backend.py:OrdersBackend
```

```yaml
backend: http
base_url: http://127.0.0.1:8081
openapi: examples/orders_service/openapi.yaml
database_url: sqlite:///orders-test.sqlite
reset_sql: ["DELETE FROM items", "DELETE FROM orders"]
probes:
  - {name: orders, path: /orders}
  - {name: items, sql: "SELECT order_id, sku, quantity FROM items ORDER BY 1, 2"}
```
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from evalgauge.errors import ConfigError, ScorerError, UsageError
from evalgauge.scorers.toolcalls._specs import load_tool_specs
from evalgauge.scorers.toolcalls._state import PythonClassBackend, StateBackend
from evalgauge.scorers.toolcalls._state_http import HttpServiceBackend, Probe, ResetRequest


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class PythonBackendConfig(_Strict):
    """A Python class whose public methods are the tools."""

    backend: Literal["python"]
    class_: str = Field(alias="class")
    """`module:Class` or `path/to/file.py:Class`."""
    initial_state: dict[str, Any] | None = None
    """Seed of every instance, unless a case gives its own `expected.initial_state`."""


class ProbeConfig(_Strict):
    name: str
    path: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    sql: str | None = None


class ResetRequestConfig(_Strict):
    method: str = "POST"
    path: str
    json_body: Any = Field(default=None, alias="json")


class HttpBackendConfig(_Strict):
    """The user's HTTP service on a test database, its tools read from its OpenAPI document."""

    backend: Literal["http"]
    base_url: str
    openapi: str
    """Path of the service's OpenAPI 3 document (YAML or JSON)."""
    probes: list[ProbeConfig]
    database_url: str | None = None
    """SQLAlchemy URL of the test database, for SQL probes and `reset_sql`."""
    reset_sql: list[str] = Field(default_factory=list)
    reset_requests: list[ResetRequestConfig] = Field(default_factory=list)
    headers: dict[str, str] = Field(default_factory=dict)
    timeout_s: float = Field(default=10.0, gt=0)


StateBackendConfig = Annotated[
    PythonBackendConfig | HttpBackendConfig, Field(discriminator="backend")
]
_ADAPTER: TypeAdapter[PythonBackendConfig | HttpBackendConfig] = TypeAdapter(StateBackendConfig)


def state_backend_from_config(options: Any, *, key: str = "state_backend") -> StateBackend:
    """Validate the options (a mapping from YAML) and build the backend they describe."""
    try:
        config = _ADAPTER.validate_python(options)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_location(key, error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise ConfigError(f"invalid state backend configuration: {problems}") from None
    if isinstance(config, PythonBackendConfig):
        try:
            return PythonClassBackend(config.class_, initial_state=config.initial_state)
        except (ScorerError, UsageError) as exc:
            raise ConfigError(f"{key}.class: {exc}") from None
    return HttpServiceBackend(
        config.base_url,
        load_tool_specs(config.openapi),
        probes=[Probe(p.name, p.path, dict(p.params), p.sql) for p in config.probes],
        database_url=config.database_url,
        reset_sql=config.reset_sql,
        reset_requests=[
            ResetRequest(r.method.upper(), r.path, r.json_body) for r in config.reset_requests
        ],
        headers=dict(config.headers),
        timeout=config.timeout_s,
    )


def _location(key: str, loc: tuple[int | str, ...]) -> str:
    # pydantic puts the matched `backend` tag first in the location; the user never wrote it.
    parts = loc[1:] if loc and loc[0] in ("python", "http") else loc
    return ".".join([key, *map(str, parts)])
