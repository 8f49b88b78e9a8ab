"""Add cost, cache and reasoning tokens, time to first token and slice tags to case results;
the tier to runs; and the table of gate overrides.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("tier", sa.String(100)))
    with op.batch_alter_table("case_results") as batch:
        batch.add_column(sa.Column("cached_input_tokens", sa.Integer()))
        batch.add_column(sa.Column("reasoning_tokens", sa.Integer()))
        batch.add_column(sa.Column("cost_usd", sa.Float()))
        batch.add_column(sa.Column("ttft_ms", sa.Float()))
        batch.add_column(sa.Column("tags_json", sa.Text()))
    op.create_table(
        "gate_overrides",
        sa.Column("override_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("rule", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("approver", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires", sa.Date(), nullable=False),
        sa.Column("git_commit", sa.String(64)),
    )


def downgrade() -> None:
    op.drop_table("gate_overrides")
    with op.batch_alter_table("case_results") as batch:
        for name in ("tags_json", "ttft_ms", "cost_usd", "reasoning_tokens", "cached_input_tokens"):
            batch.drop_column(name)
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("tier")
