"""The first layer of defence: accept only a single SELECT, WITH or VALUES statement.

This check parses with sqlglot and is only a filter for clear cases with readable errors. The
engine-level guards (read-only connections, authorizers, read-only transactions) are what keep
the database unchanged, because a parser of one dialect cannot judge every statement of another.
"""

from __future__ import annotations

import re
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
    if _plain_select(sql, dialect):
        return None
    try:
        _check(sql, dialect)
    except SqlExecutionError as exc:
        return type(exc), str(exc)
    return None


_SELECT_START = re.compile(r"select\s", re.IGNORECASE)


def _plain_select(sql: str, dialect: str) -> bool:
    """Tell whether `_check` accepts `sql`, without parsing it.

    sqlglot 30 parses a statement only at the start of the text and after WITH, BEGIN,
    CREATE, DESCRIBE or SET, and it builds each write node from that node's own keyword,
    such as INSERT or INTO. So ASCII text that starts with SELECT and has none of those
    words, no comment and no semicolon before its end either parses as one query without
    write nodes or fails to parse after a first SELECT token. `_check` accepts both. This
    test takes a few µs, a parse about 0.2 ms.
    """
    # NOTE: this argument rests on how sqlglot 30 parses. tests/sql/test_fast_paths.py checks
    # it against `_check` on keyword soup of four dialects and on the Spider queries.
    if not sql.isascii():
        return False
    body = sql.strip()
    if not _SELECT_START.match(body) or ";" in body[:-1]:
        return False
    if "--" in body or "/*" in body or "#" in body:
        return False
    return _statement_words(dialect).search(body) is None


@lru_cache(maxsize=16)
def _statement_words(dialect: str) -> re.Pattern[str]:
    """Match the words that may start a statement or a write node in `dialect`.

    DESC and DESCRIBE are left out, because ORDER BY uses DESC and, with the other words
    absent, no statement starts after the first SELECT.
    """
    found = sqlglot.Dialect.get_or_raise(dialect)
    starters = set(found.parser_class.STATEMENT_PARSERS) | set(found.tokenizer_class.COMMANDS)
    words = {
        keyword.split()[0].lower()
        for keyword, token_type in found.tokenizer_class.KEYWORDS.items()
        if token_type in starters
    }
    words |= {"with", "into", "set", "insert", "update", "delete", "merge", "replace"}
    words -= {"desc", "describe"}
    alternatives = "|".join(sorted(re.escape(word) for word in words))
    # A letter next to a word joins it to an identifier; a digit may not, as in `1insert`.
    return re.compile(rf"(?<![a-z])(?:{alternatives})(?![a-z])", re.IGNORECASE)


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
