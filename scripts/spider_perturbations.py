"""Deterministic edits of Spider gold queries, used as a second prediction set in conformance.

Each gold query gets one edit, chosen by its line number. It is kept as is, gets DISTINCT added
or removed, has its comparison operators split (`>=` to `> =`), its sort direction flipped or
its LIMIT raised, or has its first two selected columns swapped or its select list reversed.
The edits exercise the parts of test-suite-sql-eval's exec match that real predictions rarely
reach. The module uses the standard library only, so the reference's own Python can import it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_LIMIT = re.compile(r"\bLIMIT\s+(\d+)", re.IGNORECASE)
_SELECT = re.compile(r"\bSELECT\s+", re.IGNORECASE)
_FROM = re.compile(r"\s+FROM\s+", re.IGNORECASE)


def _toggle_distinct(sql: str) -> str:
    if re.search(r"\bDISTINCT\b", sql, re.IGNORECASE):
        return re.sub(r"\bDISTINCT\s+", "", sql, count=1, flags=re.IGNORECASE)
    return _SELECT.sub("SELECT DISTINCT ", sql, count=1)


def _split_operators(sql: str) -> str:
    return sql.replace(">=", "> =").replace("<=", "< =").replace("!=", "! =")


def _flip_order(sql: str) -> str:
    if re.search(r"\bDESC\b", sql, re.IGNORECASE):
        return re.sub(r"\bDESC\b", "ASC", sql, flags=re.IGNORECASE)
    return re.sub(r"\bASC\b", "DESC", sql, flags=re.IGNORECASE)


def _raise_limit(sql: str) -> str:
    return _LIMIT.sub(lambda m: f"LIMIT {int(m.group(1)) + 1}", sql, count=1)


def _select_items(sql: str) -> tuple[int, int, list[str]] | None:
    """Locate the first select list and split it at commas outside parentheses."""
    select = _SELECT.search(sql)
    if select is None:
        return None
    start = select.end()
    depth = 0
    items: list[str] = []
    current = start
    for index in range(start, len(sql)):
        char = sql[index]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and char == ",":
            items.append(sql[current:index])
            current = index + 1
        elif depth == 0 and _FROM.match(sql, index):
            items.append(sql[current:index])
            return start, index, items
    return None


def _permute_columns(sql: str, reverse: bool) -> str:
    found = _select_items(sql)
    if found is None or len(found[2]) < 2:
        return sql
    start, end, items = found
    items = [item.strip() for item in items]
    if reverse:
        items.reverse()
    else:
        items[0], items[1] = items[1], items[0]
    return sql[:start] + " , ".join(items) + sql[end:]


EDITS: list[Callable[[str], str]] = [
    lambda sql: sql,
    _toggle_distinct,
    _split_operators,
    _flip_order,
    _raise_limit,
    lambda sql: _permute_columns(sql, reverse=False),
    lambda sql: _permute_columns(sql, reverse=True),
]


def perturb(index: int, sql: str) -> str:
    """Return the edit of gold query number `index` (0-based line number)."""
    return EDITS[index % len(EDITS)](sql)
