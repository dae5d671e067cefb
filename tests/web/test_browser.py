"""/web and the emailed links in a real browser: Debian's Chromium driven by Playwright.

A partner with no chat identity signs in by an emailed link (captured by aiosmtpd) and raises
a challenge; the North Practice Manager accepts from her email's link, signs in and records
the outcome; the partner escalates from the outcome email's link; a second press of that
link and a forwarded link are refused. Over https on 127.0.0.1 (a throwaway CA), so the
cookies are Secure as in production. Screenshots are written under the test's tmp dir.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters import bootstrap
from tests.clock.smtp_server import Inbox, smtp_server
from tests.console.conftest import START, pin
from tests.demo import BROWSER_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS, demo_database, need_chromium
from tests.mail.tls import loopback_tls
from tests.web.conftest import LINK, Served, web_settings


class WebServerThread:
    """`mashbot serve`'s app over https with an SMTP catcher, in a thread with its own loop."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.loop = asyncio.new_event_loop()
        self.started = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="web-server", daemon=True)
        self.stop = asyncio.Event()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._serve())
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            self.error = exc
            self.started.set()

    async def _serve(self) -> None:
        from aiohttp import web

        from adapters.web import create_app

        url = await demo_database(f"sqlite:///{self.tmp_path / 'browser.db'}")
        tls = loopback_tls(self.tmp_path)
        self.spki = _spki(tls.cert_path)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        async with smtp_server() as inbox:
            self.inbox: Inbox = inbox
            self.service = bootstrap.build(web_settings(url, port, inbox))
            pin(self.service, START)
            app = create_app(self.service, host="127.0.0.1")
            runner = web.AppRunner(app)
            await runner.setup()
            await web.SockSite(runner, sock, ssl_context=tls.server_context()).start()
            self.served = Served(self.service, f"https://127.0.0.1:{port}", inbox, tls, None, app)  # type: ignore[arg-type]
            self.started.set()
            await self.stop.wait()
            await runner.cleanup()

    def call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def __enter__(self) -> WebServerThread:
        self.thread.start()
        if not self.started.wait(60):
            raise RuntimeError("the web server did not start within 60 s")
        if self.error is not None:
            raise self.error
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(30)


def _spki(cert_path: Path) -> str:
    """base64(SHA-256(SubjectPublicKeyInfo)) of a certificate, as Chromium's SPKI list wants it."""
    import base64
    import hashlib

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebServerThread]:
    for name in ("MICROSOFT_APP_ID", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "MASHBOT_DEMO", "MASHBOT_CONSOLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    with WebServerThread(tmp_path) as running:
        yield running


def _mail_links(server: WebServerThread, address: str, subject: str) -> dict[str, str]:
    found = [m for m in server.inbox.messages() if address in str(m["To"]) and subject in str(m["Subject"])]
    assert found, [str(m["Subject"]) for m in server.inbox.messages()]
    return server.served.links_in(found[-1])


def _sign_in_link(server: WebServerThread, address: str, already: int) -> str:
    for _ in range(200):
        mails = [m for m in server.inbox.messages() if address in str(m["To"]) and "sign-in" in str(m["Subject"])]
        if len(mails) > already:
            match = LINK.search(mails[-1].get_body(("plain",)).get_content())  # type: ignore[union-attr]
            assert match
            return match.group(0)
        threading.Event().wait(0.05)
    raise AssertionError("no sign-in email arrived")


def test_a_partner_and_a_practice_manager_without_chat_act_by_email_and_web(
        server: WebServerThread, tmp_path: Path) -> None:
    need_chromium()
    from playwright.sync_api import expect, sync_playwright

    base = server.served.base
    shots = Path(os.environ.get("MASHBOT_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        # The throwaway server certificate is trusted by its key (not merely its errors ignored),
        # so Chromium treats the page as a secure origin and keeps its Secure cookies.
        trust = f"--ignore-certificate-errors-spki-list={server.spki}"
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, trust], headless=True)
        try:
            expect.set_options(timeout=BROWSER_TIMEOUT_MS)

            def person(name: str) -> Any:
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                page.set_default_timeout(BROWSER_TIMEOUT_MS)
                return page

            def sign_in(page: Any, address: str, name: str) -> None:
                already = len([m for m in server.inbox.messages() if address in str(m["To"])
                               and "sign-in" in str(m["Subject"])])
                page.goto(base + "/web")
                expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
                page.get_by_label("Your work email address").fill(address)
                page.get_by_role("button", name="Email me a sign-in link").click()
                expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
                page.goto(_sign_in_link(server, address, already))
                expect(page.get_by_role("heading", level=1)).to_have_text(f"Sign in as {name}")
                page.get_by_role("button", name="Sign in").click()
                expect(page.get_by_role("heading", level=1)).to_have_text("Your challenges")
                expect(page.locator(".signed-in")).to_contain_text(f"Signed in as {name}")

            def check_phone_width(page: Any, name: str) -> None:
                phone = browser.new_context(viewport={"width": 360, "height": 740})
                phone.add_cookies(page.context.cookies())
                tab = phone.new_page()
                tab.goto(page.url)
                tab.screenshot(path=str(shots / name), full_page=True)
                assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
                phone.close()

            # --- Victor Hale (a partner with no chat identity) signs in and raises -------------------
            victor = person("victor")
            victor.goto(base + "/web")
            victor.keyboard.press("Tab")
            expect(victor.get_by_role("link", name="Skip to main content")).to_be_focused()
            victor.get_by_role("button", name="Email me a sign-in link").click()  # nothing entered
            expect(victor.get_by_role("alert")).to_contain_text("Enter your work email address")
            expect(victor.get_by_role("alert")).to_be_focused()
            sign_in(victor, "victor.hale@example.org", "Victor Hale")
            victor.screenshot(path=str(shots / "web-home-1280.png"), full_page=True)
            victor.get_by_role("navigation", name="Main").get_by_role("link", name="Raise a challenge").click()
            expect(victor.get_by_role("heading", level=1)).to_have_text("Raise a challenge")
            victor.get_by_label("Case reference (required)").fill("LCS123456")
            victor.get_by_label("Area (required)").select_option("North")
            victor.get_by_label("Your agency and team (required)").fill("Health — School Nursing")
            victor.get_by_label("Decision you are challenging (required)").select_option(
                label="Level 2 – Additional support")
            victor.get_by_label("Outcome you are asking for (required)").fill("A Child and Family assessment")
            victor.get_by_label("Reason (required)", exact=True).select_option("level_of_need")
            victor.get_by_label("Why you disagree (required)").fill("Repeated missing episodes were not weighed.")
            victor.get_by_role("button", name="Raise challenge").click()
            expect(victor.locator(".flash-list")).to_contain_text("raised")
            reference = victor.locator("h1 .reference").inner_text()
            assert re.fullmatch(r"CH-[0-9A-Z]{6}", reference)
            check_phone_width(victor, "web-challenge-360.png")

            # --- Nia Brennan (North's Practice Manager) accepts from her email's link -----------------
            server.call(server.served.deliver())
            nia_links = _mail_links(server, "nia.brennan@", "needs a")
            nia = person("nia")
            nia.goto(nia_links["Accept"])
            expect(nia.get_by_role("heading", level=1)).to_contain_text(f"Accept: {reference}")
            expect(nia.locator(".for-whom")).to_contain_text("This link is for Nia Brennan")
            nia.screenshot(path=str(shots / "web-act-1280.png"), full_page=True)
            check_phone_width(nia, "web-act-360.png")
            assert server.call(server.served.challenge(reference)).state.value == "open"  # GET did nothing
            nia.get_by_role("button", name="Accept").click()
            expect(nia.get_by_role("heading", level=1)).to_have_text("Done")
            expect(nia.locator(".flash-list")).to_contain_text(f"You own {reference}")

            # --- she signs in and records the outcome -------------------------------------------------
            sign_in(nia, "nia.brennan@example.org", "Nia Brennan")
            nia.get_by_role("link", name=re.compile(reference)).first.click()
            nia.locator("summary", has_text="Record outcome").click()
            form = nia.locator(f'form[action="/web/challenges/{reference}/record_outcome"]')
            form.get_by_label("Outcome (required)").select_option("decision_upheld")
            form.get_by_label("Rationale (required)").fill("Threshold for a Child and Family assessment not met.")
            form.get_by_role("button", name="Record outcome").click()
            expect(nia.locator(".flash-list")).to_contain_text("Done")
            expect(nia.locator("table.timeline")).to_contain_text("via web")
            expect(nia.locator("table.timeline")).to_contain_text("via email")
            assert server.call(server.served.challenge(reference)).state.value == "outcome_proposed"

            # --- Victor escalates from the outcome email's link -------------------------------------
            server.call(server.served.deliver())
            victor_links = _mail_links(server, "victor.hale@", "Outcome for")
            escalate = victor_links["Escalate to Team Manager"]
            victor.goto(escalate)
            expect(victor.get_by_role("heading", level=1)).to_contain_text(reference)
            victor.get_by_label("Reason (optional)").fill("The missing episodes still need weighing.")
            victor.get_by_role("button", name="Escalate").click()
            expect(victor.get_by_role("heading", level=1)).to_have_text("Done")
            expect(victor.locator(".flash-list")).to_contain_text("escalated to Team Manager")
            after = server.call(server.served.challenge(reference))
            assert after.stage == 1

            # --- a second press of the same link is refused --------------------------------------------
            victor.goto(escalate)
            expect(victor.get_by_role("heading", level=1)).to_have_text("This link was already used")
            expect(victor.locator(".flash-list")).to_contain_text("already actioned by Victor Hale")

            # --- a forwarded link is refused -----------------------------------------------------------
            nia.goto(victor_links["Accept outcome"])
            expect(nia.get_by_role("heading", level=1)).to_have_text("This link is for someone else")
            expect(nia.locator(".flash-list")).to_contain_text("This link is for Victor Hale")
            nia.screenshot(path=str(shots / "web-forwarded-1280.png"), full_page=True)
            final = server.call(server.served.challenge(reference))
            assert (final.stage, final.version) == (after.stage, after.version)
        finally:
            browser.close()
    assert (shots / "web-act-1280.png").stat().st_size > 10_000
