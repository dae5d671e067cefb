"""An intake form submitted twice raises one challenge.

Slack may deliver a view submission again (a retry after a slow answer), and a person may
press Submit twice before the first answer comes back. Both copies carry the same view id
and the same answers, so their key — a hash of the Slack user, the view id and the values —
is claimed in `slack_replays` before the challenge is raised: the first copy raises it and
records what it answered; a later copy, on any replica, waits briefly for that answer and
gives the same one. A claim whose work changed nothing (a field error, a crash) is released,
so correcting the form and submitting again works.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot import texts
from storage.database import Database

log = logging.getLogger("mashbot.slack")


@dataclass(frozen=True)
class Outcome:
    """What a submitted form turns into: a closing message, or field errors (the form stays)."""

    title: str
    text: str
    errors: dict[str, str] | None = None


def intake_key(user: str, view_id: str | None, values: Mapping[str, object]) -> str:
    canonical = json.dumps([user, view_id or "", dict(values)], sort_keys=True, separators=(",", ":"), default=str)
    return "intake:" + hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class SubmitOnce:
    database: Database
    # The wall clock, like the signature check's: both kinds of row are pruned by one clock
    # (the service's own clock may be offset by the console's demo clock).
    clock: Callable[[], float] = time.time
    window: float = 300.0
    wait: float = 2.0  # Slack waits 3 s for the ack in all
    poll: float = 0.05

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def run(self, key: str, work: Callable[[], Awaitable[Outcome]]) -> Outcome:
        now = self._now()
        async with self.database.uow() as uow:
            first = await uow.slack_replays.claim(key, now=now,
                                                  expires_at=now + timedelta(seconds=self.window))
            await uow.commit()
        if not first:
            return await self._answer_of_first(key)
        try:
            outcome = await work()
        except BaseException:
            await self._release(key)
            raise
        if outcome.errors is not None:
            await self._release(key)
            return outcome
        async with self.database.uow() as uow:
            await uow.slack_replays.record_result(key, json.dumps({"title": outcome.title, "text": outcome.text}))
            await uow.commit()
        return outcome

    async def _release(self, key: str) -> None:
        async with self.database.uow() as uow:
            await uow.slack_replays.release(key)
            await uow.commit()

    async def _answer_of_first(self, key: str) -> Outcome:
        deadline = time.monotonic() + self.wait
        while True:
            async with self.database.uow(read_only=True) as uow:
                recorded = await uow.slack_replays.result_of(key)
            if recorded is not None:
                data = json.loads(recorded)
                return Outcome(str(data["title"]), str(data["text"]))
            if time.monotonic() >= deadline:
                log.info("an intake submitted twice: the first copy is still being raised")
                return Outcome(texts.SLACK_ALREADY_SUBMITTED_TITLE, texts.SLACK_ALREADY_SUBMITTED)
            await asyncio.sleep(self.poll)
