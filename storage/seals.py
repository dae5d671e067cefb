"""Sealing challenge rows: an HMAC (bot.audit.AuditKey.seal) over each row's columns and the link
of its latest audit event, written whenever a unit of work that changed the row commits. It lets
`mashbot audit verify` notice an edited row and a trail whose last events were cut off
(storage/audit_rows.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import AuditKey
from storage import tables as t


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("naive datetime given to storage; pass an aware datetime")
    return at.astimezone(UTC)


# Every stored column of the row but the seal's own three: `policy_digest` among them, so pointing
# a challenge at another policy snapshot breaks its seal (a snapshot's content is checked against
# its digest by storage/audit_rows.py).
SEALED_COLUMNS = ("case_reference", "area", "challenger_id", "state", "stage", "version", "urgent", "breached",
                  "due_at", "wake_at", "raised_at", "closed_at", "owner_id", "reviewers", "outcome_kind", "data",
                  "policy_digest")


# What a seal covered before migration 0005_policy_snapshots (its `data` held the policy): only
# to verify a row migrated by it, before its first re-seal (storage/audit_rows.py).
SEALED_COLUMNS_0004 = ("case_reference", "area", "challenger_id", "state", "stage", "version", "urgent", "breached",
                       "due_at", "wake_at", "raised_at", "closed_at", "owner_id", "data")


def seal_record(reference: str, columns: Mapping[str, Any], audit_seq: int | None,
                audit_hash: str | None, names: tuple[str, ...] = SEALED_COLUMNS) -> dict[str, Any]:
    """What a challenge row's seal covers: every stored column and the link of its latest event."""
    record: dict[str, Any] = {"reference": reference, "audit_seq": audit_seq, "audit_hash": audit_hash}
    for name in names:
        value = columns[name]
        record[name] = _utc(value).isoformat() if isinstance(value, datetime) else value
    return record


class AuditSealer:
    """Seals the challenge rows a unit of work wrote, at commit, with the link of each one's latest
    event: the rows are saved before their events are appended, so the link is known only then."""

    def __init__(self, session: AsyncSession, key: AuditKey) -> None:
        self._session = session
        self.key = key
        self.written: dict[str, dict[str, Any]] = {}
        self.links: dict[str, tuple[int | None, str | None]] = {}  # latest known link per reference

    def wrote(self, reference: str, columns: dict[str, Any]) -> None:
        self.written[reference] = columns

    def read(self, reference: str, audit_seq: int | None, audit_hash: str | None) -> None:
        self.links.setdefault(reference, (audit_seq, audit_hash))

    def appended(self, reference: str, seq: int, link: str) -> None:
        self.links[reference] = (seq, link)

    async def flush(self) -> None:
        if not self.written:
            return
        c = t.challenges.c
        unknown = [ref for ref in self.written if ref not in self.links]
        if unknown:
            rows = await self._session.execute(
                select(c.reference, c.audit_seq, c.audit_hash).where(c.reference.in_(unknown)))
            for ref, seq, link in rows:
                self.links[ref] = (seq, link)
        params = []
        for ref, columns in self.written.items():
            seq, link = self.links.get(ref, (None, None))
            params.append({"ref": ref, "a_seq": seq, "a_hash": link,
                           "a_seal": self.key.seal(seal_record(ref, columns, seq, link))})
        await self._session.execute(
            update(t.challenges).where(c.reference == bindparam("ref"))
            .values(audit_seq=bindparam("a_seq"), audit_hash=bindparam("a_hash"), seal=bindparam("a_seal")),
            params)
        self.written.clear()
