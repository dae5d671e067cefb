"""The outbox dispatcher: sends what the handlers committed, with retries, once it is safe.

Guarantees (DESIGN §5):
- Only committed rows are sent: rows are claimed in their own transaction, after the
  handler's transaction that wrote them committed.
- A row is marked sent only after its send succeeded. Delivery is **at least once**: if the
  process dies between a successful send and the mark (or the mark fails), the claim's lease
  runs out and the row is sent again (an email keeps its Message-ID so clients can fold it).
- A failed send is retried with exponential backoff (or after the sender's Retry-After)
  until `give_up_after` from the row's creation; then it is recorded `failed` with a reason
  that holds no case details.
- With no way to send a row (SMTP not configured and no chat channel), rows stay pending and
  nothing is claimed; a warning without case details is logged once per change, and the
  rows' last error says what is missing (`mashbot outbox list --pending` shows it).
- Claims are short leases (`lease` seconds) that a heartbeat renews every `heartbeat`
  seconds while the batch is being sent. A renewal only touches rows still carrying this
  claim's attempt number, so it never extends a claim another dispatcher took over. If the
  process dies, its rows are free again within `lease` seconds and the next dispatch run of
  any replica sends them (see `recovery_bound`).
"""

from __future__ import annotations

import asyncio
import contextlib
import html  # teams: the digest's "emailed instead" note
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.challenge import Channel, Message
from bot.roster import Person, Roster
from storage.database import Database
from storage.dispatch_queries import outbox_waiting
from storage.repositories import OutboxItem

log = logging.getLogger("mashbot.dispatcher")
# DESIGN §2: the family details are "never kept past sending"; unsent, they go after a day.
PERSONAL_DETAILS_KEPT_FOR = timedelta(days=1)
SWEEP_EVERY = timedelta(minutes=10)


class SendFailed(Exception):
    """A send did not go through. `reason` names the failure without any case details;
    `retry_after` is the sender's own hint in seconds (HTTP 429 Retry-After and the like)."""

    def __init__(self, reason: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after


# --- teams: a chat channel may learn only at send time that it cannot reach someone ---
class NotReachable(SendFailed):
    """The chat channel has no way to reach this person (no stored conversation, app removed):
    the row goes to the next chat channel that may reach them, then by email."""


EMAILED_INSTEAD = ("You get this by email because mashbot cannot reach you in {channels} yet: "
                   "open a chat with mashbot there and say hello to get it in chat.")


def emailed_instead(message: Message, channels: list[str]) -> Message:
    """A chat row going by email instead; the digest says so."""
    if message.kind != "digest":
        return message
    note = EMAILED_INSTEAD.format(channels=" or ".join(c.capitalize() for c in channels) or "chat")
    data = dict(message.data)
    data["body"] = f"{data.get('body', '')}\n{note}\n"
    if data.get("html"):
        data["html"] = f"{data['html']}\n<p><em>{html.escape(note)}</em></p>"
    return message.model_copy(update={"data": data})
# --- end teams ---


class Sender(Protocol):
    """Delivers one message to one person; returns the message's id at the far end."""

    channel: str

    async def send(self, message: Message, person: Person, *, key: str) -> str | None: ...


class ChatSender(Sender, Protocol):
    def reaches(self, person: Person) -> bool:
        """True when the person has an identity on this chat channel."""


class Metrics(Protocol):
    def sent(self, channel: str) -> None: ...

    def send_failed(self, channel: str, gave_up: bool) -> None: ...


@dataclass
class DispatchReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    waiting: int = 0  # rows left pending because nothing can send them yet
    scrubbed: int = 0  # rows whose personal details were removed unsent, a day after they were queued
    errors: list[str] = field(default_factory=list)


DEFAULT_LEASE = 20.0
DEFAULT_HEARTBEAT = 5.0
NOTHING_CONFIGURED = ("nothing is configured to send it: no email (MASHBOT_SMTP_URL) and no chat channel "
                      "(Slack or Teams)")


def recovery_bound(lease: float, dispatch_every: float) -> float:
    """Worst-case seconds from a dispatcher's death until another one takes its claimed rows:
    the last heartbeat left at most `lease` seconds on them, and the survivor's next run
    (every tick, `dispatch_every` seconds) claims them once that has run out."""
    return lease + dispatch_every


def backoff(attempt: int, base: float, cap: float) -> float:
    """Seconds before retry number `attempt` (1 = the first retry): base·2^(attempt-1), capped."""
    return float(min(cap, base * 2 ** max(attempt - 1, 0)))


@dataclass
class Dispatcher:
    """Claims due outbox rows, sends each through the right channel, marks the outcome."""

    database: Database
    email: Sender | None = None
    chat: tuple[ChatSender, ...] = ()
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    give_up_after: timedelta = timedelta(hours=24)
    base_delay: float = 30.0
    max_delay: float = 3600.0
    jitter: float = 0.1  # +/- this fraction of each delay, so replicas do not retry in step
    send_timeout: float = 60.0
    lease: float = DEFAULT_LEASE  # seconds a claim lasts unless its heartbeat renews it
    heartbeat: float = DEFAULT_HEARTBEAT  # seconds between renewals while a batch is sent
    batch: int = 10
    max_per_run: int = 500
    metrics: Metrics | None = None
    # Called after each message is sent, on any channel (e.g. Slack refreshes its live cards).
    on_sent: tuple[Callable[[Message], Awaitable[None]], ...] = ()
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)
    _warned_idle: bool = field(default=False, init=False, repr=False)
    _last_sweep: datetime | None = field(default=None, init=False, repr=False)

    @property
    def can_send(self) -> bool:
        return self.email is not None or bool(self.chat)

    async def run_once(self) -> DispatchReport:
        """Send everything due now; one run at a time per process (replicas share by claims)."""
        async with self._lock:
            report = DispatchReport()
            await self._scrub_stale(report)
            if not self.can_send:
                await self._report_idle(report)
                return report
            self._warned_idle = False
            while report.sent + report.retrying + report.failed < self.max_per_run:
                items, roster = await self._claim(self.clock())
                if not items:
                    break
                held = {item.id: item.attempts for item in items}
                beat = asyncio.create_task(self._keep_claims(held))
                try:
                    for item in items:
                        await self._deliver(item, roster, report)
                        held.pop(item.id, None)
                finally:
                    beat.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await beat
                # no early exit on a short batch: after-send hooks may have queued more rows
            return report

    async def _scrub_stale(self, report: DispatchReport) -> None:
        """Personal details (the Stage 3 family details) never wait more than a day, even with no
        transport to send them: such a row is given up and its details removed."""
        now = self.clock()
        if self._last_sweep is not None and self._last_sweep <= now < self._last_sweep + SWEEP_EVERY:
            return  # the sweep reads the whole outbox; a few minutes late is well inside the day
        before = now - PERSONAL_DETAILS_KEPT_FOR
        async with self.database.uow(read_only=True) as uow:
            stale = await uow.outbox.has_stale(before)
        if stale:
            async with self.database.uow() as uow:
                report.scrubbed = await uow.outbox.scrub_stale(before)
                await uow.commit()
        self._last_sweep = now
        if report.scrubbed:
            log.warning("%d outbox message(s) with personal details were not sent within %s: "
                        "given up and their details removed", report.scrubbed, PERSONAL_DETAILS_KEPT_FOR)

    async def _report_idle(self, report: DispatchReport) -> None:
        async with self.database.uow(read_only=True) as uow:
            report.waiting = await outbox_waiting(uow.session)
        if report.waiting and not self._warned_idle:
            log.warning("%d outbox message(s) wait: no email (MASHBOT_SMTP_URL) or chat channel is "
                        "configured; they stay pending until one is", report.waiting)
            async with self.database.uow() as uow:  # so `mashbot outbox list` says why they wait
                await uow.outbox.note_waiting(NOTHING_CONFIGURED)
                await uow.commit()
            self._warned_idle = True

    async def _keep_claims(self, held: dict[int, int]) -> None:
        """Renew the lease on this batch's rows not yet done, until cancelled."""
        while True:
            await asyncio.sleep(self.heartbeat)
            if not held:
                continue
            try:
                async with self.database.uow() as uow:
                    await uow.outbox.renew(dict(held), self.clock() + timedelta(seconds=self.lease))
                    await uow.commit()
            except Exception as exc:  # noqa: BLE001 - the lease may lapse (a resend at worst); keep trying
                log.warning("outbox: could not renew the claim on %d message(s): %s", len(held), type(exc).__name__)

    async def _claim(self, now: datetime) -> tuple[list[OutboxItem], Roster]:
        # A short lease, renewed by `_keep_claims` while this process sends the batch: if it
        # dies, another replica takes the rows within `lease` seconds.
        lease = timedelta(seconds=self.lease)
        async with self.database.uow() as uow:
            items = await uow.outbox.claim_pending(now, self.batch, lease=lease)
            roster = await uow.people.roster()
            await uow.commit()
        return items, roster

    def _route(self, message: Message, person: Person) -> Sender | None:
        if message.channel is Channel.CHAT:
            for sender in self.chat:
                if sender.reaches(person):
                    return sender
        return self.email  # EMAIL rows, and the fallback for a person with no chat identity

    # --- teams ---
    async def _send(self, item: OutboxItem, person: Person) -> str | None:
        """A chat row goes to the first chat channel that reaches the person; one that finds
        it cannot after all (NotReachable) hands it on, and email comes last."""
        key = f"{item.id}.{int(item.created_at.timestamp())}"
        message = item.message
        if message.channel is Channel.CHAT:
            for chat in [s for s in self.chat if s.reaches(person)]:
                try:
                    return await chat.send(message, person, key=key)
                except NotReachable as exc:
                    log.info("outbox %s: %s cannot reach the recipient (%s); trying the next channel",
                             item.id, chat.channel, exc.reason)
            if self.chat:
                message = emailed_instead(message, [s.channel for s in self.chat])
        if self.email is None:
            raise SendFailed("no chat conversation with the recipient and no email configured (MASHBOT_SMTP_URL)")
        return await self.email.send(message, person, key=key)
    # --- end teams ---

    async def _deliver(self, item: OutboxItem, roster: Roster, report: DispatchReport) -> None:
        person = roster.get(item.message.to)
        sender = self._route(item.message, person) if person else None
        channel = sender.channel if sender else "none"
        try:
            if person is None:
                raise SendFailed("recipient is no longer in the roster", permanent=True)
            if sender is None:
                await self._put_back(item, self._missing(item.message), report)
                return
            external_id = await asyncio.wait_for(self._send(item, person), self.send_timeout)
        except SendFailed as exc:
            await self._failed(item, channel, exc, report)
            return
        except TimeoutError:
            await self._failed(item, channel, SendFailed(f"timed out after {self.send_timeout:g}s"), report)
            return
        except Exception as exc:
            log.exception("outbox %s: unexpected %s from the %s sender", item.id, type(exc).__name__, channel)
            await self._failed(item, channel, SendFailed(type(exc).__name__), report)
            return
        async with self.database.uow() as uow:
            await uow.outbox.mark_sent(item.id, external_id, self.clock())
            await uow.outbox.scrub(item.id, item.message)  # personal details leave with the send
            await uow.commit()
        for hook in self.on_sent:
            try:
                await hook(item.message)
            except Exception as exc:  # a hook must never undo or repeat a send
                log.warning("after-send hook failed for outbox %s: %s", item.id, type(exc).__name__)
        report.sent += 1
        if self.metrics:
            self.metrics.sent(channel)

    def _missing(self, message: Message) -> str:
        """What is not configured, in the words of the setting to fix."""
        if message.channel is Channel.EMAIL or not self.chat:
            return "no email configured (MASHBOT_SMTP_URL) to send it"
        chats = " or ".join(s.channel.capitalize() for s in self.chat)
        return (f"mashbot cannot reach the recipient in {chats} and no email is configured "
                "(MASHBOT_SMTP_URL) to send it instead")

    async def _put_back(self, item: OutboxItem, reason: str, report: DispatchReport) -> None:
        """No sender for this row yet (its channel is not configured): keep it pending, undated."""
        async with self.database.uow() as uow:
            await uow.outbox.mark_failed(item.id, reason, self.clock() + timedelta(seconds=self.max_delay))
            await uow.commit()
        report.waiting += 1

    async def _failed(self, item: OutboxItem, channel: str, exc: SendFailed, report: DispatchReport) -> None:
        now = self.clock()
        retry_at = None if exc.permanent else self._retry_at(item, now, exc.retry_after)
        reason = exc.reason if retry_at else f"gave up after {item.attempts} attempt(s): {exc.reason}"
        async with self.database.uow() as uow:
            await uow.outbox.mark_failed(item.id, reason, retry_at)
            if retry_at is None:
                await uow.outbox.scrub(item.id, item.message)  # given up: keep no personal details
            await uow.commit()
        if retry_at:
            report.retrying += 1
            log.info("outbox %s (%s, %s): attempt %d failed (%s); retry at %s", item.id, item.message.kind,
                     channel, item.attempts, exc.reason, retry_at.isoformat(timespec="seconds"))
        else:
            report.failed += 1
            log.warning("outbox %s (%s, %s): %s", item.id, item.message.kind, channel, reason)
        report.errors.append(exc.reason)
        if self.metrics:
            self.metrics.send_failed(channel, gave_up=retry_at is None)

    def _retry_at(self, item: OutboxItem, now: datetime, retry_after: float | None) -> datetime | None:
        if retry_after is not None and retry_after >= 0:
            delay = retry_after
        else:
            delay = backoff(item.attempts, self.base_delay, self.max_delay)
            delay *= 1 + random.uniform(-self.jitter, self.jitter)
        retry_at = now + timedelta(seconds=delay)
        return retry_at if retry_at <= item.created_at + self.give_up_after else None
