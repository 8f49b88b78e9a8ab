"""The user's HTTP service as a state-check backend, running on a test database.

Each call becomes the real request its OpenAPI operation describes: path arguments fill the
path template, query, header and cookie arguments go where the document puts them, and body
arguments form the JSON body. Before each session the backend resets the test database with
the configured SQL statements (or HTTP requests), and the state is what the configured probes
return: GET requests to the service, or SQL queries against the database.

All sessions share one database, so the backend is `exclusive`: the state scorer runs one
session at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx2

from evalgauge.errors import ConfigError, ScorerError
from evalgauge.scorers.toolcalls._model import ToolCall, ToolSpec
from evalgauge.scorers.toolcalls._state import CallResult, StateSession

MAX_ERROR_BODY = 500
"""Characters of an error response kept in a call's result."""


@dataclass(frozen=True, slots=True)
class Probe:
    """One read of the service's state: a GET request (`path`) or a SQL query (`sql`)."""

    name: str
    path: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    sql: str | None = None

    def __post_init__(self) -> None:
        if (self.path is None) == (self.sql is None):
            raise ConfigError(f"state probe {self.name!r}: give exactly one of `path` or `sql`")


@dataclass(frozen=True, slots=True)
class ResetRequest:
    """An HTTP request that returns the service to its starting state."""

    method: str
    path: str
    json: Any = None


class HttpServiceBackend:
    """Calls the tools of `specs` (read from the service's OpenAPI document) over HTTP."""

    exclusive = True

    def __init__(
        self,
        base_url: str,
        specs: Sequence[ToolSpec],
        *,
        probes: Sequence[Probe],
        database_url: str | None = None,
        reset_sql: Sequence[str] = (),
        reset_requests: Sequence[ResetRequest] = (),
        headers: dict[str, str] | None = None,
        timeout: float = 10.0,
    ) -> None:
        missing = [spec.name for spec in specs if spec.http is None]
        if missing:
            raise ConfigError(
                f"tools {missing} have no HTTP operation; load them from the service's "
                "OpenAPI document"
            )
        if not probes:
            raise ConfigError("an HTTP state backend needs at least one state probe")
        needs_db = bool(reset_sql) or any(probe.sql for probe in probes)
        if needs_db and database_url is None:
            raise ConfigError(
                "SQL probes and reset statements need `database_url` (a SQLAlchemy URL)"
            )
        self.base_url = base_url.rstrip("/")
        self.specs = {spec.name: spec for spec in specs}
        self.probes = tuple(probes)
        self.reset_sql = tuple(reset_sql)
        self.reset_requests = tuple(reset_requests)
        self.headers = headers or {}
        self.timeout = timeout
        self._engine: Any = None
        if database_url is not None:
            from sqlalchemy import create_engine

            self._engine = create_engine(database_url)

    async def session(self) -> StateSession:
        client = httpx2.AsyncClient(
            base_url=self.base_url, headers=self.headers, timeout=self.timeout
        )
        try:
            await self._reset(client)
        except BaseException:
            await client.aclose()
            raise
        return _HttpSession(self, client)

    async def _reset(self, client: httpx2.AsyncClient) -> None:
        if self.reset_sql:
            await asyncio.to_thread(self._execute_sql, self.reset_sql)
        for request in self.reset_requests:
            try:
                response = await client.request(request.method, request.path, json=request.json)
            except httpx2.HTTPError as exc:
                raise ScorerError(
                    f"reset request {request.method} {request.path} failed: {exc}"
                ) from exc
            if response.status_code >= 400:
                raise ScorerError(
                    f"reset request {request.method} {request.path} returned HTTP "
                    f"{response.status_code}: {response.text[:MAX_ERROR_BODY]}"
                )

    def _execute_sql(self, statements: Sequence[str]) -> None:
        from sqlalchemy import text
        from sqlalchemy.exc import SQLAlchemyError

        try:
            with self._engine.begin() as connection:
                for statement in statements:
                    connection.execute(text(statement))
        except SQLAlchemyError as exc:
            raise ScorerError(f"resetting the test database failed: {exc}") from exc

    def query_sql(self, sql: str) -> list[dict[str, Any]]:
        from sqlalchemy import text
        from sqlalchemy.exc import SQLAlchemyError

        try:
            with self._engine.connect() as connection:
                return [dict(row._mapping) for row in connection.execute(text(sql))]
        except SQLAlchemyError as exc:
            raise ScorerError(f"state probe query failed: {exc}") from exc

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


class _HttpSession:
    def __init__(self, backend: HttpServiceBackend, client: httpx2.AsyncClient) -> None:
        self.backend = backend
        self.client = client

    async def execute(self, call: ToolCall) -> CallResult:
        spec = self.backend.specs.get(call.name)
        if spec is None or spec.http is None:
            known = ", ".join(sorted(self.backend.specs))
            return CallResult(call, False, error=f"no tool named {call.name!r}; tools: {known}")
        try:
            request = build_request(self.client, spec, call.arguments)
            response = await self.client.send(request)
        except (httpx2.HTTPError, ValueError, TypeError, RecursionError) as exc:
            return CallResult(call, False, error=f"request failed: {type(exc).__name__}: {exc}")
        body = _body(response)
        if response.status_code >= 400:
            return CallResult(
                call, False, body, f"HTTP {response.status_code}: {str(body)[:MAX_ERROR_BODY]}"
            )
        return CallResult(call, True, body)

    async def snapshot(self) -> dict[str, Any]:
        state: dict[str, Any] = {}
        for probe in self.backend.probes:
            if probe.sql is not None:
                state[probe.name] = await asyncio.to_thread(self.backend.query_sql, probe.sql)
                continue
            assert probe.path is not None
            try:
                response = await self.client.get(probe.path, params=probe.params)
            except httpx2.HTTPError as exc:
                raise ScorerError(
                    f"state probe {probe.name!r} GET {probe.path} failed: {exc}"
                ) from exc
            body = _body(response)
            state[probe.name] = (
                body
                if response.status_code < 400
                else {"status": response.status_code, "body": body}
            )
        return state

    async def close(self) -> None:
        await self.client.aclose()


def build_request(
    client: httpx2.AsyncClient, spec: ToolSpec, arguments: dict[str, Any]
) -> httpx2.Request:
    """Build the HTTP request for one call.

    Raises ValueError when an argument has no place in the request.
    """
    assert spec.http is not None
    http = spec.http
    flat_body = http.body_argument is None and "body" in http.locations.values()
    path = http.path
    query: dict[str, Any] = {}
    headers: dict[str, str] = {}
    cookies: list[str] = []
    body: dict[str, Any] = {}
    whole_body: Any = None
    for name, value in arguments.items():
        location = http.locations.get(name, "body" if flat_body else None)
        if location is None:
            raise ValueError(f"argument {name!r} is not a parameter of {spec.name!r}")
        if location == "path":
            path = path.replace("{" + name + "}", quote(str(value), safe=""))
        elif location == "query":
            query[name] = value
        elif location == "header":
            headers[name] = str(value)
        elif location == "cookie":
            cookies.append(f"{name}={quote(str(value), safe='')}")
        elif name == http.body_argument:
            whole_body = value
        else:
            body[name] = value
    if "{" in path:
        raise ValueError(f"path {path!r} of {spec.name!r} still has unfilled parameters")
    if cookies:
        headers["Cookie"] = "; ".join(cookies)
    payload: Any = None
    if http.body_argument is not None:
        payload = whole_body
    elif flat_body:
        payload = body
    return client.build_request(
        http.method, path, params=query or None, headers=headers or None, json=payload
    )


def _body(response: httpx2.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text
