"""State check on the orders example: the Python class backend and the real HTTP service."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evalgauge.cases import Case
from evalgauge.errors import ConfigError, ScorerError
from evalgauge.scorers.toolcalls._check_scorers import ToolStateScorer
from evalgauge.scorers.toolcalls._model import ToolCall
from evalgauge.scorers.toolcalls._specs import load_tool_specs
from evalgauge.scorers.toolcalls._state import (
    PythonClassBackend,
    check_state,
    run_calls,
    state_diff,
)
from evalgauge.scorers.toolcalls._state_config import state_backend_from_config
from evalgauge.scorers.toolcalls._state_http import HttpServiceBackend, Probe, ResetRequest
from tests.toolcalls._orders import BACKEND, OPENAPI, case_rows, load_example, running_service

CREATE = ToolCall("create_order", {"customer": "a@example.com"})
ADD = ToolCall("add_item", {"order_id": 1, "sku": "BK-101", "quantity": 2})
CANCEL = ToolCall("cancel_order", {"order_id": 1})


def _case(row: dict[str, Any]) -> Case:
    return Case(row["id"], {"prompt": row["prompt"]}, row["output"], None, row["expected"])


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    db_path = tmp_path / "orders.sqlite"
    with running_service(db_path) as base_url:
        yield base_url, db_path


def _http_backend(base_url: str, db_path: Path, **kw: Any) -> HttpServiceBackend:
    app = load_example("app")
    return HttpServiceBackend(
        base_url,
        load_tool_specs(OPENAPI),
        probes=kw.pop("probes", [Probe("orders", path="/orders")]),
        database_url=f"sqlite:///{db_path}",
        reset_sql=app.RESET_SQL,
        **kw,
    )


def test_python_backend_cases() -> None:
    scorer = ToolStateScorer(PythonClassBackend(BACKEND))
    for row in case_rows():
        score = asyncio.run(scorer.score(_case(row), row["output"]))
        assert score.passed is row["checks"]["state"], (row["id"], score.reason)
        if not score.passed:
            assert score.details is not None
            assert score.details["categories"] == {"state_mismatch": 1}


def test_http_service_cases(service: tuple[str, Path]) -> None:
    backend = _http_backend(*service)
    scorer = ToolStateScorer(backend)
    rows = case_rows()

    async def score_all() -> list[Any]:
        # Concurrent scoring must still run one session at a time on the shared database.
        return await asyncio.gather(*(scorer.score(_case(row), row["output"]) for row in rows))

    scores = asyncio.run(score_all())
    backend.close()
    for row, score in zip(rows, scores, strict=True):
        assert score.passed is row["checks"]["state"], (row["id"], score.reason)


def test_diff_names_changed_field() -> None:
    rows = {row["id"]: row for row in case_rows()}
    row = rows["cancel/too-early-python"]
    score = asyncio.run(
        ToolStateScorer(PythonClassBackend(BACKEND)).score(_case(row), row["output"])
    )
    assert score.details is not None
    (difference,) = score.details["diff"]
    assert difference == {
        "path": "root['orders'][0]['status']",
        "change": "values_changed",
        "expected": "cancelled",
        "actual": "open",
    }
    first_call = score.details["calls"][0]
    assert first_call["ok"] is False
    assert "no order 1" in first_call["error"]


def test_expected_calls_give_state() -> None:
    backend = PythonClassBackend(BACKEND)
    result = asyncio.run(check_state(backend, [CREATE, ADD], expected_calls=[CREATE, ADD]))
    assert result.passed
    assert len(result.expected_results) == 2
    result = asyncio.run(check_state(backend, [CREATE], expected_calls=[CREATE, ADD]))
    assert not result.passed
    assert result.diff[0]["path"] == "root['orders'][0]['items'][0]"
    assert result.diff[0]["change"] == "iterable_item_removed"


def test_failing_expected_call_is_scorer_error() -> None:
    backend = PythonClassBackend(BACKEND)
    with pytest.raises(ScorerError, match="expected call 'cancel_order' failed"):
        asyncio.run(check_state(backend, [], expected_calls=[CANCEL]))


def test_fresh_instance_per_session() -> None:
    backend = PythonClassBackend(BACKEND)
    _, first = asyncio.run(run_calls(backend, [CREATE]))
    _, second = asyncio.run(run_calls(backend, []))
    assert len(first["orders"]) == 1
    assert second == {"orders": []}


def test_initial_state_from_case() -> None:
    seeded = {"orders": [{"id": 7, "customer": "z@example.com", "status": "open", "items": []}]}
    expected = {
        "initial_state": seeded,
        "calls": [[{"name": "cancel_order", "arguments": {"order_id": 7}}]],
    }
    case = Case("seeded", {}, None, None, expected)
    output = "[cancel_order(order_id=7)]"
    score = asyncio.run(ToolStateScorer(PythonClassBackend(BACKEND)).score(case, output))
    assert score.passed, score.reason


def test_private_names_rejected() -> None:
    backend = PythonClassBackend(BACKEND)
    calls = [ToolCall("_add", {"order": {}, "sku": "x", "quantity": 1}), ToolCall("__init__", {})]
    results, state = asyncio.run(run_calls(backend, calls))
    assert [r.ok for r in results] == [False, False]
    assert all("no tool named" in str(r.error) for r in results)
    assert state == {"orders": []}


def test_backend_exception_recorded() -> None:
    results, _ = asyncio.run(
        run_calls(PythonClassBackend(BACKEND), [ADD, ToolCall("get_order", {"id": 1})])
    )
    assert results[0].error == "OrderError: no order 1"
    assert results[1].error is not None
    assert results[1].error.startswith("TypeError")


def test_deep_arguments_recorded(service: tuple[str, Path]) -> None:
    deep: Any = "leaf"
    for _ in range(3000):
        deep = [deep]
    call = ToolCall("create_order", {"customer": "a@example.com", "items": deep})
    http_backend = _http_backend(*service)
    for backend in (PythonClassBackend(BACKEND), http_backend):
        results, _ = asyncio.run(run_calls(backend, [call]))
        assert results[0].ok is False, type(backend).__name__
        assert results[0].error is not None
    http_backend.close()


def test_backend_must_be_class() -> None:
    with pytest.raises(ScorerError, match="is not a class"):
        PythonClassBackend(f"{BACKEND.rsplit(':', 1)[0]}:OrderError.__init__")


def test_state_diff_ignores() -> None:
    expected = {"orders": [{"id": 1, "created_at": "x"}, {"id": 2, "created_at": "y"}]}
    actual = {"orders": [{"id": 2, "created_at": "z"}, {"id": 1, "created_at": "w"}]}
    assert (
        state_diff(expected, actual, ignore_order=True, ignore_paths=[r"\['created_at'\]$"]) == []
    )
    assert len(state_diff(expected, actual, ignore_paths=[r"\['created_at'\]$"])) == 2


def test_http_calls_reach_service(service: tuple[str, Path]) -> None:
    backend = _http_backend(*service)
    results, state = asyncio.run(
        run_calls(backend, [CREATE, ADD, ToolCall("get_order", {"order_id": 1})])
    )
    backend.close()
    assert [r.ok for r in results] == [True, True, True]
    assert results[2].result["items"] == [{"sku": "BK-101", "quantity": 2}]
    assert state["orders"][0]["customer"] == "a@example.com"


def test_http_error_recorded(service: tuple[str, Path]) -> None:
    backend = _http_backend(*service)
    results, _ = asyncio.run(
        run_calls(backend, [CANCEL, ToolCall("nope", {}), ToolCall("get_order", {"x": 1})])
    )
    backend.close()
    assert results[0].error is not None
    assert results[0].error.startswith("HTTP 404")
    assert results[1].error is not None
    assert "no tool named 'nope'" in results[1].error
    assert results[2].error is not None
    assert "not a parameter" in results[2].error


def test_http_reset_between_sessions(service: tuple[str, Path]) -> None:
    backend = _http_backend(*service)
    asyncio.run(run_calls(backend, [CREATE, CREATE]))
    results, state = asyncio.run(run_calls(backend, [CREATE]))
    backend.close()
    assert results[0].result["id"] == 1
    assert len(state["orders"]) == 1


def test_sql_probe(service: tuple[str, Path]) -> None:
    probes = [
        Probe("items", sql="SELECT order_id, sku, quantity FROM items ORDER BY order_id, sku")
    ]
    backend = _http_backend(*service, probes=probes)
    result = asyncio.run(check_state(backend, [CREATE, ADD], expected_calls=[CREATE, ADD]))
    assert result.passed
    wrong = ToolCall("add_item", {"order_id": 1, "sku": "BK-101", "quantity": 3})
    result = asyncio.run(check_state(backend, [CREATE, wrong], expected_calls=[CREATE, ADD]))
    backend.close()
    assert not result.passed
    assert result.diff[0]["path"] == "root['items'][0]['quantity']"
    assert (result.diff[0]["expected"], result.diff[0]["actual"]) == (2, 3)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_service_down_is_scorer_error(tmp_path: Path) -> None:
    backend = HttpServiceBackend(
        f"http://127.0.0.1:{_free_port()}",
        load_tool_specs(OPENAPI),
        probes=[Probe("orders", path="/orders")],
        reset_requests=[ResetRequest("POST", "/reset")],
        timeout=2,
    )
    with pytest.raises(ScorerError, match="reset request POST /reset failed"):
        asyncio.run(run_calls(backend, [CREATE]))


def test_http_backend_config_errors() -> None:
    specs = load_tool_specs(OPENAPI)
    with pytest.raises(ConfigError, match="at least one state probe"):
        HttpServiceBackend("http://127.0.0.1:1", specs, probes=[])
    with pytest.raises(ConfigError, match="need `database_url`"):
        HttpServiceBackend("http://127.0.0.1:1", specs, probes=[Probe("x", sql="SELECT 1")])
    with pytest.raises(ConfigError, match="no HTTP operation"):
        HttpServiceBackend(
            "http://127.0.0.1:1", load_tool_specs(BACKEND), probes=[Probe("x", path="/")]
        )
    with pytest.raises(ConfigError, match="exactly one of"):
        Probe("x")


def test_python_backend_from_config() -> None:
    backend = state_backend_from_config({"backend": "python", "class": BACKEND})
    assert isinstance(backend, PythonClassBackend)
    assert "cancel_order" in backend.tools


def test_http_backend_from_config(service: tuple[str, Path]) -> None:
    base_url, db_path = service
    options = {
        "backend": "http",
        "base_url": base_url,
        "openapi": str(OPENAPI),
        "database_url": f"sqlite:///{db_path}",
        "reset_sql": load_example("app").RESET_SQL,
        "probes": [{"name": "orders", "path": "/orders"}],
    }
    backend = state_backend_from_config(options)
    assert isinstance(backend, HttpServiceBackend)
    result = asyncio.run(check_state(backend, [CREATE], expected_calls=[CREATE]))
    backend.close()
    assert result.passed


def test_backend_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"state_backend\.probes: Field required"):
        state_backend_from_config({"backend": "http", "base_url": "x", "openapi": "y"})
    with pytest.raises(ConfigError, match="state_backend: Input tag 'ftp'"):
        state_backend_from_config({"backend": "ftp"})
    with pytest.raises(ConfigError, match=r"state_backend\.class: .* is not a class"):
        state_backend_from_config({"backend": "python", "class": f"{BACKEND}.create_order"})
