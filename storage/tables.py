"""The tables mashbot keeps, as SQLAlchemy Core metadata.

The Alembic migrations in `storage/migrations/versions` create the same schema explicitly;
`tests/contract` checks that the two agree. All instants are stored in UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator

from bot.audit import GENESIS

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)


# Partial indexes (the migrations create them; these describe them). The PostgreSQL form is
# added when a PostgreSQL engine is made (describe_postgresql_indexes): naming
# `postgresql_where` here would load that dialect, tens of milliseconds, in every SQLite process.
_PARTIAL_INDEXES: list[tuple[Index, Any]] = []


def partial_index(name: str, column: Any, where: Any) -> Index:
    index = Index(name, column, sqlite_where=where)
    _PARTIAL_INDEXES.append((index, where))
    return index


def describe_postgresql_indexes() -> None:
    """Give the partial indexes their PostgreSQL WHERE (loads the PostgreSQL dialect)."""
    for index, where in _PARTIAL_INDEXES:
        index.dialect_options["postgresql"]["where"] = where


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC; always read back aware, in UTC.

    PostgreSQL stores `timestamptz`; SQLite stores SQLAlchemy's fixed-width text
    (naive UTC), which sorts and compares correctly as text.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given to storage; pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], datetime | None] | None:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        # SQLite hands back text; the C-coded fromisoformat reads it several times faster than
        # the generic string-to-datetime step, which matters when a list reads 10,000 rows.
        # SQLAlchemy's own fixed-width text (naive UTC, six fraction digits) is read with its
        # zone in the same parse: a `replace(tzinfo=...)` afterwards costs more than the parse.
        def process(value: Any) -> datetime | None:
            if value is None:
                return None
            if isinstance(value, str) and len(value) == 26 and value[19] == "." and value[20:].isdigit():
                return datetime.fromisoformat(value + "+00:00")
            at = datetime.fromisoformat(value) if isinstance(value, str) else value
            return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)

        return process


# Each policy a challenge was raised under, once (storage/snapshots.py): `digest` is the
# SHA-256 of `data`, the policy's canonical JSON.
policy_snapshots = Table(
    "policy_snapshots",
    metadata,
    Column("digest", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("data", Text, nullable=False),
)

# Between migration 0005_policy_snapshots and the first keyed start after it: the `data` each
# sealed challenge row held before the migration moved its policy out, so its old seal can still
# be verified (storage/audit_rows.py) before the row is re-sealed (storage/audit_keys.py).
pre_snapshot_seals = Table(
    "pre_snapshot_seals",
    metadata,
    Column("reference", String, primary_key=True),
    Column("data", Text, nullable=False),
)

challenges = Table(
    "challenges",
    metadata,
    Column("reference", String, primary_key=True),
    Column("case_reference", String, nullable=False),
    Column("area", String, nullable=False),
    Column("challenger_id", String, nullable=False, index=True),
    Column("state", String, nullable=False, index=True),
    Column("stage", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("urgent", Boolean, nullable=False),
    Column("breached", Boolean, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("wake_at", UTCDateTime, nullable=True),
    Column("raised_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime, nullable=True, index=True),
    Column("owner_id", String, nullable=True, index=True),
    Column("reviewers", Text, nullable=False),  # JSON list of person ids, for lists that show who has it
    Column("outcome_kind", String, nullable=True),
    Column("data", Text, nullable=False),  # the challenge without its policy
    Column("policy_digest", String, ForeignKey("policy_snapshots.digest"), nullable=False),
    # The link of this challenge's latest audit event and an HMAC over the row and that link
    # (bot.audit.AuditKey.seal): an edited row, or a row whose latest events were cut off, fails
    # `mashbot audit verify`. NULL only between the 0003 migration and the first keyed start.
    Column("audit_seq", Integer, nullable=True),
    Column("audit_hash", String, nullable=True),
    Column("seal", String, nullable=True),
)
# Only active challenges have a wake time, so this index holds just the rows a tick may need.
partial_index("ix_challenges_wake_at", challenges.c.wake_at, challenges.c.wake_at.is_not(None))

challenge_events = Table(
    "challenge_events",
    metadata,
    # Assigned from audit_head under its lock, so the chain has no gaps and no forks.
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("reference", String, nullable=False, index=True),
    Column("kind", String, nullable=False),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("actor_id", String, nullable=True),
    Column("from_state", String, nullable=True),
    Column("to_state", String, nullable=True),
    Column("stage", Integer, nullable=True),
    Column("detail", Text, nullable=False),
    Column("prev_hash", String, nullable=False),
    Column("hash", String, nullable=False),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String, nullable=False),
    # Fingerprint of the key the chain is signed with (bot.audit.AuditKey.key_id); NULL on a
    # chain written before keying (or still empty), which the first keyed start re-signs.
    Column("key_id", String, nullable=True),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("reference", String, nullable=True, index=True),
    Column("kind", String, nullable=False),
    Column("recipient", String, nullable=False),
    Column("channel", String, nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=True),
    Column("sent_at", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("external_id", Text, nullable=True),
)
# Only pending rows are ever claimed.
partial_index("ix_outbox_next_attempt_at", outbox.c.next_attempt_at, outbox.c.status == "pending")

people = Table(
    "people",
    metadata,
    Column("id", String, primary_key=True),
    Column("email", String, nullable=False, unique=True),  # stored lower-cased
    Column("position", Integer, nullable=False),  # roster order
    Column("data", Text, nullable=False),
)

roster_meta = Table(
    "roster_meta",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False),  # bumped by every import; keys the roster cache
    Column("imported_at", UTCDateTime, nullable=True),
    Column("source", Text, nullable=True),
    Column("count", Integer, nullable=False),
)

tallies = Table(
    "tallies",
    metadata,
    Column("key", String, primary_key=True),
    Column("area", String, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("count", Integer, nullable=False),
)

conversation_refs = Table(
    "conversation_refs",
    metadata,
    Column("person_id", String, primary_key=True),
    Column("channel", String, primary_key=True),
    Column("ref", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

scheduler_marks = Table(
    "scheduler_marks",
    metadata,
    Column("name", String, primary_key=True),
    Column("key", String, primary_key=True),
    Column("done_at", UTCDateTime, nullable=False),
)


def singleton_rows() -> list[tuple[Table, dict[str, Any]]]:
    """The one-row tables and their initial rows (the migration inserts the same)."""
    return [
        (audit_head, {"id": 1, "seq": 0, "hash": GENESIS, "key_id": None}),
        (roster_meta, {"id": 1, "version": 0, "imported_at": None, "source": None, "count": 0}),
    ]


# --- governance ---
# What retention keeps of a purged challenge: the report's facts (bot.facts.ChallengeFacts,
# free text removed) as JSON, so reports over old quarters still add up. `purge_id` ties the
# row to the audit trail's "purged" event, whose digest covers it (storage/retention.py).
challenge_summaries = Table(
    "challenge_summaries",
    metadata,
    Column("reference", String, primary_key=True),
    Column("raised_at", UTCDateTime, nullable=False, index=True),
    Column("closed_at", UTCDateTime, nullable=True),
    Column("purged_at", UTCDateTime, nullable=False),
    Column("purge_id", String, nullable=False, index=True),
    Column("facts", Text, nullable=False),
)
# --- end governance ---

# --- slack replay ---
# What the Slack edge has already accepted, shared by every replica and kept across restarts:
# a request signature ("sig:…", until Slack's 5-minute window has passed) and an intake
# submission ("intake:<hash>", so a retried or double-pressed Submit raises one challenge;
# `result` holds what the first submission answered). Expired rows are pruned as new ones come.
slack_replays = Table(
    "slack_replays",
    metadata,
    Column("key", String, primary_key=True),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
    Column("result", Text, nullable=True),
)
# --- end slack replay ---

# --- web access ---
# Links emailed to people outside the council's chat: an action link (one action on one
# challenge version, for one person) or a sign-in link for /web. Only a hash of the token is
# kept, so a copy of the database cannot be turned into working links. `used_at` makes each
# single-use; `used_by` says who used it (the link's person), `result` what they were told.
action_links = Table(
    "action_links",
    metadata,
    Column("token_hash", String, primary_key=True),
    Column("purpose", String, nullable=False),  # "action" or "sign_in"
    Column("person_id", String, nullable=False, index=True),
    Column("reference", String, nullable=True, index=True),
    Column("version", Integer, nullable=True),
    Column("verb", String, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
    Column("used_at", UTCDateTime, nullable=True),
    Column("used_by", String, nullable=True),
    Column("result", Text, nullable=True),
)

# Signed-in sessions of /web, kept server-side so signing out (or an administrator deleting
# the row) ends them at once. The cookie holds a random id; only its hash is stored.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String, primary_key=True),
    Column("person_id", String, nullable=False, index=True),
    Column("csrf", String, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
    Column("ended_at", UTCDateTime, nullable=True),
)
# --- end web access ---
