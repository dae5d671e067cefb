"""A real SMTP server (aiosmtpd) on 127.0.0.1, on a free port, in the test's own loop."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Inbox:
    """What the server received; `fail_next` DATA commands answer `failure` first."""

    port: int = 0
    received: list[Envelope] = field(default_factory=list)
    fail_next: int = 0
    failure: str = "451 4.3.0 Try again later"
    refuse: set[str] = field(default_factory=set)  # addresses answered 550 at RCPT
    attempts: int = 0

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.attempts += 1
        if self.fail_next > 0:
            self.fail_next -= 1
            return self.failure
        self.received.append(envelope)
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        return [email.message_from_bytes(e.content, policy=email.policy.default)  # type: ignore[misc]
                for e in self.received if isinstance(e.content, bytes)]

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?timeout=5"


@asynccontextmanager
async def smtp_server(**options: Any) -> AsyncIterator[Inbox]:
    inbox = Inbox(**options)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(inbox, hostname="smtp.test", loop=loop), "127.0.0.1", 0)
    inbox.port = server.sockets[0].getsockname()[1]
    try:
        yield inbox
    finally:
        server.close()
        await server.wait_closed()
