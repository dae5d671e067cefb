"""The outbox dispatcher: only committed rows, marked sent after the send, retries with
backoff (or the sender's Retry-After), gives up after a bound, never drops a row."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from adapters.dispatcher import Dispatcher, SendFailed, backoff
from adapters.email import EmailSender, SmtpConfig
from adapters.metrics import Metrics
from bot.challenge import Channel, Message
from bot.roster import Person
from storage import tables as t
from storage.database import Database
from tests.clock.smtp_server import smtp_server
from tests.clock.support import local

T0 = local("2027-01-04 10:00")


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now


@dataclass
class FakeSender:
    """Fails `fail` times (with `retry_after` / `permanent`), then delivers."""

    channel: str = "email"
    fail: int = 0
    retry_after: float | None = None
    permanent: bool = False
    sent: list[tuple[str, str, str]] = field(default_factory=list)
    calls: int = 0

    async def send(self, message: Message, person: Person, *, key: str) -> str:
        self.calls += 1
        if self.fail > 0:
            self.fail -= 1
            raise SendFailed("SMTP 451 (SMTPDataError)", permanent=self.permanent, retry_after=self.retry_after)
        self.sent.append((message.kind, person.id, key))
        return f"id-{key}"


@dataclass
class FakeChat(FakeSender):
    channel: str = "slack"

    def reaches(self, person: Person) -> bool:
        return person.slack_user_id is not None


def nudge(to: str = "team-manager", channel: Channel = Channel.CHAT) -> Message:
    return Message(kind="nudge", to=to, reference="CH-00001", channel=channel,
                   data={"reference": "CH-00001", "area": "East", "stage_name": "Team Manager", "due": "Tue 5 Jan"})


async def queue(database: Database, *messages: Message, at: datetime = T0) -> None:
    async with database.uow() as uow:
        await uow.outbox.add(list(messages), at)
        await uow.commit()


async def rows(database: Database) -> list[dict]:
    async with database.uow(read_only=True) as uow:
        found = await uow.session.execute(select(t.outbox).order_by(t.outbox.c.id))
        return [dict(r._mapping) for r in found]


def dispatcher(database: Database, sender: FakeSender | None, clock: Clock, **kw) -> Dispatcher:
    return Dispatcher(database, email=sender, clock=clock, jitter=0.0, base_delay=30, max_delay=3600, **kw)


async def test_committed_rows_are_sent_then_marked_sent(roster_db: Database) -> None:
    await queue(roster_db, nudge("team-manager"), nudge("senior-manager"))
    sender, clock = FakeSender(), Clock()
    report = await dispatcher(roster_db, sender, clock).run_once()
    assert report.sent == 2
    assert [(k, p) for k, p, _ in sender.sent] == [("nudge", "team-manager"), ("nudge", "senior-manager")]
    assert [(r["status"], r["external_id"], r["sent_at"]) for r in await rows(roster_db)] == [
        ("sent", f"id-{sender.sent[0][2]}", T0), ("sent", f"id-{sender.sent[1][2]}", T0)]
    assert (await dispatcher(roster_db, sender, clock).run_once()).sent == 0  # never twice


async def test_a_row_that_was_never_committed_is_never_sent(roster_db: Database) -> None:
    async with roster_db.uow() as uow:
        await uow.outbox.add([nudge()], T0)  # the handler failed before commit: rolled back
    sender = FakeSender()
    await dispatcher(roster_db, sender, Clock()).run_once()
    assert sender.calls == 0 and await rows(roster_db) == []


@pytest.mark.postgres
async def test_a_row_still_in_an_open_transaction_is_not_sent_until_committed(postgres_database: str) -> None:
    """PostgreSQL only: on SQLite the open writer holds the one write lock, so nobody claims."""
    from tests.clock.support import import_roster
    from tests.conftest import empty_postgres

    await empty_postgres(postgres_database)
    database = Database(postgres_database)
    try:
        await import_roster(database)
        sender = FakeSender()
        async with database.uow() as uow:
            await uow.outbox.add([nudge()], T0)
            await dispatcher(database, sender, Clock()).run_once()
            assert sender.calls == 0
            await uow.commit()
        await dispatcher(database, sender, Clock()).run_once()
        assert sender.calls == 1
    finally:
        await database.dispose()


async def test_a_failed_send_is_retried_with_exponential_backoff_then_sent(roster_db: Database) -> None:
    await queue(roster_db, nudge())
    sender, clock = FakeSender(fail=2), Clock()
    d = dispatcher(roster_db, sender, clock)
    assert (await d.run_once()).retrying == 1
    [row] = await rows(roster_db)
    assert (row["status"], row["next_attempt_at"], row["attempts"]) == ("pending", T0 + timedelta(seconds=30), 1)
    assert "451" in row["last_error"]
    clock.now = T0 + timedelta(seconds=29)
    await d.run_once()
    assert sender.calls == 1  # not before its time
    clock.now = T0 + timedelta(seconds=30)
    await d.run_once()
    [row] = await rows(roster_db)
    assert row["next_attempt_at"] == clock.now + timedelta(seconds=60)  # doubled
    clock.now = row["next_attempt_at"]
    assert (await d.run_once()).sent == 1
    [row] = await rows(roster_db)
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 3, None)


async def test_a_senders_retry_after_is_honoured(roster_db: Database) -> None:
    await queue(roster_db, nudge())
    clock = Clock()
    await dispatcher(roster_db, FakeSender(fail=1, retry_after=600), clock).run_once()
    [row] = await rows(roster_db)
    assert row["next_attempt_at"] == T0 + timedelta(seconds=600)


async def test_it_gives_up_after_the_bound_and_records_why(roster_db: Database) -> None:
    await queue(roster_db, nudge())
    sender, clock, metrics = FakeSender(fail=10**6), Clock(), Metrics()
    d = dispatcher(roster_db, sender, clock, give_up_after=timedelta(hours=1), metrics=metrics)
    for _ in range(20):
        await d.run_once()
        [row] = await rows(roster_db)
        if row["status"] != "pending":
            break
        clock.now = row["next_attempt_at"]
    assert row["status"] == "failed" and row["next_attempt_at"] is None
    assert clock.now <= T0 + timedelta(hours=1)
    # 30 s, 1, 2, 4, 8, 16, 32 min: the next wait would end past the hour
    assert sender.calls == 7 and row["last_error"] == "gave up after 7 attempt(s): SMTP 451 (SMTPDataError)"
    exposition = metrics.exposition().decode()
    assert 'mashbot_send_failures_total{channel="email",gave_up="true"} 1.0' in exposition
    assert 'mashbot_send_failures_total{channel="email",gave_up="false"} 6.0' in exposition


async def test_a_permanent_failure_is_recorded_at_once(roster_db: Database) -> None:
    await queue(roster_db, nudge())
    report = await dispatcher(roster_db, FakeSender(fail=1, permanent=True), Clock()).run_once()
    [row] = await rows(roster_db)
    assert report.failed == 1 and row["status"] == "failed"


async def test_a_recipient_who_left_the_roster_is_recorded_failed(roster_db: Database) -> None:
    await queue(roster_db, nudge("someone-who-left"))
    await dispatcher(roster_db, FakeSender(), Clock()).run_once()
    [row] = await rows(roster_db)
    assert (row["status"], row["last_error"]) == (
        "failed", "gave up after 1 attempt(s): recipient is no longer in the roster")


async def test_without_smtp_rows_stay_pending_and_the_log_names_no_case(
        roster_db: Database, caplog: pytest.LogCaptureFixture) -> None:
    await queue(roster_db, nudge(), nudge(channel=Channel.EMAIL))
    caplog.set_level(logging.INFO)
    d = dispatcher(roster_db, None, Clock())
    report = await d.run_once()
    await d.run_once()
    assert report.waiting == 2 and report.sent == 0
    assert [(r["status"], r["attempts"]) for r in await rows(roster_db)] == [("pending", 0), ("pending", 0)]
    warnings = [r.getMessage() for r in caplog.records if r.name == "mashbot.dispatcher"]
    assert len(warnings) == 1 and "2 outbox message(s) wait" in warnings[0]
    ours = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("mashbot"))
    assert "CH-" not in ours and "team-manager" not in ours


async def test_a_chat_message_goes_by_chat_when_the_person_has_an_identity_else_by_email(
        roster_db: Database) -> None:
    await queue(roster_db, nudge("team-manager"), nudge("senior-manager"), nudge("team-manager", Channel.EMAIL))
    from tests.clock.support import import_roster, roster_people

    people = [p.model_copy(update={"slack_user_id": "U0TEST"}) if p.id == "team-manager" else p
              for p in roster_people()]
    await import_roster(roster_db, people)
    email, chat = FakeSender(), FakeChat()
    await Dispatcher(roster_db, email=email, chat=(chat,), clock=Clock()).run_once()
    assert [p for _, p, _ in chat.sent] == ["team-manager"]
    assert [p for _, p, _ in email.sent] == ["senior-manager", "team-manager"]


async def test_a_crash_between_send_and_mark_sends_again_after_the_lease(roster_db: Database) -> None:
    """At least once: a claimed row whose sender died comes back when its lease runs out."""
    await queue(roster_db, nudge())
    sender, clock = FakeSender(), Clock()
    d = dispatcher(roster_db, sender, clock)
    async with roster_db.uow() as uow:  # another process claimed it, sent it, and died
        await uow.outbox.claim_pending(T0, d.batch, lease=timedelta(seconds=d.send_timeout * d.batch + 60))
        await uow.commit()
    clock.now = T0 + timedelta(minutes=5)
    await d.run_once()
    assert sender.calls == 0
    clock.now = T0 + timedelta(minutes=12)
    await d.run_once()
    assert sender.calls == 1 and (await rows(roster_db))[0]["status"] == "sent"


async def test_through_a_real_smtp_server_a_try_later_is_retried_and_delivered(roster_db: Database) -> None:
    await queue(roster_db, nudge("team-manager"))
    clock = Clock()
    async with smtp_server(fail_next=1) as inbox:
        d = Dispatcher(roster_db, email=EmailSender(SmtpConfig.from_url(inbox.url), "mashbot@example.org"),
                       clock=clock, jitter=0.0)
        assert (await d.run_once()).retrying == 1
        clock.now = T0 + timedelta(seconds=30)
        assert (await d.run_once()).sent == 1
    [mail] = inbox.messages()
    assert mail["To"] == "Team Manager <team-manager@example.org>" and inbox.attempts == 2
    [row] = await rows(roster_db)
    assert row["status"] == "sent" and row["external_id"] == mail["Message-ID"]


def test_backoff_doubles_up_to_its_cap() -> None:
    assert [backoff(n, 30, 600) for n in range(1, 7)] == [30, 60, 120, 240, 480, 600]


async def test_a_waiting_row_says_what_is_missing(roster_db: Database) -> None:
    await queue(roster_db, nudge("team-manager", Channel.EMAIL), nudge("senior-manager"))
    await Dispatcher(roster_db, clock=Clock()).run_once()  # nothing at all configured
    assert {r["last_error"] for r in await rows(roster_db)} == {
        "nothing is configured to send it: no email (MASHBOT_SMTP_URL) and no chat channel (Slack or Teams)"}
    # Slack configured but no SMTP: the email row, and the chat row for someone not on Slack
    await Dispatcher(roster_db, chat=(FakeChat(),), clock=Clock()).run_once()
    assert [r["last_error"] for r in await rows(roster_db)] == [
        "no email configured (MASHBOT_SMTP_URL) to send it",
        "mashbot cannot reach the recipient in Slack and no email is configured (MASHBOT_SMTP_URL) "
        "to send it instead"]
    assert all(r["status"] == "pending" for r in await rows(roster_db))


async def test_a_heartbeat_renews_only_the_claims_still_held(roster_db: Database) -> None:
    await queue(roster_db, nudge(), nudge("senior-manager"))
    async with roster_db.uow() as uow:
        first, second = await uow.outbox.claim_pending(T0, 10, lease=timedelta(seconds=20))
        await uow.commit()
    async with roster_db.uow() as uow:  # the second row's lease ran out and another dispatcher took it
        await uow.session.execute(t.outbox.update().where(t.outbox.c.id == second.id)
                                  .values(attempts=second.attempts + 1))
        renewed = await uow.outbox.renew({first.id: first.attempts, second.id: second.attempts},
                                         T0 + timedelta(seconds=40))
        await uow.commit()
    assert renewed == 1
    assert [r["next_attempt_at"] for r in await rows(roster_db)] == [T0 + timedelta(seconds=40),
                                                                     T0 + timedelta(seconds=20)]


async def test_a_slow_batch_keeps_its_claim_past_the_lease_while_it_sends(roster_db: Database) -> None:
    """Real time, small numbers: a send slower than the lease is not taken by another dispatcher."""
    import asyncio
    from datetime import UTC

    await queue(roster_db, nudge(), at=datetime.now(UTC))

    class Slow(FakeSender):
        async def send(self, message: Message, person: Person, *, key: str) -> str:
            await asyncio.sleep(1.2)
            return await super().send(message, person, key=key)

    slow, other = Slow(), FakeSender()
    first = Dispatcher(roster_db, email=slow, lease=0.4, heartbeat=0.1)
    second = Dispatcher(roster_db, email=other, lease=0.4, heartbeat=0.1)
    running = asyncio.create_task(first.run_once())
    for _ in range(10):
        await asyncio.sleep(0.1)
        await second.run_once()
    assert (await running).sent == 1
    assert other.calls == 0 and slow.calls == 1
