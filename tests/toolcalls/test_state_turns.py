"""Multi-turn state check on the orders example: state and responses after every turn."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evalgauge.cases import Case
from evalgauge.errors import ScorerError
from evalgauge.scorers._base import Score
from evalgauge.scorers.toolcalls._check_scorers import ToolStateScorer
from evalgauge.scorers.toolcalls._model import ErrorCategory, ToolCall
from evalgauge.scorers.toolcalls._specs import load_tool_specs
from evalgauge.scorers.toolcalls._state import PythonClassBackend
from evalgauge.scorers.toolcalls._state_http import HttpServiceBackend, Probe
from evalgauge.scorers.toolcalls._state_turns import check_state_turns, decode_turns
from tests.toolcalls._orders import BACKEND, EXAMPLE_DIR, OPENAPI, load_example, running_service

CREATE = {"name": "create_order", "arguments": {"customer": "a@example.com"}}
ADD = {"name": "add_item", "arguments": {"order_id": 1, "sku": "BK-101", "quantity": 2}}
GET = {"name": "get_order", "arguments": {"order_id": 1}}
TURNS = [[CREATE], [ADD], [GET]]
# The last turn only reads: its expected result, an empty list, leaves no trace in the state.
LIST_CANCELLED = {"name": "list_orders", "arguments": {"status": "cancelled"}}
READ_TURNS = [[CREATE], [ADD], [LIST_CANCELLED]]


def _case(turns: list[list[Any]] = TURNS) -> Case:
    return Case("multi", {}, None, None, {"turns": turns})


def _output(*turns: str) -> str:
    return json.dumps(list(turns))


def _score(output: str, turns: list[list[Any]] = TURNS, **kw: Any) -> Score:
    scorer = ToolStateScorer(PythonClassBackend(BACKEND), **kw)
    score: Score = asyncio.run(scorer.score(_case(turns), output))
    json.dumps(score.details)
    return score


RIGHT = _output(
    "[create_order(customer='a@example.com')]",
    "[add_item(order_id=1, sku='BK-101', quantity=2)]",
    "[get_order(order_id=1)]",
)


def test_all_turns_right() -> None:
    score = _score(RIGHT)
    assert score.passed is True
    assert score.details is not None
    assert score.details["turn_pass_rate"] == 1.0
    assert [t["passed"] for t in score.details["turns"]] == [True, True, True]


def test_wrong_turn_fails_case() -> None:
    output = _output(
        "[create_order(customer='a@example.com')]",
        "[add_item(order_id=1, sku='BK-101', quantity=3)]",
        "[get_order(order_id=1)]",
    )
    score = _score(output)
    assert score.passed is False
    assert score.value == 0.0
    assert score.details is not None
    turns = score.details["turns"]
    assert [t["passed"] for t in turns] == [True, False, False]
    assert turns[1]["diff"][0]["path"] == "root['orders'][0]['items'][0]['quantity']"
    assert {o["category"] for o in turns[2]["outcomes"]} == {"state_mismatch", "response_mismatch"}
    assert score.details["turn_pass_rate"] == pytest.approx(1 / 3)


def test_per_turn_credit() -> None:
    output = _output(
        "[create_order(customer='a@example.com')]",
        "[add_item(order_id=1, sku='BK-101', quantity=2)]",
        "[list_orders()]",
    )
    score = _score(output, READ_TURNS, turn_credit="per_turn")
    assert score.passed is False
    assert score.value == pytest.approx(2 / 3)


def test_read_only_turn_needs_response() -> None:
    output = _output(
        "[create_order(customer='a@example.com')]",
        "[add_item(order_id=1, sku='BK-101', quantity=2)]",
        "[list_orders()]",
    )
    score = _score(output, READ_TURNS)
    assert score.details is not None
    (outcome,) = score.details["turns"][2]["outcomes"]
    assert outcome["category"] == "response_mismatch"
    assert outcome["missing_results"] == ["[]"]
    assert _score(output, READ_TURNS, check_responses=False).passed is True


def test_earlier_response_counts() -> None:
    # The expected result of turn 2 was already returned in turn 1, which BFCL accepts.
    output = _output(
        "[create_order(customer='a@example.com')]",
        "[add_item(order_id=1, sku='BK-101', quantity=2), list_orders(status='cancelled')]",
        "[get_order(order_id=1)]",
    )
    score = _score(output, READ_TURNS)
    assert score.passed is True, score.reason


def test_unachievable_turn_not_checked() -> None:
    turns: list[list[Any]] = [[CREATE], [], [ADD]]
    output = _output(
        "[create_order(customer='a@example.com')]",
        "[cancel_order(order_id=1)]",
        "[add_item(order_id=1, sku='BK-101', quantity=2)]",
    )
    score = _score(output, turns)
    assert score.details is not None
    assert [t["checked"] for t in score.details["turns"]] == [True, False, True]
    # The unchecked turn still ran: the order is cancelled, so the later add fails.
    assert score.details["turns"][2]["passed"] is False


def test_empty_model_turn() -> None:
    output = _output("[create_order(customer='a@example.com')]", "I can't do that.", "[]")
    score = _score(output)
    assert score.details is not None
    categories = [o["category"] for t in score.details["turns"] for o in t["outcomes"]]
    assert categories == ["no_call", "no_call"]
    assert score.details["turns"][1]["outcomes"][0]["reference_error"] == (
        "multi_turn:empty_turn_model_response"
    )


def test_turn_count_mismatch() -> None:
    score = _score(_output("[create_order(customer='a@example.com')]"))
    assert score.passed is False
    assert score.details is not None
    (outcome,) = score.details["outcomes"]
    assert outcome["category"] == "wrong_count"
    assert outcome["reference_error"] == "multi_turn:force_terminated"


def test_step_outputs_skip_chat() -> None:
    output = json.dumps(
        [
            ["Sure, creating it.", "[create_order(customer='a@example.com')]"],
            [json.dumps({"tool_calls": [{"type": "function", "function": {
                "name": "add_item", "arguments": json.dumps(ADD["arguments"])}}]})],
            "[get_order(order_id=1)]",
        ]
    )  # fmt: skip
    assert _score(output).passed is True


def test_expected_python_strings() -> None:
    turns: list[list[Any]] = [
        ["create_order(customer='a@example.com')"],
        ["add_item(order_id=1, sku='BK-101', quantity=2)"],
        ["get_order(order_id=1)"],
    ]
    assert _score(RIGHT, turns).passed is True


def test_expected_unreadable_string() -> None:
    with pytest.raises(ScorerError, match="expected turn 0: cannot read"):
        _score(RIGHT, [["create_order(customer="]])


def test_expected_turns_shape() -> None:
    with pytest.raises(ScorerError, match="one list of calls per turn"):
        _score(RIGHT, [CREATE])  # type: ignore[list-item]


def test_output_not_array() -> None:
    score = _score("[create_order(customer='a@example.com')]")
    assert score.passed is False
    assert score.details == {"categories": {"decode_failure": 1}, "turns": []}
    assert decode_turns('{"a": 1}') == "a multi-turn output must be a JSON array, found dict"


def test_check_state_turns_direct() -> None:
    create = ToolCall("create_order", {"customer": "a@example.com"})
    result = asyncio.run(
        check_state_turns(PythonClassBackend(BACKEND), [[create], []], [[create], [create]])
    )
    assert result.passed is False
    assert result.outcomes[0].category is ErrorCategory.NO_CALL
    assert result.turn_pass_rate == 0.5


@pytest.fixture
def http_backend(tmp_path: Path) -> Iterator[HttpServiceBackend]:
    db_path = tmp_path / "orders.sqlite"
    with running_service(db_path) as base_url:
        backend = HttpServiceBackend(
            base_url,
            load_tool_specs(OPENAPI),
            probes=[Probe("orders", path="/orders")],
            database_url=f"sqlite:///{db_path}",
            reset_sql=load_example("app").RESET_SQL,
        )
        yield backend
        backend.close()


def test_http_service_turns(http_backend: HttpServiceBackend) -> None:
    scorer = ToolStateScorer(http_backend)
    wrong = RIGHT.replace("quantity=2", "quantity=5")

    async def both() -> list[Score]:
        return list(
            await asyncio.gather(scorer.score(_case(), RIGHT), scorer.score(_case(), wrong))
        )

    right_score, wrong_score = asyncio.run(both())
    assert right_score.passed is True, right_score.reason
    assert wrong_score.passed is False
    assert wrong_score.details is not None
    assert [t["passed"] for t in wrong_score.details["turns"]] == [True, False, False]


def test_example_turn_cases() -> None:
    rows = [json.loads(line) for line in (EXAMPLE_DIR / "turns.jsonl").read_text().splitlines()]
    assert len(rows) == 4
    scorer = ToolStateScorer(PythonClassBackend(BACKEND))
    for row in rows:
        case = Case(row["id"], {"prompts": row["prompts"]}, row["output"], None, row["expected"])
        score = asyncio.run(scorer.score(case, row["output"]))
        assert score.passed is row["passed"], (row["id"], score.reason)
        assert score.details is not None
        assert sorted(score.details["categories"]) == row["categories"], row["id"]
