"""Add the dataset version without recorded outputs to runs, the scorers' model cost to case
results, and structured details to scores.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("cases_version", sa.String(80)))
    with op.batch_alter_table("case_results") as batch:
        batch.add_column(sa.Column("judge_cost_usd", sa.Float()))
    with op.batch_alter_table("scores") as batch:
        batch.add_column(sa.Column("details_json", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("scores") as batch:
        batch.drop_column("details_json")
    with op.batch_alter_table("case_results") as batch:
        batch.drop_column("judge_cost_usd")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("cases_version")
