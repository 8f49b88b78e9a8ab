"""The exact-match and contains scorers, on the values datasets produce."""

from __future__ import annotations

import pytest

from evalgauge.cases import Case
from evalgauge.datasets._mapping import FieldMapping
from evalgauge.datasets._rows import RowMapper
from evalgauge.errors import ScorerError
from evalgauge.scorers._text import Contains, ExactMatch


def _recorded(output: object, expected: object) -> Case:
    """Map a row as the dataset loader does, so non-string outputs become compact JSON."""
    mapper = RowMapper(
        FieldMapping(inputs=("q",), output="out", expected="exp"), require_labels=False
    )
    return mapper.build({"q": "x", "out": output, "exp": expected}, "c1")


@pytest.mark.parametrize("value", [{"x": 1, "y": [True, None]}, True, [1, 2], 2.5, 10**16, "plain"])
def test_exact_match_equal_recorded_values(value: object) -> None:
    case = _recorded(value, value)
    assert case.output is not None
    assert ExactMatch().score_now(case, case.output).passed is True


def test_exact_match_json_form_of_expected() -> None:
    case = Case("c1", {}, expected=True)
    assert ExactMatch().score_now(case, "true").passed is True
    assert ExactMatch().score_now(case, "True").passed is False
    assert ExactMatch(normalize=True).score_now(case, "True").passed is True


def test_contains_rejects_empty_expected() -> None:
    # A CSV cell left empty reads as "", which every output would contain.
    case = Case("c1", {}, expected="")
    with pytest.raises(ScorerError, match="empty expected text"):
        Contains().score_now(case, "anything")


def test_contains_looks_for_json_form() -> None:
    case = Case("c1", {}, expected=["x"])
    assert Contains().score_now(case, 'the answer is ["x"]').passed is True
    assert Contains().score_now(case, "the answer is ['x']").passed is False
