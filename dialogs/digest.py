"""The Senior Managers' digest as a use case, shared by the 08:30 job, `mashbot digest` and
the console: read what each recipient's digest shows, then queue each one once per person
and local date, across every process.

It works only through the ports below (storage/digest_reads.py implements them on the
database); what a digest says is bot/digest.py's, when it runs is adapters/scheduler.py's.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol

from bot.calendar import calendar_of
from bot.challenge import Message
from bot.digest import (
    Digest,
    FailedMessage,
    as_message,
    build_digests,
    previous_digest_time,
    recipients,
)
from bot.policy import DIGEST_TIME, Policy
from bot.roster import Roster
from bot.summary import Listed

# A digest's "since" never reaches further back than this (someone back from long leave).
MAX_DIGEST_LOOKBACK = timedelta(days=14)
# A message given up on is listed in every digest until it is retried, for at most this long.
UNDELIVERED_LOOKBACK = timedelta(days=7)


class DigestReader(Protocol):
    """One consistent read of what the digests show."""

    async def roster(self) -> Roster: ...

    async def last_digests(self) -> Mapping[str, datetime]:
        """Each person's latest digest time."""
        ...

    async def challenges(self, since: datetime, readers: Collection[str]) -> Sequence[Listed]:
        """Every active challenge, and those that ended at or after `since`, each with the
        stages that ran out while one of `readers` had them."""
        ...

    async def undelivered(self, since: datetime) -> Sequence[FailedMessage]:
        """Messages given up on since `since` and not retried."""
        ...


class DigestWriter(Protocol):
    """One transaction: claims and queued digests commit together or not at all."""

    async def claim(self, person_id: str, day: date, now: datetime) -> bool:
        """True for the first claim of this person's digest of `day`, in any process."""
        ...

    async def queue(self, messages: Sequence[Message], now: datetime) -> None: ...

    async def commit(self) -> None: ...


class DigestStore(Protocol):
    def reading(self) -> AbstractAsyncContextManager[DigestReader]: ...

    def writing(self) -> AbstractAsyncContextManager[DigestWriter]: ...


@dataclass
class DigestRun:
    day: date
    working_day: bool = True
    digests: list[Digest] = field(default_factory=list)
    queued: list[str] = field(default_factory=list)  # person ids whose digest this run queued
    already: list[str] = field(default_factory=list)  # claimed earlier (this or another process)
    empty: list[str] = field(default_factory=list)  # nothing to say: claimed, nothing sent


async def failed_messages(reader: DigestReader, now: datetime) -> list[FailedMessage]:
    """Messages given up on in the last UNDELIVERED_LOOKBACK and not retried since."""
    return list(await reader.undelivered(now - UNDELIVERED_LOOKBACK))


async def prepare_digests(store: DigestStore, policy: Policy, now: datetime,
                          at: time = DIGEST_TIME) -> list[Digest]:
    """Every recipient's digest as of `now` (nothing is written)."""
    cal = calendar_of(policy)
    default_since = previous_digest_time(cal, now, at)
    floor = now - MAX_DIGEST_LOOKBACK
    async with store.reading() as reader:
        roster = await reader.roster()
        lasts = {pid: max(t, floor) for pid, t in (await reader.last_digests()).items() if t < now}
        # A digest names only its reader's own stages that ran out: read no one else's.
        readers = [r.person.id for r in recipients(policy, roster, cal.local(now).date())]
        challenges = await reader.challenges(min([default_since, *lasts.values()]), readers)
        failed = await failed_messages(reader, now)
    return build_digests(challenges, roster, policy, now, default_since, lasts, cal=cal, failed=failed)


async def queue_digests(store: DigestStore, policy: Policy, now: datetime, at: time = DIGEST_TIME,
                        send_empty: bool = False) -> DigestRun:
    """Queue today's digests once per person and local date, across every process."""
    cal = calendar_of(policy)
    run = DigestRun(cal.local(now).date())
    if not cal.is_working_day(run.day):
        run.working_day = False
        return run
    run.digests = await prepare_digests(store, policy, now, at)
    for digest in run.digests:
        async with store.writing() as writer:
            if not await writer.claim(digest.person_id, run.day, now):
                run.already.append(digest.person_id)
                continue
            if digest.is_empty and not send_empty:
                run.empty.append(digest.person_id)
            else:
                await writer.queue([as_message(digest)], now)
                run.queued.append(digest.person_id)
            await writer.commit()
    return run
