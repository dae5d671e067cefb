"""Initial schema.

Challenges, the audit trail and its head, outbox, people and roster_meta, tallies,
conversation references and scheduler marks.

Revision ID: 0001
Revises:
Create Date: 2025-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    _challenges()
    _audit_trail()
    _outbox()
    _people()
    _small_tables()


def _challenges() -> None:
    op.create_table(
        "challenges",
        sa.Column("reference", sa.String(), nullable=False),
        sa.Column("case_reference", sa.String(), nullable=False),
        sa.Column("area", sa.String(), nullable=False),
        sa.Column("challenger_id", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("breached", sa.Boolean(), nullable=False),
        sa.Column("due_at", TZ, nullable=False),
        sa.Column("wake_at", TZ, nullable=True),
        sa.Column("raised_at", TZ, nullable=False),
        sa.Column("closed_at", TZ, nullable=True),
        sa.Column("owner_id", sa.String(), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("reference", name="pk_challenges"),
    )
    op.create_index("ix_challenges_challenger_id", "challenges", ["challenger_id"])
    op.create_index("ix_challenges_state", "challenges", ["state"])
    op.create_index("ix_challenges_closed_at", "challenges", ["closed_at"])
    op.create_index("ix_challenges_owner_id", "challenges", ["owner_id"])
    not_null = sa.text("wake_at IS NOT NULL")
    op.create_index("ix_challenges_wake_at", "challenges", ["wake_at"],
                    postgresql_where=not_null, sqlite_where=not_null)


def _audit_trail() -> None:
    op.create_table(
        "challenge_events",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("reference", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("actor_id", sa.String(), nullable=True),
        sa.Column("from_state", sa.String(), nullable=True),
        sa.Column("to_state", sa.String(), nullable=True),
        sa.Column("stage", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_challenge_events"),
    )
    op.create_index("ix_challenge_events_reference", "challenge_events", ["reference"])
    op.create_index("ix_challenge_events_at", "challenge_events", ["at"])
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS}])


def _outbox() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("reference", sa.String(), nullable=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("recipient", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=True),
        sa.Column("sent_at", TZ, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("external_id", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
    )
    op.create_index("ix_outbox_reference", "outbox", ["reference"])
    pending = sa.text("status = 'pending'")
    op.create_index("ix_outbox_next_attempt_at", "outbox", ["next_attempt_at"],
                    postgresql_where=pending, sqlite_where=pending)


def _people() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_people"),
        sa.UniqueConstraint("email", name="uq_people_email"),
    )
    meta = op.create_table(
        "roster_meta",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("imported_at", TZ, nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_roster_meta"),
    )
    op.bulk_insert(meta, [{"id": 1, "version": 0, "imported_at": None, "source": None, "count": 0}])


def _small_tables() -> None:
    op.create_table(
        "tallies",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("area", sa.String(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "area", "day", name="pk_tallies"),
    )
    op.create_table(
        "conversation_refs",
        sa.Column("person_id", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("ref", sa.Text(), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("person_id", "channel", name="pk_conversation_refs"),
    )
    op.create_table(
        "scheduler_marks",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("done_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("name", "key", name="pk_scheduler_marks"),
    )


def downgrade() -> None:
    for table in ("scheduler_marks", "conversation_refs", "tallies", "roster_meta", "people", "outbox",
                  "audit_head", "challenge_events", "challenges"):
        op.drop_table(table)
