"""The emails that ask their reader to act carry one link per action their card offers: the
joint agreement, the Stage 3 form and the outcome answer; the others carry none."""

from __future__ import annotations

from bot.commands import Escalate, RecordOutcome
from bot.challenge import Outcome
from tests.web.conftest import Served, csrf_of, form_action, raise_as, sign_in


async def _raise(served: Served) -> str:
    await sign_in(served, served.client, "victor.hale@example.org")
    return await raise_as(served, served.client)


async def _escalate_to(served: Served, reference: str, stage: int) -> None:
    while (challenge := await served.challenge(reference)).stage < stage:
        await served.service.mashbot.handle(Escalate(actor_id=challenge.reviewers[0], reference=reference,
                                                     version=challenge.version, reason="Needs a senior view."),
                                            served.service.now())


async def test_the_joint_agreement_email_carries_agree_and_refuse(served: Served) -> None:
    from bot.commands import Accept

    reference = await _raise(served)
    challenge = await served.challenge(reference)
    owner = challenge.reviewers[0]
    await served.service.mashbot.handle(Accept(actor_id=owner, reference=reference, version=challenge.version),
                                        served.service.now())
    challenge = await served.challenge(reference)
    await served.service.mashbot.handle(RecordOutcome(
        actor_id=owner, reference=reference, version=challenge.version, outcome=Outcome.ASSESSMENT_CANCELLED,
        rationale="The family now accept early help.", level="2"), served.service.now())
    await served.deliver()
    requests = [m for m in served.inbox.messages() if "Joint agreement needed" in str(m["Subject"])]
    assert requests
    links = served.links_in(requests[0])
    assert set(links) >= {"Agree", "Refuse"}, links
    async with served.new_client() as browser:
        page = await (await browser.get(links["Refuse"])).text()
        assert "Reason for refusing" in page
        empty = await browser.post(served.base + form_action(page), data={"csrf": csrf_of(page)})
        assert empty.status == 400 and "Give the reason for refusing." in await empty.text()
        agreed = await browser.get(links["Agree"])
        page = await agreed.text()
        done = await browser.post(served.base + form_action(page), data={"csrf": csrf_of(page)})
        assert done.status == 200, await done.text()
    events = await served.events(reference)
    assert events[-1].kind == "joint_agreed" and events[-1].detail["channel"] == "email"


async def test_the_stage3_email_asks_for_the_family_details_on_its_page(served: Served) -> None:
    reference = await _raise(served)
    await _escalate_to(served, reference, 3)
    await served.deliver()
    asked = [m for m in served.mail_to("victor.hale@") if "family details needed" in str(m["Subject"])]
    assert asked, [str(m["Subject"]) for m in served.mail_to("victor.hale@")]
    links = served.links_in(asked[-1])
    form_link = links["Send the Stage 3 form to CSAP"]
    async with served.new_client() as browser:
        page = await (await browser.get(form_link)).text()
        assert "Family members (first name and surname)" in page
        sent = await browser.post(served.base + form_action(page), data={
            "csrf": csrf_of(page), "family_names": "Alex Example", "meeting_date": "5 January 2027"})
        assert sent.status == 200, await sent.text()
    challenge = await served.challenge(reference)
    assert challenge.stage3_form_sent_at is not None


async def test_emails_that_ask_nothing_carry_no_links(served: Served) -> None:
    reference = await _raise(served)
    await served.deliver()
    for message in served.inbox.messages():
        subject = str(message["Subject"])
        if "raised" in subject or "sign-in" in subject:
            assert not served.links_in(message), subject
    assert any(served.links_in(m) for m in served.inbox.messages() if reference in str(m["Subject"]))
