"""Spider's query hardness (easy, medium, hard, extra) and a query's structural features.

Spider's evaluation.py counts three things on the top-level query of its parse tree and maps
them to a level:

- component1: WHERE, GROUP BY, ORDER BY, LIMIT, one per extra joined table, and each OR and
  each LIKE in the conditions;
- component2: subqueries used as condition operands, plus one for a UNION, INTERSECT or EXCEPT;
- others: more than one aggregate, selected column, WHERE condition or GROUP BY column.

`hardness_from_tree` applies those rules to the tree Spider ships in dev.json; `hardness`
computes the same counts from any SQL text with sqlglot.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from sqlglot import exp

from evalgauge.scorers.sql._parse import parse_query

Hardness = Literal["easy", "medium", "hard", "extra"]

# Indices in Spider's parse tree (process_sql.py): AGG_OPS[0] is "none", WHERE_OPS[9] "like".
_AGG_NONE = 0
_LIKE_OP = 9


@dataclass(frozen=True, slots=True)
class HardnessCounts:
    component1: int
    component2: int
    others: int

    def level(self) -> Hardness:
        c1, c2, others = self.component1, self.component2, self.others
        if c1 <= 1 and others == 0 and c2 == 0:
            return "easy"
        if (others <= 2 and c1 <= 1 and c2 == 0) or (c1 <= 2 and others < 2 and c2 == 0):
            return "medium"
        if (
            (others > 2 and c1 <= 2 and c2 == 0)
            or (2 < c1 <= 3 and others <= 2 and c2 == 0)
            or (c1 <= 1 and others == 0 and c2 <= 1)
        ):
            return "hard"
        return "extra"


def hardness_from_tree(sql: dict[str, Any]) -> Hardness:
    """Apply Spider's hardness rules to a parse tree from Spider's dev.json (`sql` field)."""
    conds = sql["from"]["conds"][::2] + sql["where"][::2] + sql["having"][::2]
    connectors = sql["from"]["conds"][1::2] + sql["where"][1::2] + sql["having"][1::2]
    component1 = sum(
        [
            bool(sql["where"]),
            bool(sql["groupBy"]),
            bool(sql["orderBy"]),
            sql["limit"] is not None,
            max(len(sql["from"]["table_units"]) - 1, 0),
            connectors.count("or"),
            sum(1 for cond in conds if cond[1] == _LIKE_OP),
        ]
    )

    nested = sum(isinstance(v, dict) for cond in conds for v in (cond[3], cond[4]))
    nested += sum(sql[key] is not None for key in ("intersect", "except", "union"))
    # Spider's count_agg reads element [0] of each unit: the aggregate of a selected column,
    # but the NOT flag of a condition, and the first letter of an and/or connector in HAVING.
    aggregates = sum(unit[0] != _AGG_NONE for unit in sql["select"][1])
    aggregates += sum(cond[0] != _AGG_NONE for cond in sql["where"][::2])
    aggregates += sum(unit[0] != _AGG_NONE for unit in sql["groupBy"])
    if sql["orderBy"]:
        units = [u[1] for u in sql["orderBy"][1] if u[1]] + [
            u[2] for u in sql["orderBy"][1] if u[2]
        ]
        aggregates += sum(unit[0] != _AGG_NONE for unit in units)
    aggregates += sum(unit[0] != _AGG_NONE for unit in sql["having"])

    others = sum(
        [
            aggregates > 1,
            len(sql["select"][1]) > 1,
            len(sql["where"]) > 1,
            len(sql["groupBy"]) > 1,
        ]
    )
    return HardnessCounts(component1, nested, others).level()


def hardness(sql: str, dialect: str = "sqlite") -> Hardness | None:
    """Compute Spider's hardness level from SQL text; None when sqlglot cannot parse it."""
    tree = parse_query(sql, dialect)
    if tree is None:
        return None
    nested = 0
    while isinstance(tree, exp.Subquery):
        tree = tree.this
    if isinstance(tree, exp.SetOperation):
        nested = 1
        while isinstance(tree, exp.SetOperation):
            tree = tree.this
    if not isinstance(tree, exp.Select):
        return None
    return _select_counts(tree, nested).level()


def _select_counts(select: exp.Select, nested: int) -> HardnessCounts:
    where = select.args.get("where")
    having = select.args.get("having")
    group = select.args.get("group")
    order = select.args.get("order")
    joins = select.args.get("joins") or []
    conditions = [c.this for c in (where, having) if c is not None]
    conditions += [j.args["on"] for j in joins if j.args.get("on") is not None]
    component1 = sum(
        [
            where is not None,
            group is not None,
            order is not None,
            select.args.get("limit") is not None,
            len(joins),
            sum(_count_local(c, exp.Or) for c in conditions),
            sum(_count_local(c, exp.Like) for c in conditions),
        ]
    )

    nested += sum(_count_local(c, exp.Query) for c in conditions)
    where_leaves = list(_leaves(where.this)) if where is not None else []
    having_leaves = list(_leaves(having.this)) if having is not None else []
    aggregates = sum(_is_aggregate(e) for e in select.expressions)
    aggregates += sum(isinstance(leaf, exp.Not) for leaf in where_leaves)
    if order is not None:
        aggregates += sum(_is_aggregate(o.this) for o in order.expressions)
    aggregates += sum(isinstance(leaf, exp.Not) for leaf in having_leaves)
    aggregates += max(len(having_leaves) - 1, 0)

    others = sum(
        [
            aggregates > 1,
            len(select.expressions) > 1,
            len(where_leaves) > 1,
            group is not None and len(group.expressions) > 1,
        ]
    )
    return HardnessCounts(component1, nested, others)


def _local_nodes(node: exp.Expr) -> Iterator[exp.Expr]:
    """Walk `node` without entering subqueries, but yield each subquery's root once."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, exp.Query):
            continue
        stack.extend(current.iter_expressions())


def _count_local(node: exp.Expr, kind: type[exp.Expr] | type[exp.Query]) -> int:
    return sum(isinstance(n, kind) for n in _local_nodes(node))


def _leaves(node: exp.Expr) -> Iterator[exp.Expr]:
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And | exp.Or):
        yield from _leaves(node.left)
        yield from _leaves(node.right)
    else:
        yield node


def _is_aggregate(node: exp.Expr) -> bool:
    if isinstance(node, exp.Alias):
        node = node.this
    return isinstance(node, exp.AggFunc)


def query_features(sql: str, dialect: str = "sqlite") -> list[str]:
    """Name the structures a query uses: join, grouping, nesting, ordering, set_operation."""
    tree = parse_query(sql, dialect)
    if tree is None:
        return []
    found = {
        "join": tree.find(exp.Join) is not None,
        "grouping": tree.find(exp.Group) is not None,
        "nesting": any(s is not tree for s in tree.find_all(exp.Select))
        and not isinstance(tree, exp.SetOperation),
        "ordering": tree.find(exp.Order) is not None,
        "set_operation": tree.find(exp.SetOperation) is not None,
    }
    if isinstance(tree, exp.SetOperation):
        found["nesting"] = sum(1 for _ in tree.find_all(exp.Select)) > 2
    return [name for name, present in found.items() if present]
