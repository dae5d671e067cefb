"""The audit trail's check, tombstone-aware: what `mashbot audit verify` and every purge run.

A purge (storage/retention.py) tombstones the audit events of the challenges it removes: the
detail becomes `{"_tombstone": <purge id>}`, the actor is cleared, everything else stays, and
a `purged` event (reference `RETENTION`) commits to what was done.

**Why `mashbot audit verify` still verifies, and what it still catches.** A tombstoned row's
link hash cannot be recomputed (its original detail is gone), so the verifier accepts its
stored `hash` — but only under three checks: (a) its `prev_hash` must equal the previous
link's hash and the next link is still recomputed from it, so the row's hash is pinned by
the rest of the chain; (b) a later `purged` event — itself a fully hashed link — must name
the tombstone's purge id, and its commitment must match the tombstoned rows as they are now
(changing a kept field of a tombstone, deleting one, or turning a live event into a
"tombstone" all break it); (c) the summaries written by that purge must still match its
digest. Every other link is checked exactly: its prev_hash, its hash, no gap in seq, and the head.
Links are HMACs under MASHBOT_AUDIT_KEY (bot/audit.py), so (a)-(c) hold against anyone without
the key; the challenge rows are then checked against their seals and events (storage/audit_rows.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import DEVELOPMENT_KEY, GENESIS, AuditKey, canonical, legacy_link
from storage import tables as t
from storage.audit_rows import ChainWalk, Link, check_rows
from storage.database import Database
from storage.repositories import ChainCheck, chain_record

RETENTION_REFERENCE = "RETENTION"  # the `reference` of the chain's own "purged" events
PURGE_KIND = "purged"
TOMBSTONE_KEY = "_tombstone"


def tombstone_id(detail: Any) -> str | None:
    """The purge id of a tombstoned event's detail, None for a live event."""
    if isinstance(detail, dict) and set(detail) == {TOMBSTONE_KEY} and isinstance(detail[TOMBSTONE_KEY], str):
        return detail[TOMBSTONE_KEY]
    return None


def tombstone_line(seq: int, reference: str, kind: str, at: datetime, actor_id: str | None,
                   from_state: str | None, to_state: str | None, stage: int | None,
                   prev_hash: str, link: str) -> str:
    """The kept fields of one tombstoned row, as the purge commitment covers them."""
    record = chain_record(seq, reference, kind, at, actor_id, from_state, to_state, stage, {})
    del record["detail"]
    return canonical(record | {"prev_hash": prev_hash, "hash": link}) + "\n"


def row_line(row: Row[Any]) -> str:
    return tombstone_line(row.seq, row.reference, row.kind, row.at, row.actor_id, row.from_state,
                          row.to_state, row.stage, row.prev_hash, row.hash)


def summaries_digest(rows: Iterable[tuple[str, str]]) -> str:
    """SHA-256 over (reference, facts JSON) pairs, in reference order."""
    digest = hashlib.sha256()
    for reference, facts in sorted(rows):
        digest.update((json.dumps([reference, facts], ensure_ascii=False, separators=(",", ":")) + "\n").encode())
    return digest.hexdigest()


@dataclass
class _Group:
    first: int
    count: int = 0
    digest: Any = field(default_factory=hashlib.sha256)

    def add(self, line: str) -> None:
        self.count += 1
        self.digest.update(line.encode())


async def _summaries_digest_of(session: AsyncSession, purge_id: str) -> str:
    s = t.challenge_summaries.c
    rows = await session.execute(select(s.reference, s.facts).where(s.purge_id == purge_id))
    return summaries_digest((r.reference, r.facts) for r in rows)


def _link_ok(key: AuditKey, legacy: bool, previous: str, record: dict[str, Any], stored: str) -> bool:
    if hmac.compare_digest(key.link(previous, record), stored):
        return True
    # Before its first keyed start a migrated trail holds unkeyed links (then keyed ones, if a
    # cron tick appended meanwhile); only the one-off re-key reads it this way.
    return legacy and hmac.compare_digest(legacy_link(previous, record), stored)


def _broken(expected: int, row: Row[Any], why: str) -> ChainCheck:
    return ChainCheck(expected - 1, int(row.seq), (f"{row.reference}: event {row.seq} ({row.kind}) {why}",))


async def verify_audit(session: AsyncSession, key: AuditKey = DEVELOPMENT_KEY, page: int = 1000, *,
                       legacy: bool = False, walk: ChainWalk | None = None) -> ChainCheck:
    """Verify the audit trail under `key`, tombstone-aware (see the module docstring): every link
    is checked in seq order with no gaps, tombstones against the commitment of the purge that
    made them, the head row against the last link, then every challenge row against its seal
    and its events (storage/audit_rows.py). `legacy` accepts the unkeyed links of a trail from
    before keying, and skips the rows (they are not sealed yet): for the one-off re-key only."""
    ev = t.challenge_events.c
    previous, expected = GENESIS, 1
    groups: dict[str, _Group] = {}
    walk = walk if walk is not None else ChainWalk()
    while True:
        rows = (await session.execute(
            select(t.challenge_events).where(ev.seq >= expected).order_by(ev.seq).limit(page))).all()
        for row in rows:
            if row.seq != expected:
                return ChainCheck(expected - 1, expected, (
                    f"event {expected} is missing (the next one is {row.reference}'s event {row.seq})",))
            if row.prev_hash != previous:
                return _broken(expected, row, "does not follow the event before it")
            try:
                detail = json.loads(row.detail)
            except ValueError:
                return _broken(expected, row, "has a detail that is not JSON")
            purge_id = tombstone_id(detail)
            if purge_id is not None:
                groups.setdefault(purge_id, _Group(first=int(row.seq))).add(row_line(row))
                walk.tombstoned.add(row.reference)
            else:
                record = chain_record(row.seq, row.reference, row.kind, row.at, row.actor_id, row.from_state,
                                      row.to_state, row.stage, detail)
                if not _link_ok(key, legacy, previous, record, row.hash):
                    return _broken(expected, row, "does not verify under the audit key: it (or one before it) "
                                   "was changed, or MASHBOT_AUDIT_KEY is not the key the trail is signed with")
                if row.kind == PURGE_KIND and row.reference == RETENTION_REFERENCE:
                    group = groups.pop(str(detail.get("purge_id")), _Group(first=int(row.seq)))
                    if (group.count != detail.get("events") or group.digest.hexdigest() != detail.get("commitment")
                            or await _summaries_digest_of(session, str(detail.get("purge_id")))
                            != detail.get("summaries")):
                        return _broken(expected, row, "does not match the tombstones or summaries it made")
                if row.kind == "breached":
                    walk.breached.add(row.reference)
            walk.latest[row.reference] = Link(int(row.seq), row.hash, row.to_state, row.stage)
            previous, expected = row.hash, expected + 1
        if len(rows) < page:
            break
    last = expected - 1
    if groups:  # tombstones no purge event accounts for
        first = min(g.first for g in groups.values())
        return ChainCheck(first - 1, first, (f"event {first} is a tombstone no purge accounts for",))
    head = t.audit_head.c
    head_seq, head_hash = (await session.execute(select(head.seq, head.hash).where(head.id == 1))).one()
    if head_seq != last or head_hash != previous:
        broken = max(last, 1) if head_seq == last else min(int(head_seq), last) + 1
        return ChainCheck(last, broken, (f"the trail ends at event {last} but its head says event {head_seq}: "
                                         "events were removed from the end, or the head was moved",))
    if legacy:
        return ChainCheck(last, None)
    return ChainCheck(last, None, tuple(await check_rows(session, key, walk)))


async def verify_database(database: Database) -> ChainCheck:
    """`verify_audit` in a read-only snapshot of `database` (what `mashbot audit verify` runs)."""
    async with database.uow(read_only=True) as uow:
        return await verify_audit(uow.session, database.audit_key)
