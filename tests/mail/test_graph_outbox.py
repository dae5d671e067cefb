"""Graph mail from the outbox, wired from the settings as `mashbot serve` wires it: Graph's
Retry-After decides when the row is tried again; a permission problem is recorded once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from adapters import bootstrap
from adapters.graph_mail import GraphSender
from adapters.scheduler import build_dispatcher
from bot.challenge import Message
from storage import tables as t
from tests.clock.support import import_roster, settings
from tests.ladder_harness import Ladder, local
from tests.mail.microsoft import CLIENT_ID, MAILBOX, SECRET, TENANT, FakeEntra, FakeGraph, graph_error

T0 = local("2027-01-04 10:05")
Fakes = tuple[FakeEntra, FakeGraph]


@pytest.fixture
async def service(database_url: str, ms: Fakes, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[bootstrap.Service]:
    entra, graph = ms
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(entra.ca_path))  # the fake Entra ID's own CA, for msal
    built = bootstrap.build(settings(database_url, MASHBOT_MAIL="Graph", MASHBOT_GRAPH_TENANT_ID=TENANT,
                                     MASHBOT_GRAPH_CLIENT_ID=CLIENT_ID, MASHBOT_GRAPH_CLIENT_SECRET=SECRET,
                                     MASHBOT_MAIL_FROM=f"MASH <{MAILBOX}>", MASHBOT_GRAPH_AUTHORITY=entra.url,
                                     MASHBOT_GRAPH_URL=graph.url))
    await import_roster(built.database)
    yield built
    await built.close()


async def queue_review_request(service: bootstrap.Service) -> Message:
    lad = Ladder()
    await lad.raise_(local("2027-01-04 10:00"))
    message = next(m for m in lad.store.outbox if m.kind == "review_requested")
    async with service.database.uow() as uow:
        await uow.outbox.add([message], T0)
        await uow.commit()
    return message


async def the_row(service: bootstrap.Service) -> dict[str, Any]:
    async with service.database.uow(read_only=True) as uow:
        [row] = (await uow.session.execute(select(t.outbox))).all()
    return dict(row._mapping)


async def test_graph_throttling_is_retried_from_the_outbox_after_its_retry_after(
        service: bootstrap.Service, ms: Fakes) -> None:
    _, graph = ms
    await queue_review_request(service)
    graph.answers = [graph_error(429, "ApplicationThrottled", **{"Retry-After": "120"})]
    now = [T0]
    dispatcher = build_dispatcher(service, clock=lambda: now[0])
    assert isinstance(dispatcher.email, GraphSender) and dispatcher.email.sender == MAILBOX  # from MASHBOT_MAIL_FROM
    assert (await dispatcher.run_once()).retrying == 1
    row = await the_row(service)
    assert (row["status"], row["next_attempt_at"]) == ("pending", T0 + timedelta(seconds=120))
    assert row["last_error"] == "Graph is busy (429 ApplicationThrottled); retried"
    now[0] = T0 + timedelta(seconds=119)
    await dispatcher.run_once()
    assert len(graph.tokens_seen) == 1 and not graph.sent  # not before Graph said
    now[0] = T0 + timedelta(seconds=120)
    assert (await dispatcher.run_once()).sent == 1
    row = await the_row(service)
    [body] = graph.sent
    assert row["status"] == "sent" and row["external_id"] == body["message"]["internetMessageId"]


async def test_a_missing_mail_send_permission_is_recorded_as_failed_with_what_to_do(
        service: bootstrap.Service, ms: Fakes) -> None:
    _, graph = ms
    graph.can_send_as = set()
    await queue_review_request(service)
    now: datetime = T0
    report = await build_dispatcher(service, clock=lambda: now).run_once()
    assert report.failed == 1
    row = await the_row(service)
    assert row["status"] == "failed" and row["next_attempt_at"] is None
    assert row["last_error"].startswith("gave up after 1 attempt(s): Graph refused (403 ErrorAccessDenied): the app "
                                        f"has no Mail.Send permission for {MAILBOX}; grant the Mail.Send application "
                                        "permission in Entra ID")
    assert "Traceback" not in row["last_error"]
