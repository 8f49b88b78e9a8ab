"""Text-to-SQL scored by execution: sandboxed executors, result comparison, presets, scorer.

Gold and predicted queries run on read-only connections (SQLite, DuckDB, PostgreSQL,
MySQL/MariaDB) with timeouts and row limits. One configurable comparator judges their results,
and its presets reproduce test-suite-sql-eval (`tse`) and BIRD EX (`bird`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evalgauge.scorers.sql._compare import CompareOptions, Comparison, compare_results
    from evalgauge.scorers.sql._duckdb import DuckdbExecutor
    from evalgauge.scorers.sql._evaluate import ExecutionSession, Verdict, find_instances
    from evalgauge.scorers.sql._executor import (
        DatabaseMissing,
        EngineError,
        ExecutionLimits,
        Executor,
        MemoryLimitExceeded,
        MultipleStatements,
        QueryResult,
        QueryTimeout,
        SqlExecutionError,
        SqlSyntaxError,
        TooManyRows,
        WriteRejected,
    )
    from evalgauge.scorers.sql._hardness import hardness, hardness_from_tree, query_features
    from evalgauge.scorers.sql._mysql import MysqlExecutor
    from evalgauge.scorers.sql._pool import evaluate_tasks
    from evalgauge.scorers.sql._postgres import PostgresExecutor
    from evalgauge.scorers.sql._presets import PRESETS, Preset, get_preset
    from evalgauge.scorers.sql._scorer import SqlExecutionScorer, UnscorableSqlCase
    from evalgauge.scorers.sql._sqlite import SqliteExecutor

# Names load on first use, so importing one submodule does not import every engine's driver.
_LAZY = {
    "CompareOptions": "_compare",
    "Comparison": "_compare",
    "DatabaseMissing": "_executor",
    "DuckdbExecutor": "_duckdb",
    "EngineError": "_executor",
    "ExecutionLimits": "_executor",
    "ExecutionSession": "_evaluate",
    "Executor": "_executor",
    "MemoryLimitExceeded": "_executor",
    "MultipleStatements": "_executor",
    "MysqlExecutor": "_mysql",
    "PRESETS": "_presets",
    "PostgresExecutor": "_postgres",
    "Preset": "_presets",
    "QueryResult": "_executor",
    "QueryTimeout": "_executor",
    "SqlExecutionError": "_executor",
    "SqlExecutionScorer": "_scorer",
    "SqlSyntaxError": "_executor",
    "SqliteExecutor": "_sqlite",
    "TooManyRows": "_executor",
    "UnscorableSqlCase": "_scorer",
    "Verdict": "_evaluate",
    "WriteRejected": "_executor",
    "compare_results": "_compare",
    "evaluate_tasks": "_pool",
    "find_instances": "_evaluate",
    "get_preset": "_presets",
    "hardness": "_hardness",
    "hardness_from_tree": "_hardness",
    "query_features": "_hardness",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "PRESETS",
    "CompareOptions",
    "Comparison",
    "DatabaseMissing",
    "DuckdbExecutor",
    "EngineError",
    "ExecutionLimits",
    "ExecutionSession",
    "Executor",
    "MemoryLimitExceeded",
    "MultipleStatements",
    "MysqlExecutor",
    "PostgresExecutor",
    "Preset",
    "QueryResult",
    "QueryTimeout",
    "SqlExecutionError",
    "SqlExecutionScorer",
    "SqlSyntaxError",
    "SqliteExecutor",
    "TooManyRows",
    "UnscorableSqlCase",
    "Verdict",
    "WriteRejected",
    "compare_results",
    "evaluate_tasks",
    "find_instances",
    "get_preset",
    "hardness",
    "hardness_from_tree",
    "query_features",
]
