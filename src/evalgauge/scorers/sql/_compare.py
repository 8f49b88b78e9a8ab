"""One configurable comparison of a gold and a predicted query result."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from sqlglot import exp

from evalgauge.scorers.sql._executor import Row
from evalgauge.scorers.sql._parse import parse_query

RowSemantics = Literal["set", "bag", "list", "ordered_if_gold_orders"]
OrderRule = Literal["parsed", "substring"]

MAX_PERMUTATIONS = 100_000
_DIFF_ROWS = 3


@dataclass(frozen=True, slots=True)
class CompareOptions:
    """Options that decide when two results are equal.

    `rows`: "set" ignores order and duplicates, "bag" ignores order only, "list" compares
    row by row, and "ordered_if_gold_orders" is a list when the gold query orders its output
    and a bag otherwise. `order_rule` decides that: "parsed" looks for an ORDER BY on the
    outermost query, "substring" for the text "order by" anywhere in the gold query.
    """

    rows: RowSemantics = "ordered_if_gold_orders"
    order_rule: OrderRule = "parsed"
    column_permutation: bool = True
    """Match columns up to a permutation instead of by position."""
    abs_tol: float = 0.0
    rel_tol: float = 0.0
    null_equals_null: bool = True
    empty_matches: bool = True
    """Whether two empty results match; either way the comparison is flagged `both_empty`."""
    quick_reject: bool = False
    """Reject first unless the rows, each sorted by `str(value) + str(type(value))`, agree as a
    list (ordered) or a set. test-suite-sql-eval applies this check before its search."""


@dataclass(frozen=True, slots=True)
class Comparison:
    """The verdict of one comparison, with a short description of the first difference."""

    match: bool
    reason: str
    """equal, both_empty, row_count, column_count, values or order."""
    both_empty: bool = False
    diff: str | None = None


def compare_results(
    gold: Sequence[Row], pred: Sequence[Row], options: CompareOptions, *, ordered: bool
) -> Comparison:
    """Compare two results; `ordered` is True when the gold query orders its output."""
    if not gold and not pred:
        return Comparison(options.empty_matches, "both_empty", both_empty=True)
    semantics = _semantics(options, ordered)
    gold_rows = _keyed(gold, options)
    pred_rows = _keyed(pred, options)
    if semantics == "set":
        gold_rows, pred_rows = list(dict.fromkeys(gold_rows)), list(dict.fromkeys(pred_rows))
    if len(gold_rows) != len(pred_rows):
        return Comparison(False, "row_count", diff=_count_diff(gold, pred, semantics))
    width = len(gold_rows[0])
    if len(pred_rows[0]) != width:
        return Comparison(
            False, "column_count", diff=f"gold has {width} columns, prediction {len(pred[0])}"
        )
    if not options.quick_reject or _quick_check(gold_rows, pred_rows, semantics == "list"):
        if _search(gold_rows, pred_rows, semantics, options.column_permutation, _exact_equal):
            return Comparison(True, "equal")
        if (options.abs_tol or options.rel_tol) and _has_float(gold_rows):
            equal = _tolerant_equal(options.abs_tol, options.rel_tol)
            if _search(gold_rows, pred_rows, semantics, options.column_permutation, equal):
                return Comparison(True, "equal")
    if semantics == "list" and Counter(gold_rows) == Counter(pred_rows):
        return Comparison(False, "order", diff=_order_diff(gold_rows, pred_rows))
    return Comparison(False, "values", diff=_row_diff(gold_rows, pred_rows))


def _semantics(options: CompareOptions, ordered: bool) -> str:
    if options.rows == "ordered_if_gold_orders":
        return "list" if ordered else "bag"
    return options.rows


def gold_orders_output(sql: str, rule: OrderRule, dialect: str = "sqlite") -> bool:
    """Decide whether the gold query's row order is part of its result."""
    if rule == "substring":
        return "order by" in sql.lower()
    tree = parse_query(sql, dialect)
    if tree is None:
        return "order by" in sql.lower()
    while isinstance(tree, exp.Subquery):
        tree = tree.this
    return tree.args.get("order") is not None


class _Null:
    """A NULL that equals nothing, not even another NULL."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NULL"


def _keyed(rows: Sequence[Row], options: CompareOptions) -> list[Row]:
    keyed = list(rows)
    try:
        for row in keyed:
            hash(row)
    except TypeError:
        # DuckDB and PostgreSQL return lists and dicts for LIST, ARRAY, STRUCT and JSON values
        keyed = [tuple(_hashable(value) for value in row) for row in keyed]
    if options.null_equals_null:
        return keyed
    return [tuple(_Null() if value is None else value for value in row) for row in keyed]


def _hashable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_hashable(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), _hashable(v)) for k, v in value.items()))
    if isinstance(value, set):
        return frozenset(_hashable(item) for item in value)
    return value


def _unordered_row(row: Row) -> Row:
    if len(row) < 2:
        return tuple(row)
    return tuple(sorted(row, key=_quick_key))


_TYPE_TEXT: dict[type, str] = {}
"""`str(type(value))` by type, so that the quick check formats each type name once."""


def _quick_key(value: Any) -> str:
    kind = type(value)
    text = _TYPE_TEXT.get(kind)
    if text is None:
        text = _TYPE_TEXT[kind] = str(kind)
    return str(value) + text


def _quick_check(gold: list[Row], pred: list[Row], ordered: bool) -> bool:
    gold_unordered = [_unordered_row(row) for row in gold]
    pred_unordered = [_unordered_row(row) for row in pred]
    if ordered:
        return gold_unordered == pred_unordered
    return set(gold_unordered) == set(pred_unordered)


def _exact_equal(gold: list[Row], pred: list[Row], semantics: str) -> bool:
    if semantics == "list":
        return gold == pred
    if semantics == "set":
        return set(gold) == set(pred)
    return set(gold) == set(pred) and Counter(gold) == Counter(pred)


def _candidates(gold: list[Row], pred: list[Row], semantics: str) -> list[list[int]]:
    """Prune the column mapping: gold column i can be pred column j only if their values agree.

    The pruning is sound: under set semantics the value sets of mapped columns are equal, and
    under bag or list semantics their value multisets are.
    """
    width = len(gold[0])
    summarize: Any = set if semantics == "set" else Counter
    gold_columns = [summarize(row[i] for row in gold) for i in range(width)]
    pred_columns = [summarize(row[j] for row in pred) for j in range(width)]
    return [[j for j in range(width) if gold_columns[i] == pred_columns[j]] for i in range(width)]


def _permutations(candidates: list[list[int]]) -> Iterator[tuple[int, ...]]:
    chosen: list[int] = []
    used: set[int] = set()

    def extend(position: int) -> Iterator[tuple[int, ...]]:
        if position == len(candidates):
            yield tuple(chosen)
            return
        for column in candidates[position]:
            if column not in used:
                chosen.append(column)
                used.add(column)
                yield from extend(position + 1)
                used.discard(column)
                chosen.pop()

    return extend(0)


def _search(gold: list[Row], pred: list[Row], semantics: str, permute: bool, equal: Any) -> bool:
    if equal(gold, pred, semantics):
        return True
    if not permute or len(gold[0]) == 1:
        return False
    if equal is _exact_equal:
        candidates = _candidates(gold, pred, semantics)
    else:
        candidates = [list(range(len(gold[0])))] * len(gold[0])
    identity = tuple(range(len(gold[0])))
    # NOTE: the search stops after MAX_PERMUTATIONS mappings, so a very wide result whose
    # columns all hold the same values can be reported as a mismatch.
    for tried, permutation in enumerate(_permutations(candidates)):
        if tried >= MAX_PERMUTATIONS:
            return False
        if permutation == identity:
            continue
        permuted = [tuple(row[j] for j in permutation) for row in pred]
        if equal(gold, permuted, semantics):
            return True
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _has_float(rows: list[Row]) -> bool:
    return any(isinstance(value, float | Decimal) for row in rows for value in row)


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None or isinstance(value, _Null):
        return (0, 0)
    if isinstance(value, bool | int | float | Decimal):
        return (1, float(value))
    if isinstance(value, str):
        return (2, value)
    if isinstance(value, bytes):
        return (3, value)
    return (4, str(value))


def _tolerant_equal(abs_tol: float, rel_tol: float) -> Any:
    def values_equal(a: Any, b: Any) -> bool:
        if _is_number(a) and _is_number(b):
            return math.isclose(float(a), float(b), rel_tol=rel_tol, abs_tol=abs_tol)
        return bool(a == b)

    def rows_equal(gold: list[Row], pred: list[Row], semantics: str) -> bool:
        # NOTE: unordered results are aligned by sorting, so two rows whose numbers lie
        # within the tolerance of each other may pair up wrongly and give a false mismatch.
        if semantics != "list":
            gold = sorted(gold, key=lambda row: tuple(map(_sort_key, row)))
            pred = sorted(pred, key=lambda row: tuple(map(_sort_key, row)))
        return all(
            all(values_equal(a, b) for a, b in zip(g, p, strict=True))
            for g, p in zip(gold, pred, strict=True)
        )

    return rows_equal


def _format_rows(rows: Sequence[Row]) -> str:
    listed = ", ".join(_short(row) for row in rows[:_DIFF_ROWS])
    more = f" and {len(rows) - _DIFF_ROWS} more" if len(rows) > _DIFF_ROWS else ""
    return f"[{listed}]{more}"


def _short(row: Row) -> str:
    text = repr(tuple(row))
    return text if len(text) <= 80 else text[:77] + "..."


def _count_diff(gold: Sequence[Row], pred: Sequence[Row], semantics: str) -> str:
    unit = "distinct rows" if semantics == "set" else "rows"
    return (
        f"gold has {len(gold)} {unit}, prediction {len(pred)}; "
        f"gold {_format_rows(list(gold))}, prediction {_format_rows(list(pred))}"
    )


def _row_diff(gold: list[Row], pred: list[Row]) -> str:
    missing = list((Counter(gold) - Counter(pred)).elements())
    extra = list((Counter(pred) - Counter(gold)).elements())
    return f"missing {_format_rows(missing)}; unexpected {_format_rows(extra)}"


def _order_diff(gold: list[Row], pred: list[Row]) -> str:
    for index, (g, p) in enumerate(zip(gold, pred, strict=True)):
        if g != p:
            return f"same rows in another order: row {index} is {_short(p)}, gold {_short(g)}"
    return "same rows in another order"
