"""The HTML report renders in Chromium without errors (Debian's Chromium via Playwright).

Chromium missing is a failure, not a skip, unless MASHBOT_SKIP_BROWSER=1 (as for the console's
browser test). The file must be self-contained: any request other than the file itself and its
data: images is refused and fails the test.
"""

from __future__ import annotations

from pathlib import Path


from adapters.reports.data import load_report
from adapters.reports.html import write_html
from bot.ladder import calendar_of
from storage.database import Database
from tests.conftest import run_async
from tests.demo import BROWSER_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS, need_chromium
from tests.governance.conftest import REPORTED_AT, policy
from tests.governance.quarter import QUARTER_END, QUARTER_START



async def _html(url: str, path: Path) -> Path:
    database = Database(url)
    try:
        report = await load_report(database, policy(), QUARTER_START, QUARTER_END, REPORTED_AT)
    finally:
        await database.dispose()
    return write_html(report, path, calendar_of(policy()).describe_with_year)


def test_the_html_report_renders_in_chromium_without_errors(quarter_url: str, tmp_path: Path) -> None:
    need_chromium()
    from playwright.sync_api import expect, sync_playwright

    path = run_async(_html(quarter_url, tmp_path / "report.html"))
    url = path.resolve().as_uri()
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(BROWSER_TIMEOUT_MS)
            expect.set_options(timeout=BROWSER_TIMEOUT_MS)
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url[:80]}"))

            def only_itself(route) -> None:  # type: ignore[no-untyped-def]
                if route.request.url == url or route.request.url.startswith("data:"):
                    route.continue_()
                else:
                    problems.append(f"external request: {route.request.url}")
                    route.abort()

            page.route("**/*", only_itself)
            page.goto(url, wait_until="load")
            expect(page.get_by_role("heading", level=1)).to_have_text("Professional challenges: quarterly report")
            expect(page.locator("header")).to_contain_text("Wed 1 April 2026 to Tue 30 June 2026")
            figures = page.get_by_role("list", name="Key figures")
            expect(figures).to_contain_text("500")
            expect(figures).to_contain_text("Challenges raised")
            for title in ("Agency raising", "Area receiving", "Highest stage reached", "Level of need challenged",
                          "Reason for the challenge", "Outcome", "Challenger type", "Urgent safeguarding path",
                          "Escalations", "Notices sent under the policy", "Complaints redirected, by area",
                          "Timeliness per stage", "Lessons learned"):
                expect(page.get_by_role("heading", level=2, name=title, exact=True)).to_be_visible()
            expect(page.get_by_role("heading", level=2, name="Lessons learned", exact=True)).to_have_count(1)
            images = page.locator("img")
            assert images.count() >= 12
            loaded = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.alt])")
            assert all(done and width > 300 and alt for done, width, alt in loaded), loaded
            row = page.locator("#summary tr", has_text="Challenges raised")
            expect(row).to_contain_text("500")
            timeliness = page.locator("#timeliness tbody tr")
            expect(timeliness).to_have_count(5)  # Lancashire's four stages and its optional top step
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
            narrow = browser.new_page(viewport={"width": 420, "height": 800})
            narrow.on("pageerror", lambda e: problems.append(f"pageerror (narrow): {e}"))
            narrow.goto(url, wait_until="load")
            assert narrow.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        finally:
            browser.close()
    assert problems == []
    assert path.stat().st_size < 2_000_000  # small enough to email
