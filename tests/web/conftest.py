"""Fixtures for /web: the app over https on 127.0.0.1 (a throwaway CA), mail captured by
aiosmtpd, the demo roster, and the clock pinned to Thu 24 Dec 2026 10:00 London."""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from adapters import bootstrap
from adapters.scheduler import build_dispatcher
from adapters.settings import Settings
from adapters.web_page.common import WEB_PAGE
from tests.clock.smtp_server import Inbox, smtp_server
from tests.console.conftest import START, pin
from tests.demo import demo_database
from tests.mail.tls import LoopbackTls, loopback_tls

SECRET = "a-test-secret-of-enough-length"
LINK = re.compile(r"https://127\.0\.0\.1:\d+/web/(?:act|sign-in)/[A-Za-z0-9_.-]+")
GOOD_INTAKE = {
    "case_reference": "LCS123456", "area": "North", "raised_by": "professional",
    "agency": "Health — School Nursing", "decision_challenged": "Level 2 – Additional support",
    "requested_outcome": "A Child and Family assessment", "reason_category": "level_of_need",
    "reason_text": "Repeated missing episodes were not weighed.",
}


def web_settings(url: str, port: int, smtp: Inbox, **extra: Any) -> Settings:
    values = {"MASHBOT_PUBLIC_URL": f"https://127.0.0.1:{port}", "MASHBOT_SECRET": SECRET,
              "MASHBOT_SMTP_URL": smtp.url} | extra
    return Settings(_env_file=None, MASHBOT_DATABASE_URL=url, MASHBOT_POLICY="lancashire",  # type: ignore[call-arg]
                    **values)


@dataclass
class Served:
    """The service, its https base URL, the captured mail and a client that keeps cookies."""

    service: bootstrap.Service
    base: str
    inbox: Inbox
    tls: LoopbackTls
    client: aiohttp.ClientSession
    app: web.Application

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.tls.ca_path))

    def new_client(self) -> aiohttp.ClientSession:
        """Another browser: its own cookies."""
        return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                     connector=aiohttp.TCPConnector(ssl=self.client_context()))

    async def deliver(self) -> None:
        """Send what the outbox holds, as the tick's dispatcher does."""
        dispatcher = build_dispatcher(self.service)
        await dispatcher.run_once()

    def mail_to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.inbox.messages() if address in str(m["To"])]

    def links_in(self, message: EmailMessage) -> dict[str, str]:
        """Label -> URL of an email's action links (from its plain-text part)."""
        body = message.get_body(("plain",))
        assert body is not None
        found = {}
        for line in body.get_content().splitlines():
            m = re.match(r"- (.+): (https://\S+)$", line)
            if m:
                found[m.group(1)] = m.group(2)
        return found

    def service_tasks(self) -> int:
        return len(self.app[WEB_PAGE].tasks)

    async def challenge(self, reference: str) -> Any:
        async with self.service.database.uow(read_only=True) as uow:
            return await uow.challenges.get(reference)

    async def events(self, reference: str) -> Any:
        async with self.service.database.uow(read_only=True) as uow:
            return await uow.events.for_challenge(reference)


async def serve(tmp_path: Path, **extra: Any) -> AsyncIterator[Served]:
    from adapters.web import create_app

    url = await demo_database(f"sqlite:///{tmp_path / 'web.db'}")
    tls = loopback_tls(tmp_path)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    async with smtp_server() as inbox:
        service = bootstrap.build(web_settings(url, port, inbox, **extra))
        pin(service, START)
        app = create_app(service, host="127.0.0.1")
        runner = web.AppRunner(app)
        await runner.setup()
        await web.SockSite(runner, sock, ssl_context=tls.server_context()).start()
        served = Served(service, f"https://127.0.0.1:{port}", inbox, tls, None, app)  # type: ignore[arg-type]
        served.client = served.new_client()
        try:
            yield served
        finally:
            await served.client.close()
            await runner.cleanup()


@pytest.fixture
async def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Served]:
    for name in ("MICROSOFT_APP_ID", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "MASHBOT_DEMO", "MASHBOT_CONSOLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    async for s in serve(tmp_path):
        yield s


def csrf_of(page: str, action: str | None = None) -> str:
    """The CSRF value of the form posting to `action` (default: the page's last form)."""
    if action is not None:
        page = page.split(f'action="{action}"', 1)[1]
    found = re.findall(r'name="csrf" value="([^"]+)"', page)
    m = re.search(r'(.+)', found[0 if action else -1]) if found else None
    assert m, page
    return m.group(1)


def form_action(page: str) -> str:
    m = re.search(r'<form method="post" action="(/web/(?:act|sign-in)/[^"]+)"', page)
    assert m, page
    return m.group(1)


async def sign_in(served: Served, client: aiohttp.ClientSession, address: str) -> str:
    page = await (await client.get(served.base + "/web")).text()
    response = await client.post(served.base + "/web/sign-in", data={"email": address, "csrf": csrf_of(page)})
    assert response.status == 200, await response.text()
    assert "Check your email" in await response.text()
    await settle(served)
    mails = [m for m in served.mail_to(address) if "sign-in link" in str(m["Subject"])]
    assert mails, [str(m["Subject"]) for m in served.inbox.messages()]
    link = LINK.search(mails[-1].get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert link
    confirm = await client.get(link.group(0))
    text = await confirm.text()
    assert confirm.status == 200 and "Sign in as" in text
    done = await client.post(served.base + form_action(text), data={"csrf": csrf_of(text)})
    assert done.status == 200, await done.text()
    return link.group(0)


async def settle(served: Served) -> None:
    """The sign-in email is sent in a task after the answer: wait for it (at most 2 s)."""
    for _ in range(100):
        if served.inbox.received and not served.service_tasks():
            break
        await asyncio.sleep(0.02)


async def raise_as(served: Served, client: aiohttp.ClientSession, **intake: str) -> str:
    page = await (await client.get(served.base + "/web/raise")).text()
    response = await client.post(served.base + "/web/raise", data={**GOOD_INTAKE, **intake, "csrf": csrf_of(page, "/web/raise")})
    text = await response.text()
    assert response.status == 200, text
    m = re.search(r'class="reference">(CH-[0-9A-Z]{6})<', text)
    assert m, text
    return m.group(1)


