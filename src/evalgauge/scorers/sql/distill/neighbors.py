"""Neighbour queries: single edits of a gold query that are close to it but rarely equivalent.

Each neighbour changes one node of the gold query's sqlglot tree. It drops a predicate, a
projected column, a join condition, DISTINCT, ORDER BY or LIMIT. Or it swaps an aggregate, a
comparison, an arithmetic operator, a sort direction, AND/OR, LIKE/NOT LIKE, IN/NOT IN, or a
column for another of the same table and kind. Or it perturbs a literal. Table names are never
swapped. The distiller keeps the neighbours that execute on the original database. A test
suite is good when its databases distinguish gold from as many of them as possible.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from evalgauge.scorers.sql.distill._schema import Schema, Table

_AGGREGATES: tuple[type[exp.Expr], ...] = (exp.Count, exp.Min, exp.Max, exp.Avg, exp.Sum)
_COMPARISONS: tuple[type[exp.Expr], ...] = (exp.GT, exp.LT, exp.GTE, exp.LTE, exp.EQ, exp.NEQ)
_ARITHMETIC: tuple[type[exp.Expr], ...] = (exp.Add, exp.Sub, exp.Mul, exp.Div)
_RANDOM_LITERALS = 10

Edit = Callable[[exp.Expr], exp.Expr | None]


@dataclass(frozen=True)
class Neighbor:
    """A neighbour query and the edit that made it."""

    sql: str
    edit: str


def generate_neighbors(
    gold: str, schema: Schema | None = None, *, seed: int = 0, limit: int | None = None
) -> list[Neighbor]:
    """Return deduplicated neighbours of `gold`, in a seeded random order, at most `limit`.

    Raises sqlglot's ParseError when `gold` does not parse in the SQLite dialect.
    """
    tree = parse_sqlite(gold, schema)
    rng = random.Random(seed * 1_000_003 + zlib.crc32(gold.encode()))
    original = tree.sql(dialect="sqlite")
    seen = {original}
    neighbors: list[Neighbor] = []
    for index, node in enumerate(tree.walk()):
        for edit_name, edit in _edits_for(node, schema, tree, rng):
            sql = _apply(tree, index, edit)
            if sql is not None and sql not in seen:
                seen.add(sql)
                neighbors.append(Neighbor(sql, edit_name))
    rng.shuffle(neighbors)
    return neighbors if limit is None else neighbors[:limit]


def parse_sqlite(sql: str, schema: Schema | None = None) -> exp.Expr:
    """Parse SQLite SQL, reading a double-quoted name that is no column as a string literal.

    SQLite falls back to a string for such names, and Spider writes its strings that way.
    """
    tree = sqlglot.parse_one(sql, read="sqlite")
    columns = (
        {c.name.lower() for t in schema.tables.values() for c in t.columns} if schema else set()
    )
    for column in list(tree.find_all(exp.Column)):
        identifier = column.this
        quoted = isinstance(identifier, exp.Identifier) and identifier.quoted
        if quoted and not column.table and column.name.lower() not in columns:
            literal = exp.Literal.string(column.name)
            if column is tree:
                return literal
            column.replace(literal)
    return tree


def _apply(tree: exp.Expr, index: int, edit: Edit) -> str | None:
    """Copy the tree, apply `edit` to its `index`-th node in walk order and regenerate SQL."""
    copy = tree.copy()
    node = next(n for i, n in enumerate(copy.walk()) if i == index)
    try:
        replacement = edit(node)
        if replacement is None:
            node.pop()
        elif replacement is not node:
            if node is copy:
                copy = replacement
            else:
                node.replace(replacement)
        return copy.sql(dialect="sqlite")
    except (SqlglotError, ValueError, TypeError, AttributeError):
        return None


def _edits_for(
    node: exp.Expr, schema: Schema | None, tree: exp.Expr, rng: random.Random
) -> Iterator[tuple[str, Edit]]:
    yield from _drop_edits(node)
    yield from _swap_edits(node)
    if isinstance(node, exp.Column) and schema is not None:
        yield from _column_edits(node, schema, tree)
    if isinstance(node, exp.Literal):
        yield from _literal_edits(node, rng)


def _drop_edits(node: exp.Expr) -> Iterator[tuple[str, Edit]]:
    parent = node.parent
    if isinstance(node, exp.Connector):
        yield "drop predicate", lambda n: n.args["this"]
        yield "drop predicate", lambda n: n.args["expression"]
    if isinstance(node, exp.Where | exp.Having):
        yield f"drop {node.key}", lambda n: None
    if (
        isinstance(parent, exp.Select)
        and node.arg_key == "expressions"
        and len(parent.expressions) > 1
    ):
        yield "drop column", lambda n: None
    if isinstance(parent, exp.Group | exp.Order) and len(parent.expressions) > 1:
        yield f"drop {parent.key} item", lambda n: None
    if isinstance(node, exp.Join) and node.args.get("on") is not None:
        yield "drop join condition", _drop_join_condition
    if isinstance(node, exp.Distinct) and not isinstance(parent, exp.Count | exp.AggFunc):
        yield "drop DISTINCT", lambda n: None
    if isinstance(node, exp.Distinct) and isinstance(parent, exp.AggFunc):
        yield "drop DISTINCT", lambda n: n.expressions[0] if len(n.expressions) == 1 else n
    if isinstance(node, exp.Order | exp.Limit):
        yield f"drop {node.key.upper()}", lambda n: None


def _drop_join_condition(node: exp.Expr) -> exp.Expr:
    node.set("on", None)
    return node


def _swap_edits(node: exp.Expr) -> Iterator[tuple[str, Edit]]:
    for family, name in ((_AGGREGATES, "aggregate"), (_COMPARISONS, "comparison")):
        if type(node) in family:
            for other in family:
                if other is not type(node) and not _star_only(node, other):
                    yield f"swap {name}", _rebuild_as(other)
    if type(node) in _ARITHMETIC:
        for other in _ARITHMETIC:
            if other is not type(node):
                yield "swap arithmetic", _rebuild_as(other)
    if isinstance(node, exp.And):
        yield "swap AND/OR", _rebuild_as(exp.Or)
    if isinstance(node, exp.Or):
        yield "swap AND/OR", _rebuild_as(exp.And)
    if isinstance(node, exp.Ordered):
        yield "swap ASC/DESC", _toggle_desc
    if isinstance(node, exp.Like | exp.In):
        if isinstance(node.parent, exp.Not):
            yield f"swap NOT {node.key.upper()}", _drop_not
        else:
            yield f"swap NOT {node.key.upper()}", lambda n: exp.Not(this=n.copy())


def _drop_not(node: exp.Expr) -> exp.Expr:
    parent = node.parent
    assert parent is not None, "only called on a node inside NOT"
    parent.replace(node.copy())
    return node


def _star_only(node: exp.Expr, other: type[exp.Expr]) -> bool:
    """COUNT(*) has no MIN(*) or SUM(*) counterpart."""
    return isinstance(node.this, exp.Star) and other is not exp.Count


def _rebuild_as(cls: type[exp.Expr]) -> Edit:
    def rebuild(node: exp.Expr) -> exp.Expr:
        args = {k: v for k, v in node.args.items() if v is not None and k in cls.arg_types}
        if cls is exp.Div:
            # SQLite's own division: integer for integers, and NULL for a zero divisor
            args.update(typed=True, safe=True)
        rebuilt = cls(**args)
        # sqlglot prints the tree without adding brackets, so keep precedence explicit
        if isinstance(node.parent, exp.Binary | exp.Not):
            return exp.Paren(this=rebuilt)
        return rebuilt

    return rebuild


def _toggle_desc(node: exp.Expr) -> exp.Expr:
    desc = not node.args.get("desc")
    node.set("desc", desc)
    # SQLite sorts NULL first in ascending order, so keep its default for the new direction
    node.set("nulls_first", not desc)
    return node


def _column_edits(node: exp.Column, schema: Schema, tree: exp.Expr) -> Iterator[tuple[str, Edit]]:
    table = _resolve_table(node, schema, tree)
    if table is None:
        return
    current = table.column(node.name)
    if current is None:
        return
    for other in table.columns:
        if other.name != current.name and other.kind == current.kind:
            yield "swap column", _rename_column(other.name)


def _rename_column(name: str) -> Edit:
    def rename(node: exp.Expr) -> exp.Expr:
        node.set("this", exp.to_identifier(name, quoted=" " in name))
        return node

    return rename


def _resolve_table(node: exp.Column, schema: Schema, tree: exp.Expr) -> Table | None:
    """Find the schema table a column belongs to from its qualifier or the FROM tables."""
    select = node.find_ancestor(exp.Select) or tree
    aliases: dict[str, str] = {}
    for reference in select.find_all(exp.Table):
        aliases[reference.name.lower()] = reference.name
        if reference.alias:
            aliases[reference.alias.lower()] = reference.name
    if node.table:
        name = aliases.get(node.table.lower())
        return schema.table(name) if name else None
    owners = []
    for name in set(aliases.values()):
        owner = schema.table(name)
        if owner is not None and owner.column(node.name) is not None:
            owners.append(owner)
    return owners[0] if len(owners) == 1 else None


def _literal_edits(node: exp.Literal, rng: random.Random) -> Iterator[tuple[str, Edit]]:
    if node.is_string:
        for value in _string_variants(node.this, rng):
            yield "perturb string", _set_literal(exp.Literal.string(value))
        return
    negative = isinstance(node.parent, exp.Neg)
    text = ("-" if negative else "") + node.this
    values: list[float | int]
    try:
        number = int(text)
        values = [number - 1, number + 1]
        bound = abs(number) + 1
        values += [rng.randint(-bound, bound) for _ in range(_RANDOM_LITERALS)]
    except ValueError:
        try:
            real = float(text)
        except ValueError:
            return
        values = [round(real - 0.1, 6), round(real + 0.1, 6)]
        values += [round(rng.uniform(-abs(real), abs(real)), 3) for _ in range(_RANDOM_LITERALS)]
    target = "parent" if negative else "self"
    for number_value in dict.fromkeys(values):
        yield "perturb number", _set_number(number_value, target)


def _set_literal(literal: exp.Expr) -> Edit:
    return lambda node: literal.copy()


def _set_number(value: float | int, target: str) -> Edit:
    def replace(node: exp.Expr) -> exp.Expr:
        literal = exp.Literal.number(value)
        if target == "parent" and node.parent is not None:
            node.parent.replace(literal)
            return node
        return literal

    return replace


def _string_variants(value: str, rng: random.Random) -> list[str]:
    """Substrings of a string literal, with and without `%` wildcards."""
    core = value.strip("%")
    variants = {core, f"%{core}%", f"{core}%", f"%{core}"}
    if len(core) > 1:
        variants.update({core[1:], core[:-1]})
        for _ in range(3):
            start = rng.randrange(len(core))
            end = rng.randrange(start + 1, len(core) + 1)
            variants.add(core[start:end])
    variants.discard(value)
    return sorted(variants)
