"""MySQL and MariaDB executor: READ ONLY transactions, server timeouts and KILL QUERY."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

import pymysql
import pymysql.cursors
import sqlglot
from pymysql.constants import ER
from sqlglot import TokenType
from sqlglot.errors import TokenError

from evalgauge.scorers.sql._executor import (
    EngineError,
    ExecutionLimits,
    FetchBudget,
    MemoryLimitExceeded,
    MultipleStatements,
    QueryResult,
    QueryTimeout,
    SqlExecutionError,
    SqlSyntaxError,
    WriteRejected,
)
from evalgauge.scorers.sql._guard import check_read_only

_FETCH_BATCH = 1_000
# 1792: ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION; 1290: --read-only server; 1142: no privilege
_WRITE_ERRORS = {1792, 1290, 1142, 1044, 1045, ER.DBACCESS_DENIED_ERROR}
# 3024: MySQL max_execution_time; 1969: MariaDB max_statement_time; 1317: interrupted (KILL)
_TIMEOUT_ERRORS = {3024, 1969, 1317, 1028}
_SYNTAX_ERRORS = {ER.PARSE_ERROR, ER.SYNTAX_ERROR}


_READ_PRIVILEGES = {"SELECT", "SHOW VIEW", "USAGE"}


def _has_second_statement(sql: str) -> bool:
    """Tell whether a semicolon outside quotes is followed by more SQL."""
    try:
        tokens = sqlglot.tokenize(sql, read="mysql")
    except TokenError:
        return False
    ends = [i for i, token in enumerate(tokens) if token.token_type == TokenType.SEMICOLON]
    return any(i < len(tokens) - 1 for i in ends)


def _privileges(grant: str) -> set[str]:
    """Privileges named by one SHOW GRANTS line; a role grant or unknown line counts as unsafe."""
    upper = grant.upper()
    if not upper.startswith("GRANT ") or " ON " not in upper:
        return {f"unrecognised grant ({grant[:60]})"}
    listed = upper[len("GRANT ") : upper.index(" ON ")]
    return {part.strip() for part in listed.split(",")}


class MysqlExecutor:
    """Runs queries on one MySQL or MariaDB database through a kept-open PyMySQL connection.

    Each query runs inside `START TRANSACTION READ ONLY` with the server's statement timeout
    (MySQL `max_execution_time`, MariaDB `max_statement_time`) and is rolled back. Rows are
    streamed with an unbuffered cursor. At the deadline a second connection sends
    `KILL QUERY` for the session, which stops any statement, not only a SELECT. Multiple
    statements are refused by the client (PyMySQL does not enable them).

    A READ ONLY transaction does not stop DDL: DROP or CREATE commit implicitly and run.
    So the executor rejects an account with any privilege beyond SELECT, SHOW VIEW and USAGE,
    unless `require_read_only_account` is False.
    """

    dialect = "mysql"

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 3306,
        user: str = "root",
        password: str = "",
        database: str,
        limits: ExecutionLimits | None = None,
        guard: bool = True,
        require_read_only_account: bool = True,
    ) -> None:
        self._params: dict[str, Any] = {
            "host": host,
            "port": port,
            "user": user,
            "password": password,
            "database": database,
            "charset": "utf8mb4",
            "autocommit": True,
        }
        self.limits = limits or ExecutionLimits()
        self.guard = guard
        self._connection = self._connect()
        version = self._scalar("SELECT VERSION()")
        self.mariadb = "mariadb" in str(version).lower()
        if require_read_only_account:
            self._check_account(user)
        self._thread_id = int(self._scalar("SELECT CONNECTION_ID()"))
        self._killed = False
        self._running = False
        self._lock = threading.Lock()

    def _connect(self) -> pymysql.connections.Connection[Any]:
        try:
            return pymysql.connect(**self._params)
        except pymysql.Error as exc:
            raise EngineError(f"cannot connect to MySQL/MariaDB: {exc}") from None

    def _scalar(self, sql: str) -> Any:
        with self._connection.cursor() as cursor:
            cursor.execute(sql)
            row = cursor.fetchone()
        return row[0] if row else None

    def _check_account(self, user: str) -> None:
        with self._connection.cursor() as cursor:
            cursor.execute("SHOW GRANTS FOR CURRENT_USER()")
            grants = [str(row[0]) for row in cursor.fetchall()]
        extra = sorted({p for grant in grants for p in _privileges(grant)} - _READ_PRIVILEGES)
        if extra:
            self._connection.close()
            raise EngineError(
                f"MySQL account {user!r} has {', '.join(extra)}, so DDL in a query would run "
                "despite the READ ONLY transaction; connect as a user granted only SELECT"
            )

    def _kill(self, deadline: bool = True) -> None:
        # The lock makes sure no KILL QUERY is in flight once a query is marked finished,
        # so a late timer cannot stop the next statement.
        with self._lock:
            if not self._running:
                return
            self._killed = self._killed or deadline
            self._send_kill()

    def _send_kill(self) -> None:
        try:
            killer = pymysql.connect(**self._params)
            try:
                with killer.cursor() as cursor:
                    cursor.execute(f"KILL QUERY {int(self._thread_id)}")
            finally:
                killer.close()
        except pymysql.Error:
            pass  # the query may have finished first; the server timeout still applies

    def _set_timeout(self) -> None:
        seconds = self.limits.timeout_s
        with self._connection.cursor() as cursor:
            if self.mariadb:
                cursor.execute(f"SET SESSION max_statement_time = {seconds:.3f}")
            else:
                cursor.execute(f"SET SESSION max_execution_time = {max(int(seconds * 1000), 1)}")

    def execute(self, sql: str) -> QueryResult:
        """Run one query and return its rows; raise a SqlExecutionError subclass on failure."""
        if self.guard:
            check_read_only(sql, self.dialect)
        limits = self.limits
        self._killed = False
        timer = threading.Timer(limits.timeout_s + 0.1, self._kill)
        started = time.monotonic()
        try:
            self._set_timeout()
            with self._connection.cursor() as cursor:
                cursor.execute("START TRANSACTION READ ONLY")
            with self._lock:
                self._running = True
            timer.start()
            budget, columns = self._fetch(sql, started)
        except pymysql.Error as exc:
            raise self._translate(exc, sql, time.monotonic() - started) from None
        finally:
            timer.cancel()
            with self._lock:
                self._running = False
            self._rollback()
        elapsed = time.monotonic() - started
        return QueryResult(columns, budget.rows, budget.truncated, elapsed)

    def _fetch(self, sql: str, started: float) -> tuple[FetchBudget, tuple[str, ...]]:
        cursor = pymysql.cursors.SSCursor(self._connection)
        try:
            cursor.execute(sql)
            budget = FetchBudget(self.limits, started)
            try:
                while batch := cursor.fetchmany(_FETCH_BATCH):
                    if not budget.add(list(batch)):
                        break
            except SqlExecutionError:
                self._kill(deadline=False)  # stop the server from producing the rest
                raise
            if budget.truncated:
                self._kill(deadline=False)
            return budget, tuple(d[0] for d in cursor.description or ())
        finally:
            self._close_cursor(cursor)

    def _close_cursor(self, cursor: pymysql.cursors.SSCursor) -> None:
        try:
            cursor.close()  # reads what is left of an unbuffered result
        except pymysql.Error:
            self._reconnect()

    def _rollback(self) -> None:
        try:
            self._connection.rollback()
        except pymysql.Error:
            self._reconnect()

    def _reconnect(self) -> None:
        with contextlib.suppress(pymysql.Error):
            self._connection.close()
        self._connection = self._connect()
        self._thread_id = int(self._scalar("SELECT CONNECTION_ID()"))

    def _translate(self, exc: pymysql.Error, sql: str, elapsed: float) -> SqlExecutionError:
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        message = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
        if code in _TIMEOUT_ERRORS or self._killed:
            return QueryTimeout(
                f"query timed out after {elapsed:.2f} s (limit {self.limits.timeout_s} s)"
            )
        if code in _WRITE_ERRORS:
            return WriteRejected(f"rejected by the server: {message}")
        if code in _SYNTAX_ERRORS:
            if _has_second_statement(sql):
                return MultipleStatements("several statements found; submit one query")
            return SqlSyntaxError(message)
        if code in {ER.OUTOFMEMORY, ER.OUT_OF_SORTMEMORY, ER.RECORD_FILE_FULL}:
            return MemoryLimitExceeded(message)
        return EngineError(message)

    def close(self) -> None:
        self._connection.close()
