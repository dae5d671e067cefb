"""The second half of `mashbot audit verify`: each challenge row against its seal and its events.

The chain alone cannot tell that its last events were cut off (and the head moved back), nor that
a challenge row was edited: both leave a chain that verifies. So every change of a challenge seals
its row (bot.audit.AuditKey.seal, at commit: storage/repositories.py AuditSealer) over its columns
and the link of its latest event. Verify then checks, for every row: the seal; that it points at
the latest event the trail holds for it (a cut-off tail, or a row put back to an older copy, no
longer agree); that its state and stage are the ones its latest event moved it to, and that a
breached flag has its event; that its summary columns agree with its JSON; that its policy
snapshot is there and still hashes to its digest (the seal covers the digest, so swapping a
challenge's policy, or editing a snapshot, is caught); and that no challenge with events lost
its row other than by a purge. A row not re-sealed since migration 0005_policy_snapshots moved
its policy out is checked against the seal it had before (storage/tables.py pre_snapshot_seals).
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import AuditKey
from storage import tables as t
from storage.seals import SEALED_COLUMNS_0004, seal_record
from storage.snapshots import canonical_policy_json, digest_of

_PAGE = 1000
_KEPT_WITHOUT_ROW = "RETENTION"  # the reference of the chain's own purge events


@dataclass(frozen=True)
class Link:
    """The latest event of one reference, as the chain walk found it."""

    seq: int
    hash: str
    to_state: str | None
    stage: int | None


@dataclass
class ChainWalk:
    """What verifying the chain learnt about each challenge (for checking the challenge rows)."""

    latest: dict[str, Link] = field(default_factory=dict)
    breached: set[str] = field(default_factory=set)
    tombstoned: set[str] = field(default_factory=set)


def _sealed_before_snapshots(row: dict[str, object], before: str, key: AuditKey, seal: str) -> bool:
    """Whether a row not re-sealed since migration 0005 carries the seal it had before it, over
    the `data` it had then, and is what the migration made of that: the same fields without the
    policy, pointing at the snapshot of that very policy."""
    ref = str(row["reference"])
    audit_seq = row["audit_seq"] if isinstance(row["audit_seq"], int) else None
    audit_hash = row["audit_hash"] if isinstance(row["audit_hash"], str) else None
    old = key.seal(seal_record(ref, {**row, "data": before}, audit_seq, audit_hash, SEALED_COLUMNS_0004))
    if not hmac.compare_digest(seal, old):
        return False
    try:
        fields, now = json.loads(before), json.loads(str(row["data"]))
        policy = fields.pop("policy")
    except (ValueError, KeyError, AttributeError):
        return False
    return bool(fields == now and row["policy_digest"] == digest_of(canonical_policy_json(policy)))


def _row_problem(row: dict[str, object], key: AuditKey, walk: ChainWalk, snapshots: dict[str, bool],
                 premigration: dict[str, str]) -> str | None:
    ref = str(row["reference"])
    seal = row["seal"]
    audit_seq = row["audit_seq"] if isinstance(row["audit_seq"], int) else None
    audit_hash = row["audit_hash"] if isinstance(row["audit_hash"], str) else None
    expected = key.seal(seal_record(ref, row, audit_seq, audit_hash))
    if not isinstance(seal, str) or not hmac.compare_digest(seal, expected):
        before = premigration.get(ref)
        if not isinstance(seal, str) or before is None or not _sealed_before_snapshots(row, before, key, seal):
            return f"{ref}: the challenge row was changed outside mashbot (its seal does not match)"
    last = walk.latest.get(ref)
    if last is None:
        return f"{ref}: the challenge has no events in the audit trail"
    if (audit_seq, audit_hash) != (last.seq, last.hash):
        return (f"{ref}: the row was last changed with event {audit_seq}, but the trail's latest event for it "
                f"is {last.seq}: events were removed from the end of the trail, or the row was put back")
    if (row["state"], row["stage"]) != (last.to_state, last.stage):
        return (f"{ref}: the row says {row['state']} at stage {row['stage']}, its events say "
                f"{last.to_state} at stage {last.stage}")
    try:
        data = json.loads(str(row["data"]))
    except ValueError:
        return f"{ref}: the stored challenge is not JSON"
    for name in ("state", "stage", "version", "breached", "owner_id", "area"):
        if data.get(name) != row[name]:
            return f"{ref}: the row's {name} does not agree with the stored challenge"
    try:
        reviewers = json.loads(str(row["reviewers"]))
    except ValueError:
        reviewers = None
    if reviewers != list(data.get("reviewers") or []):
        return f"{ref}: the row's reviewers do not agree with the stored challenge"
    if row["outcome_kind"] != (data.get("outcome") or {}).get("kind"):
        return f"{ref}: the row's outcome_kind does not agree with the stored challenge"
    if row["policy_digest"] not in snapshots:
        return f"{ref}: the row's policy snapshot {row['policy_digest']} is missing"
    if not snapshots[row["policy_digest"]]:
        return f"{ref}: its policy snapshot was changed outside mashbot (its content does not match its digest)"
    if row["breached"] and ref not in walk.breached:
        return f"{ref}: the row is flagged breached, but no breach is in its events"
    return None


async def check_rows(session: AsyncSession, key: AuditKey, walk: ChainWalk) -> list[str]:
    """What does not agree between the challenge rows and the trail, one line per challenge."""
    c = t.challenges.c
    problems: list[str] = []
    seen: set[str] = set()
    # Each policy snapshot's content against its digest (the digest names the content, and the
    # seal covers each row's digest): True where they agree.
    s = t.policy_snapshots.c
    snapshots = {digest: hmac.compare_digest(digest, digest_of(data))
                 for digest, data in await session.execute(select(s.digest, s.data))}
    p = t.pre_snapshot_seals.c
    premigration = {ref: data for ref, data in await session.execute(select(p.reference, p.data))}
    after = ""
    while True:
        rows = (await session.execute(
            select(t.challenges).where(c.reference > after).order_by(c.reference).limit(_PAGE))).all()
        for row in rows:
            mapping = dict(row._mapping)
            seen.add(row.reference)
            problem = _row_problem(mapping, key, walk, snapshots, premigration)
            if problem:
                problems.append(problem)
        if len(rows) < _PAGE:
            break
        after = rows[-1].reference
    for ref in sorted(set(walk.latest) - seen - walk.tombstoned - {_KEPT_WITHOUT_ROW}):
        problems.append(f"{ref}: its events are in the audit trail but the challenge row is gone (not by a purge)")
    return problems
