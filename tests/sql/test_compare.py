"""The result comparator: row semantics, column permutation, tolerance, NULL and empty results."""

from __future__ import annotations

import pytest

from evalgauge.scorers.sql import CompareOptions, compare_results
from evalgauge.scorers.sql._compare import gold_orders_output

BAG = CompareOptions(rows="bag")
SET = CompareOptions(rows="set")
LIST = CompareOptions(rows="list")


def test_bag_counts_duplicates() -> None:
    verdict = compare_results([(1,), (1,), (2,)], [(1,), (2,), (2,)], BAG, ordered=False)
    assert not verdict.match
    assert verdict.reason == "values"
    assert verdict.diff == "missing [(1,)]; unexpected [(2,)]"


def test_bag_ignores_order() -> None:
    assert compare_results([(1,), (2,)], [(2,), (1,)], BAG, ordered=False).match


def test_set_ignores_duplicates() -> None:
    assert compare_results([(1,), (1,), (2,)], [(2,), (1,)], SET, ordered=False).match


def test_list_reports_order() -> None:
    verdict = compare_results([(1,), (2,)], [(2,), (1,)], LIST, ordered=False)
    assert not verdict.match
    assert verdict.reason == "order"
    assert "row 0" in (verdict.diff or "")


def test_ordered_if_gold_orders() -> None:
    options = CompareOptions(rows="ordered_if_gold_orders")
    assert not compare_results([(1,), (2,)], [(2,), (1,)], options, ordered=True).match
    assert compare_results([(1,), (2,)], [(2,), (1,)], options, ordered=False).match


def test_row_count_diff() -> None:
    verdict = compare_results([(1,), (2,)], [(1,)], BAG, ordered=False)
    assert verdict.reason == "row_count"
    assert verdict.diff is not None
    assert verdict.diff.startswith("gold has 2 rows, prediction 1")


def test_column_count() -> None:
    verdict = compare_results([(1, 2)], [(1,)], BAG, ordered=False)
    assert verdict.reason == "column_count"


def test_column_permutation() -> None:
    gold = [(1, "a", 2.5), (2, "b", 3.5)]
    pred = [("a", 2.5, 1), ("b", 3.5, 2)]
    assert compare_results(gold, pred, BAG, ordered=False).match
    positional = CompareOptions(rows="bag", column_permutation=False)
    assert not compare_results(gold, pred, positional, ordered=False).match


def test_wide_permutation_search() -> None:
    # columns with equal value sets force the search past pruning
    gold = [(i, i + 1, i + 2, i + 3, i + 4, i + 5) for i in range(0, 60, 6)]
    pred = [(r[5], r[3], r[1], r[0], r[2], r[4]) for r in gold]
    assert compare_results(gold, pred, BAG, ordered=False).match
    pred[0] = (0, 0, 0, 0, 0, 0)
    assert not compare_results(gold, pred, BAG, ordered=False).match


def test_permutation_keeps_rows_aligned() -> None:
    # same column value sets, but no single permutation maps the rows
    gold = [(1, 2), (2, 1), (1, 1)]
    pred = [(1, 2), (1, 2), (2, 1)]
    assert not compare_results(gold, pred, BAG, ordered=False).match


def test_python_equality_of_numbers() -> None:
    assert compare_results([(1, True)], [(1.0, 1)], BAG, ordered=False).match


def test_float_tolerance() -> None:
    gold = [(0.1 + 0.2, "x")]
    pred = [(0.3, "x")]
    assert not compare_results(gold, pred, BAG, ordered=False).match
    relative = CompareOptions(rows="bag", rel_tol=1e-9)
    assert compare_results(gold, pred, relative, ordered=False).match
    absolute = CompareOptions(rows="bag", abs_tol=0.01)
    assert compare_results([(10.004,)], [(10.0,)], absolute, ordered=False).match
    assert not compare_results([(10.02,)], [(10.0,)], absolute, ordered=False).match


def test_tolerance_with_permutation() -> None:
    options = CompareOptions(rows="bag", rel_tol=1e-6)
    gold = [(1.0000001, "a"), (2.0, "b")]
    pred = [("b", 2.0), ("a", 1.0)]
    assert compare_results(gold, pred, options, ordered=False).match


def test_unhashable_values() -> None:
    gold = [([1, 2], {"a": 1}), ([3], {"a": 2})]
    pred = [({"a": 2}, [3]), ({"a": 1}, [1, 2])]
    assert compare_results(gold, pred, BAG, ordered=False).match
    assert not compare_results(gold, [([1, 2], {"a": 1})] * 2, BAG, ordered=False).match


def test_null_equality_option() -> None:
    assert compare_results([(None, 1)], [(None, 1)], BAG, ordered=False).match
    strict = CompareOptions(rows="bag", null_equals_null=False)
    assert not compare_results([(None, 1)], [(None, 1)], strict, ordered=False).match


def test_both_empty_flagged() -> None:
    verdict = compare_results([], [], BAG, ordered=False)
    assert verdict.match
    assert verdict.both_empty
    assert verdict.reason == "both_empty"
    refused = compare_results([], [], CompareOptions(empty_matches=False), ordered=False)
    assert not refused.match
    assert refused.both_empty


def test_one_empty_is_mismatch() -> None:
    verdict = compare_results([], [(1,)], BAG, ordered=False)
    assert not verdict.match
    assert not verdict.both_empty


def test_quick_reject_strictness() -> None:
    # Sorting each row by str(value)+str(type) puts '1.5' before 1 but after 1.0, so
    # test-suite-sql-eval's quick check rejects rows that are equal column by column.
    gold = [(1, "1.5")]
    pred = [(1.0, "1.5")]
    assert compare_results(gold, pred, BAG, ordered=False).match
    quick = CompareOptions(rows="bag", quick_reject=True)
    assert not compare_results(gold, pred, quick, ordered=False).match


@pytest.mark.parametrize(
    ("sql", "parsed", "substring"),
    [
        ("SELECT a FROM t ORDER BY a", True, True),
        ("SELECT a FROM t WHERE b IN (SELECT b FROM u ORDER BY b LIMIT 3)", False, True),
        ("SELECT a FROM t UNION SELECT b FROM u ORDER BY a", True, True),
        ("SELECT * FROM (SELECT a FROM t ORDER BY a)", False, True),
        ("SELECT 'order by' FROM t", False, True),
        ("SELECT a FROM t", False, False),
    ],
)
def test_gold_order_rules(sql: str, parsed: bool, substring: bool) -> None:
    assert gold_orders_output(sql, "parsed") is parsed
    assert gold_orders_output(sql, "substring") is substring
