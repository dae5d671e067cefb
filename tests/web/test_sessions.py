"""Signing in to /web: one answer for known and unknown addresses, single-use 15-minute links,
rate limits, and a session cookie that is Secure, HttpOnly, SameSite=Lax and times out."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.console.conftest import START, pin
from tests.web.conftest import LINK, Served, csrf_of, form_action, serve, settle, sign_in


async def _ask(served: Served, address: str, client: object | None = None) -> tuple[int, str]:
    browser = client or served.client
    page = await (await browser.get(served.base + "/web")).text()  # type: ignore[attr-defined]
    response = await browser.post(served.base + "/web/sign-in",  # type: ignore[attr-defined]
                                  data={"email": address, "csrf": csrf_of(page, "/web/sign-in")})
    return response.status, await response.text()


async def test_known_and_unknown_addresses_get_the_same_answer_and_only_the_known_get_mail(served: Served) -> None:
    known = await _ask(served, "victor.hale@example.org")
    unknown = await _ask(served, "nobody@example.org")
    await settle(served)
    assert known[0] == unknown[0] == 200
    assert known[1].replace("victor.hale", "X") == unknown[1].replace("nobody", "X")
    assert [str(m["To"]) for m in served.inbox.messages()] == ["Victor Hale <victor.hale@example.org>"]
    mailbox = await _ask(served, "csap.demo@example.org")  # a team mailbox cannot sign in
    await settle(served)
    assert mailbox[0] == 200 and len(served.inbox.messages()) == 1


async def test_a_bad_address_is_a_400_that_says_what_to_enter(served: Served) -> None:
    status, text = await _ask(served, "not an address")
    assert status == 400
    assert "Enter your work email address" in text
    assert 'aria-invalid="true"' in text


async def test_the_sign_in_link_works_once_within_15_minutes_and_get_never_signs_in(served: Served) -> None:
    await _ask(served, "victor.hale@example.org")
    await settle(served)
    link = LINK.search(served.inbox.messages()[-1].get_body(("plain",)).get_content()).group(0)  # type: ignore[union-attr]
    async with served.new_client() as scanner:  # a mail scanner opens the link: nothing happens
        assert (await scanner.get(link)).status == 200
        home = await (await scanner.get(served.base + "/web")).text()
        assert "Email me a sign-in link" in home
    async with served.new_client() as browser:
        page = await (await browser.get(link)).text()
        done = await browser.post(served.base + form_action(page), data={"csrf": csrf_of(page)})
        assert done.status == 200
        assert "Signed in as <strong>Victor Hale</strong>" in await done.text()
        cookie = done.history[0].headers["Set-Cookie"]
        assert "__Host-mashbot_session=" in cookie
        for attribute in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
            assert attribute in cookie, cookie
        again = await browser.post(served.base + form_action(page), data={"csrf": csrf_of(page)})
        assert again.status == 410
        assert "already used" in await again.text()
    await _ask(served, "victor.hale@example.org")
    await settle(served)
    late = LINK.search(served.inbox.messages()[-1].get_body(("plain",)).get_content()).group(0)  # type: ignore[union-attr]
    pin(served.service, START + timedelta(minutes=16))
    response = await served.client.get(late)
    assert response.status == 410
    assert "has expired" in await response.text()


async def test_sign_in_requests_are_limited_per_address_and_per_client(served: Served) -> None:
    for _ in range(5):
        assert (await _ask(served, "victor.hale@example.org"))[0] == 200
    await settle(served)
    assert len(served.inbox.messages()) == 3  # the same answer, but at most 3 links per 15 minutes
    for i in range(15):
        assert (await _ask(served, f"someone{i}@example.org"))[0] == 200
    status, text = await _ask(served, "another@example.org")
    assert status == 429
    assert "Wait 15 minutes" in text
    # Behind the council's proxy (a loopback peer here), each client has its own limit.
    page = await (await served.client.get(served.base + "/web")).text()
    other = await served.client.post(served.base + "/web/sign-in", headers={"X-Forwarded-For": "203.0.113.9"},
                                     data={"email": "x@example.org", "csrf": csrf_of(page, "/web/sign-in")})
    assert other.status == 200


async def test_a_session_ends_after_30_idle_minutes_at_8_hours_and_on_sign_out(served: Served) -> None:
    await sign_in(served, served.client, "victor.hale@example.org")
    pin(served.service, START + timedelta(minutes=29))
    assert (await served.client.get(served.base + "/web/raise")).status == 200
    pin(served.service, START + timedelta(minutes=29 + 31))
    idle = await served.client.get(served.base + "/web/raise")
    assert idle.status == 401
    assert "Sign in again" in await idle.text()

    async with served.new_client() as browser:
        await sign_in(served, browser, "victor.hale@example.org")
        at = START + timedelta(minutes=29 + 31)
        for _ in range(8 * 3 + 2):  # busy all day, a page every 20 minutes
            at += timedelta(minutes=20)
            pin(served.service, at)
            response = await browser.get(served.base + "/web/raise")
            if response.status != 200:
                break
        assert response.status == 401
        assert timedelta(hours=7, minutes=40) < at - (START + timedelta(minutes=60)) <= timedelta(hours=8, minutes=20)

    async with served.new_client() as browser:
        await sign_in(served, browser, "victor.hale@example.org")
        home = await (await browser.get(served.base + "/web")).text()
        out = await browser.post(served.base + "/web/sign-out", data={"csrf": csrf_of(home, "/web/sign-out")})
        assert out.status == 200 and "You have signed out" in await out.text()
        assert (await browser.get(served.base + "/web/raise")).status == 401


async def test_a_made_up_session_cookie_is_not_signed_in(served: Served) -> None:
    async with served.new_client() as browser:
        browser.cookie_jar.update_cookies({"__Host-mashbot_session": "forged-value"})
        assert (await browser.get(served.base + "/web/raise")).status == 401


async def test_every_page_carries_a_strict_content_security_policy(served: Served) -> None:
    response = await served.client.get(served.base + "/web")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "max-age" in response.headers["Strict-Transport-Security"]
    static = await served.client.get(served.base + "/web/static/web.css")
    assert static.status == 200


async def test_raising_checks_the_shared_intake_form_and_audits_the_web_channel(served: Served) -> None:
    await sign_in(served, served.client, "victor.hale@example.org")
    page = await (await served.client.get(served.base + "/web/raise")).text()
    bad = await served.client.post(served.base + "/web/raise", data={
        "csrf": csrf_of(page, "/web/raise"), "case_reference": "LCS123456", "area": "North",
        "reason_category": "level_of_need", "reason_text": "Call 07700 900123"})
    text = await bad.text()
    assert bad.status == 400
    assert "There is a problem" in text
    assert "phone" in text.lower()
    no_csrf = await served.client.post(served.base + "/web/raise", data={"case_reference": "LCS123456"})
    assert no_csrf.status == 403


@pytest.mark.parametrize("extra", [{"MASHBOT_PUBLIC_URL": "http://127.0.0.1:1"}, {"MASHBOT_SMTP_URL": ""},
                                   {"MASHBOT_SECRET": ""}])
async def test_web_is_off_without_https_mail_and_a_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          extra: dict[str, str]) -> None:
    monkeypatch.chdir(tmp_path)
    async for served in serve(tmp_path, **extra):
        response = await served.client.get(served.base + "/web")
        assert response.status == 404
