"""The console in a real browser: Debian's Chromium driven by Playwright (INTEGRATION.md).

Raise as a practitioner, accept and escalate as the area's Practice Manager, move the demo
clock past the Team Manager's 5 working days over Christmas and New Year, and read the
auto-escalation in the timeline. A screenshot is written under the test's tmp dir.

Chromium missing is a failure, not a skip, unless MASHBOT_SKIP_BROWSER=1. Install it with
`apt-get install -y chromium` (never `playwright install`: nothing is downloaded here).
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from adapters import bootstrap
from tests.console.conftest import START, build_app, make_settings, pin
from tests.demo import BROWSER_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS, import_demo_roster, need_chromium



def run_async(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine to the end on its own loop in a worker thread (from a sync test)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


class ServerThread:
    """`mashbot serve`'s app on 127.0.0.1 (a free port) in a thread with its own event loop."""

    def __init__(self, service: bootstrap.Service) -> None:
        self.service = service
        self.loop = asyncio.new_event_loop()
        self.started = threading.Event()
        self.error: BaseException | None = None
        self.port = 0
        self.thread = threading.Thread(target=self._run, name="console-server", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._start())
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            self.error = exc
            self.started.set()
            return
        self.started.set()
        self.loop.run_forever()

    async def _start(self) -> None:
        from aiohttp import web

        self.runner = web.AppRunner(build_app(self.service, host="127.0.0.1"))
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self.runner.addresses[0][1])

    def __enter__(self) -> str:
        self.thread.start()
        if not self.started.wait(30):
            raise RuntimeError("the console server did not start within 30 s")
        if self.error is not None:
            raise self.error
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.loop.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, bootstrap.Service]]:
    """A migrated SQLite database with the demo roster, served with the clock at Thu 24 Dec 2026 10:00."""
    from storage.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'browser.db'}"
    run_async(upgrade(url))
    setup = bootstrap.build(make_settings(url))

    async def load() -> None:
        try:
            await import_demo_roster(setup)
        finally:
            await setup.close()

    run_async(load())
    service = bootstrap.build(make_settings(url, MASHBOT_DEMO="1"))
    pin(service, START)
    with ServerThread(service) as base:
        yield base, service


def test_raise_accept_escalate_and_watch_the_timeout_in_a_browser(
        served: tuple[str, bootstrap.Service], tmp_path: Path) -> None:
    need_chromium()
    from playwright.sync_api import expect, sync_playwright

    base, service = served
    # Set MASHBOT_SCREENSHOTS=<dir> to keep the screenshots to look at.
    shots = Path(os.environ.get("MASHBOT_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(BROWSER_TIMEOUT_MS)
            expect.set_options(timeout=BROWSER_TIMEOUT_MS)
            page.goto(base + "/")
            expect(page.get_by_role("heading", level=1)).to_have_text("Choose who you are")

            # The keyboard reaches the skip link first.
            page.keyboard.press("Tab")
            expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()

            def act_as(person: str, name: str) -> None:
                page.get_by_label("Acting as").select_option(person)
                page.get_by_role("button", name="Switch").click()  # stays on the page it was on
                expect(page.locator(".flash-list")).to_contain_text(f"You are acting as {name}.")
                page.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox").click()
                expect(page.get_by_role("heading", level=1)).to_have_text(f"Inbox of {name}")

            def flash() -> object:
                return page.locator(".flash-list")

            def check_phone_width(url: str, name: str) -> None:
                """At 400 px: no sideways scroll, and the demo clock's buttons each on one line."""
                phone = browser.new_page(viewport={"width": 400, "height": 800})
                phone.context.add_cookies(page.context.cookies())
                phone.goto(url)
                phone.screenshot(path=str(shots / name), full_page=True)
                wide = phone.evaluate("Array.from(document.querySelectorAll('body *')).filter(e =>"
                                      " e.getBoundingClientRect().right > window.innerWidth + 1)"
                                      ".slice(0, 5).map(e => e.tagName + '.' + e.className)")
                assert wide == [], wide
                assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
                heights = phone.evaluate("Array.from(document.querySelectorAll('.clock-form button'))"
                                         ".map(b => [b.getBoundingClientRect().height,"
                                         " parseFloat(getComputedStyle(b).lineHeight)])")
                assert heights and all(h < 2 * line + 16 for h, line in heights), heights  # no wrapped label
                phone.close()

            # --- Tara (a practitioner in East) raises a challenge -------------------------------
            act_as("tara.nolan", "Tara Nolan")
            page.get_by_role("navigation", name="Main").get_by_role("link", name="Raise a challenge").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Raise a challenge")
            why_urgent = page.get_by_label("Why it is urgent")
            expect(why_urgent).to_be_hidden()  # shown only when "Urgent" is ticked
            page.get_by_label("Urgent: immediate or life-threatening risk").check()
            expect(why_urgent).to_be_visible()
            page.get_by_label("Urgent: immediate or life-threatening risk").uncheck()
            expect(why_urgent).to_be_hidden()

            # The complaints route shows as soon as "complaint" is the reason, before the rest is filled.
            reason = page.get_by_label("Reason (required)", exact=True)
            route = page.locator(".complaint-route")
            expect(route).to_be_hidden()
            reason.select_option("complaint")
            expect(route).to_be_visible()
            expect(route).to_contain_text("This is a complaint, not a challenge")
            expect(page.get_by_label("Why you disagree (required)")).to_be_hidden()
            reason.select_option("level_of_need")
            expect(route).to_be_hidden()
            expect(page.get_by_label("Why you disagree (required)")).to_be_visible()
            reason.select_option("")

            page.get_by_role("button", name="Raise challenge").click()  # nothing filled in
            summary = page.get_by_role("alert")
            expect(summary).to_contain_text("There is a problem")
            expect(summary).to_be_focused()
            expect(page.locator("#intake-case_reference-error")).to_contain_text("Enter the case reference.")
            expect(page.locator("#intake-reason_text-error")).to_contain_text("Say briefly why you disagree.")
            page.screenshot(path=str(tmp_path / "console-raise-errors.png"), full_page=True)

            page.get_by_label("Case reference (required)").fill("LCS123456")
            expect(page.get_by_label("Area (required)")).to_have_value("East")
            page.get_by_label("Your agency and team (required)").fill("Police — Public Protection Unit")
            page.get_by_label("Decision you are challenging (required)").select_option(
                label="Level 2 – Additional support")
            page.get_by_label("Outcome you are asking for (required)").fill("A Child and Family assessment")
            page.get_by_label("Reason (required)", exact=True).select_option("level_of_need")
            page.get_by_label("Why you disagree (required)").fill("Repeated missing episodes were not weighed.")
            page.get_by_role("button", name="Raise challenge").click()
            expect(flash()).to_contain_text("raised: with Practice Manager (Ava Okafor, Ben Hartley)")
            reference = page.locator("h1 .reference").inner_text()
            assert re.fullmatch(r"CH-[0-9A-Z]{6}", reference)

            # --- Ava (East's Practice Manager) accepts, then escalates ----------------------------
            act_as("ava.okafor", "Ava Okafor")
            card = page.get_by_role("article").filter(has_text=reference)
            # Ava decides from the dispute itself, and "Due" is said once.
            expect(card).to_contain_text("Your answer is due")
            expect(card).to_contain_text("Tue 29 Dec, 17:00 — 1 working day left")
            expect(card).to_contain_text("Why they disagree")
            expect(card).to_contain_text("Repeated missing episodes were not weighed.")
            expect(card).not_to_contain_text("Due Tue 29 Dec")
            page.screenshot(path=str(shots / "console-inbox-1280.png"), full_page=True)
            check_phone_width(f"{base}/", "console-inbox-400.png")
            card.get_by_role("button", name="Accept").click()
            expect(flash()).to_contain_text(f"You own {reference} at Practice Manager.")
            card = page.get_by_role("article").filter(has_text=reference)
            expect(card).to_contain_text("Taken by Ava Okafor at Thu 24 Dec, 10:00.")
            card.locator("summary", has_text="Escalate to Team Manager").click()
            escalate = card.locator(f'form[action="/challenges/{reference}/escalate"]')
            box, form_box = card.bounding_box(), escalate.bounding_box()
            assert box and form_box and form_box["x"] + form_box["width"] <= box["x"] + box["width"] + 1  # fits
            escalate.get_by_role("button", name="Escalate").click()  # no reason given
            card = page.get_by_role("article").filter(has_text=reference)
            escalate = card.locator(f'form[action="/challenges/{reference}/escalate"]')
            expect(escalate).to_be_visible()  # the form stays open ...
            expect(escalate.locator(".error-message")).to_contain_text("Give the reason for escalating.")
            expect(escalate.get_by_label("Reason (required)")).to_have_attribute("aria-invalid", "true")
            page.screenshot(path=str(shots / "console-escalate-error-1280.png"), full_page=True)
            escalate.get_by_label("Reason (required)").fill("Needs a Team Manager view.")
            escalate.get_by_role("button", name="Escalate").click()
            expect(flash()).to_contain_text(f"{reference} escalated to Team Manager.")

            # --- the demo clock: past the Team Manager's 5 working days over the holidays --------
            page.get_by_role("button", name="+5 working days").click()  # Tue 5 Jan 2027 10:00
            expect(page.locator("#service-time")).to_have_text("Tue 5 Jan 2027, 10:00")
            page.get_by_role("button", name="+1 working day").click()  # Wed 6 Jan 2027 10:00
            expect(page.locator("#service-time")).to_have_text("Wed 6 Jan 2027, 10:00")
            expect(flash()).to_contain_text(f"1 challenge(s) changed ({reference})")

            page.goto(f"{base}/challenges/{reference}")
            row = page.locator("tr.event-escalated_timeout")
            expect(row).to_contain_text("escalated (timeout)")
            expect(row).to_contain_text("Wed 6 Jan 2027, 10:00")
            expect(row).to_contain_text("Senior Manager")
            expect(row).to_contain_text("mashbot (time limit)")
            expect(page.locator("table.timeline")).to_contain_text("nudged")
            expect(page.locator("table.timeline")).to_contain_text("reason: Needs a Team Manager view")
            shot = shots / "console-timeline-1280.png"
            page.screenshot(path=str(shot), full_page=True)
            check_phone_width(f"{base}/challenges/{reference}", "console-timeline-400.png")
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
    assert service.clock_offset  # the demo clock moved the service's now, not the machine's
