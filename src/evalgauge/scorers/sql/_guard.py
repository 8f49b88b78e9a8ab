"""The first layer of defence: accept only a single SELECT, WITH or VALUES statement.

This check parses with sqlglot and is only a filter for clear cases with readable errors. The
engine-level guards (read-only connections, authorizers, read-only transactions) are what keep
the database unchanged, because a parser of one dialect cannot judge every statement of another.
"""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import TokenType, exp
from sqlglot.errors import ParseError, TokenError

from evalgauge.scorers.sql._executor import (
    MultipleStatements,
    SqlExecutionError,
    SqlSyntaxError,
    WriteRejected,
)

_QUERY_TYPES = (exp.Query, exp.Values)
_QUERY_START_TOKENS = {TokenType.SELECT, TokenType.WITH, TokenType.VALUES, TokenType.L_PAREN}
_WRITE_NODES = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.Into,
    exp.Command,
    exp.Pragma,
    exp.Set,
    exp.Use,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Copy,
    exp.LoadData,
)


def check_read_only(sql: str, dialect: str) -> None:
    """Raise WriteRejected or MultipleStatements unless `sql` is one read-only query.

    A statement that sqlglot cannot parse passes when its first token starts a query, and the
    engine decides. The engine guards reject what this layer lets through.
    """
    rejection = _rejection(sql, dialect)
    if rejection is not None:
        error_type, message = rejection
        raise error_type(message)


# A test suite runs each prediction on every instance, so the check is cached per text.
@lru_cache(maxsize=4096)
def _rejection(sql: str, dialect: str) -> tuple[type[SqlExecutionError], str] | None:
    try:
        _check(sql, dialect)
    except SqlExecutionError as exc:
        return type(exc), str(exc)
    return None


def _check(sql: str, dialect: str) -> None:
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except (ParseError, TokenError):
        _check_first_token(sql, dialect)
        return
    if len(statements) > 1:
        raise MultipleStatements(
            f"{len(statements)} statements found; submit one SELECT, WITH or VALUES query"
        )
    if not statements:
        raise WriteRejected("empty query; submit one SELECT, WITH or VALUES query")
    statement = statements[0]
    if not isinstance(statement, _QUERY_TYPES):
        raise WriteRejected(f"{_statement_name(statement)} statement rejected: only queries run")
    for node in statement.walk():
        if isinstance(node, _WRITE_NODES):
            raise WriteRejected(
                f"{_statement_name(node)} inside the query rejected: only reads run"
            )


def _check_first_token(sql: str, dialect: str) -> None:
    try:
        tokens = sqlglot.tokenize(sql, read=dialect)
    except TokenError:
        return  # the engine reports the syntax error
    if not tokens:
        raise WriteRejected("empty query; submit one SELECT, WITH or VALUES query")
    first = tokens[0]
    if first.token_type == TokenType.VAR:
        raise SqlSyntaxError(f"syntax error: a query cannot start with {first.text!r}")
    if first.token_type not in _QUERY_START_TOKENS:
        raise WriteRejected(
            f"statement starting with {first.text.upper()!r} rejected: only queries run"
        )


def _statement_name(node: exp.Expr) -> str:
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    return node.key.upper()
