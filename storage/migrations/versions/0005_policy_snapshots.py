"""Policy snapshots stored once, by digest, instead of a copy in every challenge row; and the
two columns lists need (reviewers, outcome kind) so they never parse the row's JSON.

Upgrade moves each challenge's `policy` out of `challenges.data` into `policy_snapshots`
(one row per distinct policy) and points `challenges.policy_digest` at it; downgrade puts
the copies back. The digest rule is storage/snapshots.py's, written out here so this
migration keeps working whatever that module becomes.

The audit seals of the rows (0003_audit_key) covered the old `data`; the migration has no key to
re-seal them, so it keeps each sealed row's old `data` in `pre_snapshot_seals`: `mashbot audit
verify` checks the old seal meanwhile, and the first keyed start re-seals the rows over their new
columns once the trail verifies, then empties it (storage/audit_keys.py).

Revision ID: 0005_policy_snapshots
Revises: 0004_slack_replay
Create Date: 2026-12-02
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005_policy_snapshots"
down_revision: str | None = "0004_slack_replay"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 1_000
FK = "fk_challenges_policy_digest_policy_snapshots"

challenges = sa.table("challenges", sa.column("reference", sa.String), sa.column("data", sa.Text),
                      sa.column("policy_digest", sa.String), sa.column("reviewers", sa.Text),
                      sa.column("outcome_kind", sa.String), sa.column("seal", sa.String))
# A sealed row's `data` as it was, until the first keyed start re-seals the row over its new
# columns: the migration cannot (it has no key), and verify checks the old seal meanwhile.
pre_snapshot_seals = sa.table("pre_snapshot_seals", sa.column("reference", sa.String), sa.column("data", sa.Text))
snapshots = sa.table("policy_snapshots", sa.column("digest", sa.String), sa.column("name", sa.String),
                     sa.column("data", sa.Text))


def _canonical(policy: dict[str, Any]) -> str:
    return json.dumps(policy, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _compact(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _chunks(conn: sa.Connection, query: sa.Select[Any]) -> Any:
    """Rows in chunks by reference, so a large table is never held in memory at once."""
    after = ""
    while True:
        rows = conn.execute(query.where(challenges.c.reference > after)
                            .order_by(challenges.c.reference).limit(CHUNK)).all()
        if not rows:
            return
        yield rows
        after = rows[-1].reference


def _wake_index(create: bool) -> None:
    # Recreated around the batch step: SQLite's table copy would not keep its WHERE clause.
    if create:
        where = sa.text("wake_at IS NOT NULL")
        op.create_index("ix_challenges_wake_at", "challenges", ["wake_at"],
                        postgresql_where=where, sqlite_where=where)
    else:
        op.drop_index("ix_challenges_wake_at", table_name="challenges")


def upgrade() -> None:
    op.create_table(
        "policy_snapshots",
        sa.Column("digest", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name="pk_policy_snapshots"),
    )
    op.add_column("challenges", sa.Column("policy_digest", sa.String(), nullable=True))
    # What lists show without reading the JSON: who has it, and how it ended.
    op.add_column("challenges", sa.Column("reviewers", sa.Text(), nullable=True))
    op.add_column("challenges", sa.Column("outcome_kind", sa.String(), nullable=True))
    op.create_table(
        "pre_snapshot_seals",
        sa.Column("reference", sa.String(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("reference", name="pk_pre_snapshot_seals"),
    )
    conn = op.get_bind()
    seen: set[str] = set()
    for rows in _chunks(conn, sa.select(challenges.c.reference, challenges.c.data, challenges.c.seal)):
        new_snapshots, updates = [], []
        sealed = [{"reference": row.reference, "data": row.data} for row in rows if row.seal is not None]
        if sealed:
            conn.execute(pre_snapshot_seals.insert(), sealed)
        for row in rows:
            data = json.loads(row.data)
            policy = data.pop("policy")
            text = _canonical(policy)
            digest = hashlib.sha256(text.encode()).hexdigest()
            if digest not in seen:
                seen.add(digest)
                new_snapshots.append({"digest": digest, "name": str(policy.get("name", "")), "data": text})
            outcome = data.get("outcome") or {}
            updates.append({"ref": row.reference, "new_data": _compact(data), "digest": digest,
                            "reviewers": _compact(list(data.get("reviewers") or [])),
                            "outcome_kind": outcome.get("kind")})
        if new_snapshots:
            conn.execute(snapshots.insert(), new_snapshots)
        conn.execute(challenges.update().where(challenges.c.reference == sa.bindparam("ref"))
                     .values(data=sa.bindparam("new_data"), policy_digest=sa.bindparam("digest"),
                             reviewers=sa.bindparam("reviewers"), outcome_kind=sa.bindparam("outcome_kind")),
                     updates)
    _wake_index(create=False)
    with op.batch_alter_table("challenges") as batch:
        batch.alter_column("policy_digest", existing_type=sa.String(), nullable=False)
        batch.alter_column("reviewers", existing_type=sa.Text(), nullable=False)
        batch.create_foreign_key(FK, "policy_snapshots", ["policy_digest"], ["digest"])
    _wake_index(create=True)


def downgrade() -> None:
    conn = op.get_bind()
    policies = {digest: json.loads(data) for digest, data in conn.execute(
        sa.select(snapshots.c.digest, snapshots.c.data))}
    # A row never re-sealed since the upgrade gets its very text back (its old seal holds again).
    kept = dict(conn.execute(sa.select(pre_snapshot_seals.c.reference, pre_snapshot_seals.c.data)).all())
    for rows in _chunks(conn, sa.select(challenges.c.reference, challenges.c.data, challenges.c.policy_digest)):
        updates = [{"ref": row.reference,
                    "new_data": kept.get(row.reference)
                    or _compact({**json.loads(row.data), "policy": policies[row.policy_digest]})}
                   for row in rows]
        conn.execute(challenges.update().where(challenges.c.reference == sa.bindparam("ref"))
                     .values(data=sa.bindparam("new_data")), updates)
    _wake_index(create=False)
    with op.batch_alter_table("challenges") as batch:
        batch.drop_constraint(FK, type_="foreignkey")
        batch.drop_column("policy_digest")
        batch.drop_column("reviewers")
        batch.drop_column("outcome_kind")
    _wake_index(create=True)
    op.drop_table("policy_snapshots")
    # Rows re-sealed since the upgrade have seals over columns that are now gone: only
    # `mashbot audit rekey` under the same key re-seals them at this revision.
    op.drop_table("pre_snapshot_seals")
