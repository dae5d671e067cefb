"""Policy snapshots: each policy a challenge was raised under is stored once, by digest.

A challenge row holds its own fields as JSON (`challenges.data`, without the policy) and the
digest of its policy (`challenges.policy_digest` → `policy_snapshots`). A snapshot is parsed
once per process: its digest names its content, so the parsed `Policy` can be shared by
every challenge and every database that holds it. A running challenge therefore still keeps
the policy it was raised under, while a row shrinks from ~5 KB to well under 1 KB.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.challenge import Challenge
from bot.policy import Policy
from storage import tables as t


def canonical_policy_json(policy_fields: dict[str, Any]) -> str:
    """The text a snapshot is stored and digested as (the migration uses the same rule)."""
    return json.dumps(policy_fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# Policies are frozen, so a digest computed once holds for the object's life. Keyed by id()
# with the object kept alive beside it, so an id is never reused while it is in the map.
_DIGESTS: dict[int, tuple[Policy, str, str]] = {}
# Parsed snapshots by digest, shared by every database of this process (the content decides).
_PARSED: dict[str, Policy] = {}


def snapshot_of(policy: Policy) -> tuple[str, str]:
    """(digest, canonical JSON) of a policy."""
    known = _DIGESTS.get(id(policy))
    if known is not None and known[0] is policy:
        return known[1], known[2]
    text = canonical_policy_json(json.loads(policy.model_dump_json()))
    digest = digest_of(text)
    _DIGESTS[id(policy)] = (policy, digest, text)
    _PARSED.setdefault(digest, policy)
    return digest, text


def challenge_data(challenge: Challenge) -> str:
    """What `challenges.data` holds: the challenge without its policy."""
    return challenge.model_dump_json(exclude={"policy"})


def build_challenge(data: str, policy: Policy) -> Challenge:
    """The challenge, validated as always; its policy (already validated, from the parse cache)
    is taken as it is (pydantic does not revalidate model instances)."""
    fields = json.loads(data)
    fields["policy"] = policy
    return Challenge.model_validate(fields)


class SnapshotStore:
    """Which snapshots a database is known to hold (shared by a Database's units of work)."""

    def __init__(self) -> None:
        self.present: set[str] = set()

    async def policies(self, session: AsyncSession, digests: Iterable[str]) -> dict[str, Policy]:
        """The parsed policy of each digest, reading only snapshots this process has not parsed."""
        wanted = set(digests)
        self.present.update(wanted)
        missing = [d for d in wanted if d not in _PARSED]
        if missing:
            s = t.policy_snapshots.c
            for digest, data in await session.execute(select(s.digest, s.data).where(s.digest.in_(missing))):
                _PARSED.setdefault(digest, Policy.model_validate_json(data))
        return {d: _PARSED[d] for d in wanted if d in _PARSED}

    async def load(self, session: AsyncSession, rows: Sequence[Any]) -> list[Challenge]:
        """Challenges from rows whose first two columns are (data, policy_digest)."""
        policies = await self.policies(session, {row[1] for row in rows})
        return [build_challenge(row[0], policies[row[1]]) for row in rows]

    async def ensure(self, session: AsyncSession, policy: Policy, *, always: bool = False) -> str:
        """The policy's digest, its snapshot written first unless this database holds it already.
        `always` writes it even when it was seen (a raise: a rolled-back transaction may have
        been the one that wrote it)."""
        digest, text = snapshot_of(policy)
        if always or digest not in self.present:
            # Each dialect's module only when used (the PostgreSQL one slows a SQLite start-up).
            if session.get_bind().dialect.name == "postgresql":
                from sqlalchemy.dialects import postgresql as dialect
            else:
                from sqlalchemy.dialects import sqlite as dialect  # type: ignore[no-redef]
            await session.execute(dialect.insert(t.policy_snapshots).values(digest=digest, name=policy.name, data=text)
                                  .on_conflict_do_nothing(index_elements=["digest"]))
        return digest
