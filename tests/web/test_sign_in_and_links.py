"""A partner without chat signs in by emailed link, raises a challenge, and the Practice
Manager acts from the email's link — all through real https on loopback."""

from __future__ import annotations

from tests.web.conftest import Served, csrf_of, form_action, raise_as, sign_in


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
