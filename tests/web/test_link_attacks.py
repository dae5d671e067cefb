"""Emailed action links under attack, through real https: tampered, foreign-signed, replayed,
forwarded, stale, expired, cross-site and without the page's CSRF value. Each gets a page
saying why, and the challenge does not change."""

from __future__ import annotations

from datetime import timedelta

import aiohttp

from adapters import bootstrap
from tests.console.conftest import pin
from tests.web.conftest import Served, csrf_of, form_action, raise_as, sign_in


async def _raised(served: Served, **intake: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """Victor raises (in East by default: Ava and Ben share the pool); Ava's and Ben's links."""
    await sign_in(served, served.client, "victor.hale@example.org")
    reference = await raise_as(served, served.client, **({"area": "East"} | intake))
    await served.deliver()
    ava = served.links_in(served.mail_to("ava.okafor@")[-1])
    ben = served.links_in(served.mail_to("ben.hartley@")[-1])
    return reference, ava, ben


async def _state(served: Served, reference: str) -> tuple[str, int]:
    challenge = await served.challenge(reference)
    return challenge.state.value, challenge.version


async def _press(client: aiohttp.ClientSession, served: Served, link: str, **values: str) -> aiohttp.ClientResponse:
    page = await (await client.get(link)).text()
    return await client.post(served.base + form_action(page), data={"csrf": csrf_of(page), **values})


async def test_each_link_is_bound_to_its_reader_and_the_email_names_the_actions(served: Served) -> None:
    reference, ava, ben = await _raised(served)
    assert set(ava) >= {"Accept", "Escalate to Team Manager", "Delegate"}
    assert ava["Accept"] != ben["Accept"]
    body = served.mail_to("ava.okafor@")[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Each works once, for you only" in body
    # The challenger's "raised" email asks nothing of them beyond what the card offers.
    raised = [m for m in served.mail_to("victor.hale@") if "raised" in str(m["Subject"])]
    assert raised and "/web/act/" not in raised[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_a_tampered_link_is_refused_and_changes_nothing(served: Served) -> None:
    reference, ava, _ben = await _raised(served)
    before = await _state(served, reference)
    link = ava["Accept"]
    body, mac = link.rsplit("/", 1)[1].split(".")
    flipped = body[:-3] + ("A" if body[-3] != "A" else "B") + body[-2:]
    for bad in (f"{served.base}/web/act/{flipped}.{mac}", f"{served.base}/web/act/{body}.{mac[:-2]}xx",
                f"{served.base}/web/act/not-a-token", f"{served.base}/web/act/{'x' * 5000}"):
        response = await served.client.get(bad)
        assert response.status == 400, bad
        assert "damaged or was changed" in await response.text()
        posted = await served.client.post(bad, data={"csrf": "x"})
        assert posted.status == 400
    assert await _state(served, reference) == before


async def test_a_link_signed_with_another_secret_is_refused(served: Served) -> None:
    from adapters.web_page import tokens

    reference, _ava, _ben = await _raised(served)
    claim = tokens.new_claim(tokens.ACTION, "ava.okafor", served.service.now() + timedelta(days=1),
                             reference=reference, version=1, verb="accept")
    forged = tokens.make_token(claim, b"someone-elses-secret-value")
    response = await served.client.get(f"{served.base}/web/act/{forged}")
    assert response.status == 400
    # Signed right but never issued (no row): still refused.
    made_up = tokens.make_token(claim, served.service.settings.secret.get_secret_value().encode())  # type: ignore[union-attr]
    response = await served.client.get(f"{served.base}/web/act/{made_up}")
    assert response.status == 404
    assert "does not know this link" in await response.text()
    assert (await _state(served, reference))[0] == "open"


async def test_a_second_press_says_who_used_it_and_when(served: Served) -> None:
    reference, ava, _ben = await _raised(served)
    async with served.new_client() as browser:
        page = await (await browser.get(ava["Accept"])).text()
        first = await browser.post(served.base + form_action(page), data={"csrf": csrf_of(page)})
        assert first.status == 200
        assert f"You own {reference}" in await first.text()
        version = (await _state(served, reference))[1]
        again = await browser.post(served.base + form_action(page), data={"csrf": csrf_of(page)})
        text = await again.text()
        assert again.status == 409
        assert "already actioned by Ava Okafor at Thu 24 Dec 2026, 10:00" in text
        reopened = await browser.get(ava["Accept"])
        assert reopened.status == 409
    assert (await _state(served, reference))[1] == version


async def test_a_forwarded_link_is_refused_for_a_signed_in_colleague(served: Served) -> None:
    reference, ava, _ben = await _raised(served)
    async with served.new_client() as ben_browser:
        await sign_in(served, ben_browser, "ben.hartley@example.org")
        shown = await ben_browser.get(ava["Accept"])
        text = await shown.text()
        assert shown.status == 403
        assert "This link is for Ava Okafor; you are signed in as Ben Hartley" in text
        # Even with a CSRF value from Ben's own page, the POST is refused.
        posted = await ben_browser.post(ava["Accept"], data={"csrf": csrf_of(text)})
        assert posted.status == 403
    assert (await _state(served, reference))[0] == "open"


async def test_a_link_overtaken_by_a_colleague_is_stale(served: Served) -> None:
    reference, ava, ben = await _raised(served)
    async with served.new_client() as browser:
        assert (await _press(browser, served, ava["Accept"])).status == 200
    async with served.new_client() as browser:
        response = await browser.get(ben["Accept"])
        text = await response.text()
        assert response.status == 409
        assert "Already actioned by Ava Okafor at Thu 24 Dec, 10:00" in text
    challenge = await served.challenge(reference)
    assert challenge.owner_id == "ava.okafor"


async def test_a_link_expires_and_never_outlives_the_stage(served: Served) -> None:
    from adapters.web_page.common import WEB_PAGE  # noqa: F401

    reference, ava, _ben = await _raised(served)
    challenge = await served.challenge(reference)
    async with served.service.database.uow(read_only=True) as uow:
        from sqlalchemy import select

        from storage import tables as t

        rows = (await uow.session.execute(select(t.action_links.c.expires_at).where(
            t.action_links.c.reference == reference))).scalars().all()
    assert rows and all(at <= challenge.due_at for at in rows)  # Practice Manager: 1 working day
    pin(served.service, challenge.due_at.astimezone(bootstrap.utc_now().tzinfo) + timedelta(minutes=1))
    async with served.new_client() as browser:
        response = await browser.get(ava["Accept"])
        assert response.status == 410
        assert "This link has expired — sign in to see the challenge." in await response.text()


async def test_posts_without_the_pages_csrf_value_or_from_another_site_are_refused(served: Served) -> None:
    reference, ava, _ben = await _raised(served)
    async with served.new_client() as browser:
        page = await (await browser.get(ava["Accept"])).text()
        action = served.base + form_action(page)
        assert (await browser.post(action, data={})).status == 403
        assert (await browser.post(action, data={"csrf": "forged"})).status == 403
        cross = await browser.post(action, data={"csrf": csrf_of(page)}, headers={"Origin": "https://evil.example"})
        assert cross.status == 403
        site = await browser.post(action, data={"csrf": csrf_of(page)}, headers={"Sec-Fetch-Site": "cross-site"})
        assert site.status == 403
    async with served.new_client() as fresh:  # no cookie from the page: the POST alone does nothing
        assert (await fresh.post(action, data={"csrf": csrf_of(page)})).status == 403
    assert (await _state(served, reference))[0] == "open"


async def test_the_escalation_reason_is_asked_and_checked_like_the_chat_form(served: Served) -> None:
    reference, ava, _ben = await _raised(served)
    async with served.new_client() as browser:
        link = ava["Escalate to Team Manager"]
        page = await (await browser.get(link)).text()
        assert 'for="act-reason"' in page and "Reason" in page
        action = served.base + form_action(page)
        empty = await browser.post(action, data={"csrf": csrf_of(page), "reason": "  "})
        text = await empty.text()
        assert empty.status == 400
        assert "Give the reason for escalating." in text
        assert 'aria-invalid="true"' in text
        personal = await browser.post(action, data={"csrf": csrf_of(page),
                                                    "reason": "Child born 12/03/2019 at SW1A 1AA"})
        text = await personal.text()
        assert personal.status == 400
        assert "Child born 12/03/2019" in text  # the answer is kept to correct
        assert "date of birth" in text.lower() or "postcode" in text.lower()
        long = await browser.post(action, data={"csrf": csrf_of(page), "reason": "x" * 501})
        assert long.status == 400 and "Keep this to 500 characters" in await long.text()
        assert (await _state(served, reference))[0] == "open"
        ok = await browser.post(action, data={"csrf": csrf_of(page), "reason": "Needs a Team Manager view."})
        assert ok.status == 200, await ok.text()
    challenge = await served.challenge(reference)
    assert challenge.stage == 1
    events = await served.events(reference)
    escalated = [e for e in events if e.kind == "escalated"]
    assert escalated and escalated[-1].detail["channel"] == "email"


async def test_a_choice_that_is_not_offered_is_refused(served: Served) -> None:
    reference, ava, _ben = await _raised(served)
    async with served.new_client() as browser:
        page = await (await browser.get(ava["Delegate"])).text()
        response = await browser.post(served.base + form_action(page), data={"csrf": csrf_of(page),
                                                                                 "to": "victor.hale"})
        assert response.status == 400
        assert "Choose one of the options" in await response.text()
    assert (await served.challenge(reference)).owner_id is None


async def test_a_forwarded_link_is_refused_in_a_colleagues_browser_after_they_signed_out(served: Served) -> None:
    reference, ava, _ben = await _raised(served)
    async with served.new_client() as ben_browser:
        await sign_in(served, ben_browser, "ben.hartley@example.org")
        home = await (await ben_browser.get(served.base + "/web")).text()
        await ben_browser.post(served.base + "/web/sign-out", data={"csrf": csrf_of(home, "/web/sign-out")})
        shown = await ben_browser.get(ava["Accept"])
        assert shown.status == 403
        assert "this browser was last signed in to mashbot by Ben Hartley" in await shown.text()
    async with served.new_client() as forged:  # a made-up "last signed in" cookie is ignored
        forged.cookie_jar.update_cookies({"__Host-mashbot_known": "YmVuLmhhcnRsZXk.forged"})
        assert (await forged.get(ava["Accept"])).status == 200
    assert (await _state(served, reference))[0] == "open"
