"""A partner without chat signs in by emailed link, raises a challenge, and the Practice
Manager acts from the email's link — all through real https on loopback."""

from __future__ import annotations

import aiohttp

from tests.web.conftest import GOOD_INTAKE, LINK, Served, csrf_of, form_action


async def sign_in(served: Served, client: aiohttp.ClientSession, address: str) -> str:
    page = await (await client.get(served.base + "/web")).text()
    response = await client.post(served.base + "/web/sign-in", data={"email": address, "csrf": csrf_of(page)})
    assert response.status == 200, await response.text()
    assert "Check your email" in await response.text()
    await _settle(served)
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


async def _settle(served: Served) -> None:
    import asyncio

    from adapters.web_page.common import WEB_PAGE  # noqa: F401 - the sign-in email goes in a task

    for _ in range(50):
        await asyncio.sleep(0.02)
        if served.inbox.received:
            break


async def raise_as(served: Served, client: aiohttp.ClientSession) -> str:
    page = await (await client.get(served.base + "/web/raise")).text()
    response = await client.post(served.base + "/web/raise", data={**GOOD_INTAKE, "csrf": csrf_of(page, "/web/raise")})
    text = await response.text()
    assert response.status == 200, text
    import re

    m = re.search(r'class="reference">(CH-[0-9A-Z]{6})<', text)
    assert m, text
    return m.group(1)


async def test_partner_signs_in_raises_and_the_practice_manager_accepts_from_email(served: Served) -> None:
    await sign_in(served, served.client, "victor.hale@example.org")
    reference = await raise_as(served, served.client)
    await served.deliver()
    review = [m for m in served.mail_to("@example.org") if "needs a" in str(m["Subject"])]
    assert review, [str(m["Subject"]) for m in served.inbox.messages()]
    links = served.links_in(review[0])
    assert "Accept" in links, links
    pm = served.new_client()
    try:
        shown = await pm.get(links["Accept"])
        page = await shown.text()
        assert shown.status == 200, page
        assert (await served.challenge(reference)).state.value == "open"  # GET never acts
        done = await pm.post(served.base + form_action(page), data={"csrf": csrf_of(page)})
        assert done.status == 200, await done.text()
        challenge = await served.challenge(reference)
        assert challenge.state.value == "accepted"
        events = await served.events(reference)
        assert events[-1].detail.get("channel") == "email"
        assert events[0].detail.get("channel") == "web"
        again = await pm.post(served.base + form_action(page), data={"csrf": csrf_of(page)})
        assert again.status == 409
        assert "already used" in (await again.text())
    finally:
        await pm.close()
