"""Key the audit chain: the seal and latest-event link on each challenge row, the key id on the head.

The migration cannot know MASHBOT_AUDIT_KEY, so it only adds the columns; an existing chain
(unkeyed SHA-256 links) is re-signed under the key by the first `mashbot serve` or
`mashbot db upgrade` after it, once it verifies as it was (storage/audit_keys.py).

Revision ID: 0003_audit_key
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_audit_key"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("challenges") as batch:
        batch.add_column(sa.Column("audit_seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("audit_hash", sa.String(), nullable=True))
        batch.add_column(sa.Column("seal", sa.String(), nullable=True))
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("key_id", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("key_id")
    with op.batch_alter_table("challenges") as batch:
        batch.drop_column("seal")
        batch.drop_column("audit_hash")
        batch.drop_column("audit_seq")
