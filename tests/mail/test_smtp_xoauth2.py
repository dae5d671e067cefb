"""SMTP that signs in with AUTH XOAUTH2 and an Entra ID token (Exchange Online without
passwords), against aiosmtpd with an XOAUTH2 mechanism that accepts only the fake Entra's tokens."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest
from aiosmtpd.smtp import SMTP, AuthResult

from adapters.dispatcher import SendFailed
from adapters.email import EmailSender
from adapters.mail import mail_sender
from adapters.settings import Settings
from bot.challenge import Message
from tests.clock.smtp_server import Inbox, smtp_server
from tests.clock.support import roster_people
from tests.ladder_harness import Ladder, local
from tests.mail.microsoft import CLIENT_ID, MAILBOX, SECRET, TENANT, FakeEntra, FakeGraph

PEOPLE = {p.id: p for p in roster_people()}
Fakes = tuple[FakeEntra, FakeGraph]


@dataclass
class OAuthInbox(Inbox):
    """Accepts AUTH XOAUTH2 for `user` with a token the fake Entra issued and did not revoke."""

    entra: FakeEntra | None = None
    user: str = MAILBOX
    revoked: set[str] = field(default_factory=set)
    signed_in: list[tuple[str, str]] = field(default_factory=list)

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        fields = dict(part.split("=", 1) for part in base64.b64decode(args[1]).decode().split("\x01") if part)
        token = fields.get("auth", "").removeprefix("Bearer ")
        assert self.entra is not None
        if fields.get("user") != self.user or token not in self.entra.issued or token in self.revoked:
            return AuthResult(success=False, handled=False, message="535 5.7.3 Authentication unsuccessful")
        self.signed_in.append((fields["user"], token))
        return AuthResult(success=True, auth_data=fields["user"])


@asynccontextmanager
async def oauth_smtp(entra: FakeEntra) -> AsyncIterator[OAuthInbox]:
    inbox = OAuthInbox(entra=entra)
    loop = asyncio.get_running_loop()
    # Plain loopback in the test; Exchange Online takes AUTH only after STARTTLS.
    server = await loop.create_server(lambda: SMTP(inbox, hostname="smtp.test", loop=loop, auth_require_tls=False),
                                      "127.0.0.1", 0)
    inbox.port = server.sockets[0].getsockname()[1]
    try:
        yield inbox
    finally:
        server.close()
        await server.wait_closed()


def xoauth2_sender(entra: FakeEntra, port: int) -> EmailSender:
    url = f"smtp://mashbot%40council.example.org@127.0.0.1:{port}?auth=xoauth2&starttls=false&timeout=5"
    settings = Settings(_env_file=None, MASHBOT_SMTP_URL=url, MASHBOT_GRAPH_TENANT_ID=TENANT,  # type: ignore[call-arg]
                        MASHBOT_GRAPH_CLIENT_ID=CLIENT_ID, MASHBOT_GRAPH_CLIENT_SECRET=SECRET,
                        MASHBOT_GRAPH_AUTHORITY=entra.url, MASHBOT_MAIL_FROM=f"MASH <{MAILBOX}>")
    sender = mail_sender(settings, verify=str(entra.ca_path))
    assert isinstance(sender, EmailSender) and sender.config.xoauth2 and sender.config.password is None
    return sender


async def review_request() -> Message:
    lad = Ladder()
    await lad.raise_(local("2027-01-04 10:00"))
    return next(m for m in lad.store.outbox if m.kind == "review_requested" and m.to == "pm-east-1")


async def test_smtp_signs_in_with_an_exchange_online_token_and_reuses_it(ms: Fakes) -> None:
    entra, _ = ms
    message = await review_request()
    async with oauth_smtp(entra) as inbox:
        sender = xoauth2_sender(entra, inbox.port)
        await sender.send(message, PEOPLE["pm-east-1"], key="1")
        await sender.send(message, PEOPLE["pm-east-1"], key="2")
    assert [m["To"] for m in inbox.messages()] == ["Pm East 1 <pm-east-1@example.org>"] * 2
    assert inbox.signed_in == [(MAILBOX, entra.issued[0])] * 2
    [asked] = entra.token_requests
    assert asked["scope"] == "https://outlook.office365.com/.default" and asked["grant_type"] == "client_credentials"


async def test_a_refused_token_is_dropped_so_the_outbox_retry_signs_in_with_a_fresh_one(ms: Fakes) -> None:
    entra, _ = ms
    message = await review_request()
    async with oauth_smtp(entra) as inbox:
        sender = xoauth2_sender(entra, inbox.port)
        await sender.send(message, PEOPLE["pm-east-1"], key="1")
        inbox.revoked.add(entra.issued[0])
        with pytest.raises(SendFailed) as failed:
            await sender.send(message, PEOPLE["pm-east-1"], key="2")
        assert not failed.value.permanent and failed.value.reason.startswith(
            "SMTP 535: the server refused the OAuth token; give the app SMTP.SendAsApp")
        await sender.send(message, PEOPLE["pm-east-1"], key="2")
    assert len(inbox.received) == 2 and len(entra.token_requests) == 2
    assert inbox.signed_in[-1] == (MAILBOX, entra.issued[1])


async def test_a_server_without_xoauth2_says_so(ms: Fakes) -> None:
    entra, _ = ms
    message = await review_request()
    async with smtp_server() as inbox:  # aiosmtpd offers no AUTH over plain text by default
        with pytest.raises(SendFailed) as failed:
            await xoauth2_sender(entra, inbox.port).send(message, PEOPLE["pm-east-1"], key="1")
    assert not failed.value.permanent and "does not offer AUTH XOAUTH2" in failed.value.reason
    assert not inbox.received
