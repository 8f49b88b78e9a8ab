"""Parse SQL once with sqlglot and share the tree between the order rule, hardness and features."""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError


@lru_cache(maxsize=4096)
def parse_query(sql: str, dialect: str = "sqlite") -> exp.Expr | None:
    """Return the sqlglot tree of one statement, or None when sqlglot cannot parse it.

    The tree is cached and shared: callers must not modify it.
    """
    try:
        return sqlglot.parse_one(sql, read=dialect)
    except (ParseError, TokenError):
        return None
