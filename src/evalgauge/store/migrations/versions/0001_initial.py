"""Create runs, run_scorers, case_results and scores.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("stop_reason", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("dataset_path", sa.Text()),
        sa.Column("dataset_version", sa.String(80), nullable=False),
        sa.Column("n_cases", sa.Integer(), nullable=False),
        sa.Column("config_hash", sa.String(80), nullable=False),
        sa.Column("prompt_hash", sa.String(80)),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("model", sa.Text()),
        sa.Column("git_commit", sa.String(64)),
        sa.Column("evalgauge_version", sa.String(40), nullable=False),
        sa.Column("config_json", sa.Text(), nullable=False),
    )
    op.create_table(
        "run_scorers",
        sa.Column("scorer_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "run_id",
            sa.String(64),
            sa.ForeignKey("runs.run_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("judge_model", sa.Text()),
        sa.Column("prompt_hash", sa.String(80)),
        sa.Column("identity_json", sa.Text(), nullable=False),
        sa.UniqueConstraint("run_id", "name", name="uq_run_scorers_run_name"),
    )
    op.create_table(
        "case_results",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "run_id",
            sa.String(64),
            sa.ForeignKey("runs.run_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("case_id", sa.String(200), nullable=False),
        sa.Column("inputs_json", sa.Text(), nullable=False),
        sa.Column("label", sa.Boolean()),
        sa.Column("output", sa.Text()),
        sa.Column("latency_ms", sa.Float()),
        sa.Column("cached", sa.Boolean(), nullable=False),
        sa.Column("input_tokens", sa.Integer()),
        sa.Column("output_tokens", sa.Integer()),
        sa.Column("model", sa.Text()),
        sa.Column("error_type", sa.String(80)),
        sa.Column("error_message", sa.Text()),
        sa.UniqueConstraint("run_id", "case_id", name="uq_case_results_run_case"),
    )
    op.create_table(
        "scores",
        sa.Column(
            "run_id",
            sa.String(64),
            sa.ForeignKey("runs.run_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("case_id", sa.String(200), primary_key=True),
        sa.Column(
            "scorer_id",
            sa.Integer(),
            sa.ForeignKey("run_scorers.scorer_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("value", sa.Float()),
        sa.Column("passed", sa.Boolean()),
        sa.Column("reason", sa.Text()),
        sa.Column("error_type", sa.String(80)),
        sa.Column("error_message", sa.Text()),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("scores")
    op.drop_table("case_results")
    op.drop_table("run_scorers")
    op.drop_table("runs")
