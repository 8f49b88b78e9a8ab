"""Tables of the results store, in SQLAlchemy Core.

The Alembic migrations under `migrations/versions` create exactly these tables; a test compares
the two so they cannot drift.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("stop_reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("dataset_path", Text),
    Column("dataset_version", String(80), nullable=False),
    Column("n_cases", Integer, nullable=False),
    Column("config_hash", String(80), nullable=False),
    Column("prompt_hash", String(80)),
    Column("target", Text, nullable=False),
    Column("model", Text),
    Column("git_commit", String(64)),
    Column("evalgauge_version", String(40), nullable=False),
    Column("config_json", Text, nullable=False),
    Column("tier", String(100)),
    Column("cases_version", String(80)),
)

# One row per scorer of a run. Every score points at it, so each score carries its judge
# model and prompt hash without repeating them on every row.
run_scorers = Table(
    "run_scorers",
    metadata,
    Column("scorer_id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), ForeignKey("runs.run_id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("judge_model", Text),
    Column("prompt_hash", String(80)),
    Column("identity_json", Text, nullable=False),
    UniqueConstraint("run_id", "name", name="uq_run_scorers_run_name"),
)

case_results = Table(
    "case_results",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), ForeignKey("runs.run_id", ondelete="CASCADE"), nullable=False),
    Column("case_id", String(200), nullable=False),
    Column("inputs_json", Text, nullable=False),
    Column("label", Boolean),
    Column("output", Text),
    Column("latency_ms", Float),
    Column("cached", Boolean, nullable=False),
    Column("input_tokens", Integer),
    Column("output_tokens", Integer),
    Column("model", Text),
    Column("error_type", String(80)),
    Column("error_message", Text),
    Column("cached_input_tokens", Integer),
    Column("reasoning_tokens", Integer),
    Column("cost_usd", Float),
    Column("ttft_ms", Float),
    Column("judge_cost_usd", Float),
    # The values of the suite's slice fields, as a JSON object.
    Column("tags_json", Text),
    UniqueConstraint("run_id", "case_id", name="uq_case_results_run_case"),
)

# The composite primary key guards against storing a score twice. On SQLite the table is
# WITHOUT ROWID, so that key is the only B-tree to maintain.
scores = Table(
    "scores",
    metadata,
    Column("run_id", String(64), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("case_id", String(200), primary_key=True),
    Column(
        "scorer_id",
        Integer,
        ForeignKey("run_scorers.scorer_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("value", Float),
    Column("passed", Boolean),
    Column("reason", Text),
    Column("error_type", String(80)),
    Column("error_message", Text),
    Column("details_json", Text),
    sqlite_with_rowid=False,
)

# Decisions to let a failing gate rule pass until a date; the overrides file in the user's
# repository contains the same records.
gate_overrides = Table(
    "gate_overrides",
    metadata,
    Column("override_id", Integer, primary_key=True, autoincrement=True),
    Column("rule", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("approver", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires", Date, nullable=False),
    Column("git_commit", String(64)),
)
