"""Putting the audit trail under a key, and moving it to another.

- **A trail from before keying** (migrated by 0003_audit_key: unkeyed SHA-256 links, `key_id`
  NULL on the head, unsealed challenge rows) is re-signed once by `keep_keyed` at the first
  `mashbot serve` or `mashbot db upgrade` that runs after the migration — only if it verifies as
  it was; otherwise nothing is re-signed and the start is refused, so re-keying never launders a
  change made before it.
- **Rows migrated by 0005_policy_snapshots** (their seals cover the columns as they were) are
  re-sealed by the first keyed start after it, once the trail verifies with each such row checked
  against its old seal (storage/audit_rows.py).
- **Rotation**: `mashbot audit rekey` verifies the whole trail under the old key
  (MASHBOT_AUDIT_OLD_KEY, or the development key when that is unset), then re-signs every link
  and re-seals every challenge row under MASHBOT_AUDIT_KEY, in one transaction under the head lock.

Re-signing recomputes each event's link from its content. A tombstone's content is gone, so its
stored link is kept; the purge event that commits to the tombstones gets its commitment
recomputed over their new `prev_hash` values and is then re-signed like any other event.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import GENESIS, AuditKey
from bot.errors import MashbotError
from storage import tables as t
from storage.audit_chain import PURGE_KIND, RETENTION_REFERENCE, tombstone_id, tombstone_line, verify_audit
from storage.audit_rows import ChainWalk
from storage.database import Database
from storage.repositories import chain_record
from storage.seals import SEALED_COLUMNS, seal_record

_PAGE = 1000


class AuditKeyError(MashbotError):
    """The trail cannot be used or re-keyed with the key given; the message says what to do."""


@dataclass(frozen=True)
class Rekeyed:
    events: int
    challenges: int
    key_id: str
    from_legacy: bool


async def _head(session: AsyncSession) -> tuple[int, str | None]:
    head = t.audit_head.c
    seq, key_id = (await session.execute(
        select(head.seq, head.key_id).where(head.id == 1).with_for_update())).one()
    return int(seq), key_id


async def resign(session: AsyncSession, key: AuditKey) -> Rekeyed:
    """Re-sign every link and re-seal every challenge row under `key`. The caller has verified
    the trail under the old key in this same transaction, holding the head lock."""
    ev = t.challenge_events.c
    previous, after, events = GENESIS, 0, 0
    latest: dict[str, tuple[int, str]] = {}
    groups: dict[str, Any] = {}
    while True:
        rows = (await session.execute(
            select(t.challenge_events).where(ev.seq > after).order_by(ev.seq).limit(_PAGE))).all()
        changes = []
        for row in rows:
            detail = json.loads(row.detail)
            purge_id = tombstone_id(detail)
            new_detail = row.detail
            if purge_id is not None:
                link = row.hash  # its content is gone: the purge's commitment vouches for it
                line = tombstone_line(row.seq, row.reference, row.kind, row.at, row.actor_id, row.from_state,
                                      row.to_state, row.stage, previous, row.hash)
                groups.setdefault(purge_id, hashlib.sha256()).update(line.encode())
            else:
                if row.kind == PURGE_KIND and row.reference == RETENTION_REFERENCE:
                    digest = groups.pop(str(detail.get("purge_id")), None)
                    if digest is not None:
                        detail["commitment"] = digest.hexdigest()
                        new_detail = json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                link = key.link(previous, chain_record(row.seq, row.reference, row.kind, row.at, row.actor_id,
                                                       row.from_state, row.to_state, row.stage, detail))
            changes.append({"s": row.seq, "p": previous, "h": link, "d": new_detail})
            latest[row.reference] = (int(row.seq), link)
            previous = link
            events += 1
        if changes:
            await session.execute(
                update(t.challenge_events).where(ev.seq == bindparam("s"))
                .values(prev_hash=bindparam("p"), hash=bindparam("h"), detail=bindparam("d")), changes)
        if len(rows) < _PAGE:
            break
        after = int(rows[-1].seq)
    await session.execute(update(t.audit_head).where(t.audit_head.c.id == 1)
                          .values(hash=previous, key_id=key.key_id))
    resealed = await _reseal(session, key, latest)
    await session.execute(delete(t.pre_snapshot_seals))  # every row is sealed over its columns now
    return Rekeyed(events, resealed, key.key_id, False)


async def _reseal(session: AsyncSession, key: AuditKey, latest: dict[str, tuple[int, str]]) -> int:
    c = t.challenges.c
    after, count = "", 0
    while True:
        rows = (await session.execute(
            select(c.reference, *(c[name] for name in SEALED_COLUMNS))
            .where(c.reference > after).order_by(c.reference).limit(_PAGE))).all()
        params = []
        for row in rows:
            seq, link = latest.get(row.reference, (None, None))
            params.append({"r": row.reference, "q": seq, "h": link,
                           "x": key.seal(seal_record(row.reference, dict(row._mapping), seq, link))})
        if params:
            await session.execute(
                update(t.challenges).where(c.reference == bindparam("r"))
                .values(audit_seq=bindparam("q"), audit_hash=bindparam("h"), seal=bindparam("x")), params)
        count += len(rows)
        if len(rows) < _PAGE:
            return count
        after = rows[-1].reference


def _mismatch(key_id: str, key: AuditKey) -> AuditKeyError:
    return AuditKeyError(
        f"MASHBOT_AUDIT_KEY is not the key this audit trail is signed with (the trail's key id is {key_id}, "
        f"this key's is {key.key_id}). Set the key the trail was signed with, or move the trail to this key "
        "with `MASHBOT_AUDIT_OLD_KEY=<the old key> mashbot audit rekey` (see the README).")


async def keep_keyed(database: Database) -> Rekeyed | None:
    """At start: name the key of a new trail, re-sign a trail from before keying once, and refuse
    a trail signed with another key. None when there was nothing to do."""
    key = database.audit_key
    async with database.uow() as uow:
        seq, key_id = await _head(uow.session)
        if key_id == key.key_id:
            resealed = await _reseal_migrated(uow.session, key)
            if resealed is not None:
                await uow.commit()
            return resealed
        if seq == 0:  # nothing signed yet: the trail takes this key, whatever it named before
            await uow.session.execute(update(t.audit_head).where(t.audit_head.c.id == 1).values(key_id=key.key_id))
            await uow.commit()
            return None
        if key_id is not None:
            raise _mismatch(key_id, key)
        check = await verify_audit(uow.session, key, legacy=True)
        if not check.ok:
            raise AuditKeyError(
                f"The audit trail written before MASHBOT_AUDIT_KEY does not verify (broken at event {check.broken}: "
                f"{'; '.join(check.problems)}). Nothing was re-signed: restore the database from a backup, or "
                "investigate with `mashbot audit verify`.")
        done = await resign(uow.session, key)
        await uow.commit()
    return Rekeyed(done.events, done.challenges, done.key_id, from_legacy=True)


async def _reseal_migrated(session: AsyncSession, key: AuditKey) -> Rekeyed | None:
    """Re-seal the rows migration 0005_policy_snapshots changed (their seals cover the old
    columns), once the whole trail verifies under the key, checking each such row against its
    old seal (storage/audit_rows.py); None when no row waits for it."""
    if await session.scalar(select(t.pre_snapshot_seals.c.reference).limit(1)) is None:
        return None
    await _head(session)  # the head lock, as for a re-key
    walk = ChainWalk()
    check = await verify_audit(session, key, walk=walk)
    if not check.ok:
        raise AuditKeyError(
            "The audit trail does not verify after the policy-snapshot migration "
            f"({'; '.join(check.problems) or f'broken at event {check.broken}'}). Nothing was re-sealed: restore the database from a backup, or investigate with `mashbot audit verify`.")
    count = await _reseal(session, key, {ref: (link.seq, link.hash) for ref, link in walk.latest.items()})
    await session.execute(delete(t.pre_snapshot_seals))
    return Rekeyed(0, count, key.key_id, from_legacy=False)


async def rekey(database: Database, old: AuditKey) -> Rekeyed:
    """`mashbot audit rekey`: verify everything under `old`, then re-sign under the database's key."""
    key = database.audit_key
    async with database.uow() as uow:
        seq, key_id = await _head(uow.session)
        if key_id is None and seq > 0:
            check = await verify_audit(uow.session, key, legacy=True)
            from_legacy = True
        else:
            if key_id is not None and key_id != old.key_id:
                raise AuditKeyError(f"MASHBOT_AUDIT_OLD_KEY is not the key this audit trail is signed with "
                                    f"(the trail's key id is {key_id}, the old key's is {old.key_id}).")
            check = await verify_audit(uow.session, old)
            from_legacy = False
        if not check.ok:
            raise AuditKeyError(f"The audit trail does not verify under the old key, so it was not re-signed: "
                                f"{'; '.join(check.problems) or f'broken at event {check.broken}'}.")
        done = await resign(uow.session, key)
        await uow.commit()
    return Rekeyed(done.events, done.challenges, done.key_id, from_legacy)


async def trail_key_id(database: Database) -> str | None:
    """The key id the trail says it is signed with (None before keying)."""
    async with database.uow(read_only=True) as uow:
        return await uow.session.scalar(select(t.audit_head.c.key_id).where(t.audit_head.c.id == 1))
