"""Slack replay protection shared by every replica: seen signatures and intake submissions.

Revision ID: 0004_slack_replay
Revises: 0003_audit_key
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_slack_replay"
down_revision: str | None = "0003_audit_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_replays",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_slack_replays"),
    )
    op.create_index("ix_slack_replays_expires_at", "slack_replays", ["expires_at"])


def downgrade() -> None:
    op.drop_table("slack_replays")
