"""Distilled test suites for text-to-SQL: neighbour queries, random instances, greedy selection."""

from evalgauge.scorers.sql.distill.distill import DatabaseReport, DistillConfig, QueryCoverage
from evalgauge.scorers.sql.distill.neighbors import Neighbor, generate_neighbors
from evalgauge.scorers.sql.distill.suite import (
    MANIFEST,
    build_suite,
    read_gold,
    read_manifest,
    suite_databases,
)

__all__ = [
    "MANIFEST",
    "DatabaseReport",
    "DistillConfig",
    "Neighbor",
    "QueryCoverage",
    "build_suite",
    "generate_neighbors",
    "read_gold",
    "read_manifest",
    "suite_databases",
]
