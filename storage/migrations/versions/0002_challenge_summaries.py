"""Retention: anonymised summaries of purged challenges.

Revision ID: 0002
Revises: 0001
Create Date: 2026-01-12
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "challenge_summaries",
        sa.Column("reference", sa.String(), nullable=False),
        sa.Column("raised_at", TZ, nullable=False),
        sa.Column("closed_at", TZ, nullable=True),
        sa.Column("purged_at", TZ, nullable=False),
        sa.Column("purge_id", sa.String(), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("reference", name="pk_challenge_summaries"),
    )
    op.create_index("ix_challenge_summaries_raised_at", "challenge_summaries", ["raised_at"])
    op.create_index("ix_challenge_summaries_purge_id", "challenge_summaries", ["purge_id"])


def downgrade() -> None:
    op.drop_table("challenge_summaries")
