"""Email through a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import pytest

from adapters.dispatcher import SendFailed
from adapters.email import EmailSender, SmtpConfig, SmtpUrlError
from bot.challenge import Message
from bot.digest import as_message, build_digests
from bot.roster import Roster
from tests.clock.smtp_server import smtp_server
from tests.clock.support import LANCASHIRE, challenge, local, roster_people
from tests.ladder_harness import Ladder

MON = local("2027-01-04 10:00")
PEOPLE = {p.id: p for p in roster_people()}


async def core_messages() -> list[Message]:
    """What the core really queues when a challenge is raised (with a case reference and a reason)."""
    lad = Ladder()
    await lad.raise_(MON, case_reference="LCS777777", reason_text="Reason that must stay out of email.")
    return lad.store.outbox


def sender(url: str) -> EmailSender:
    return EmailSender(SmtpConfig.from_url(url), "mashbot <mashbot@mash.example.org>")


async def test_a_review_request_arrives_with_plain_and_html_parts_to_the_right_person() -> None:
    message = next(m for m in await core_messages() if m.kind == "review_requested" and m.to == "pm-east-1")
    async with smtp_server() as inbox:
        message_id = await sender(inbox.url).send(message, PEOPLE["pm-east-1"], key="42.1767520800")
    [envelope] = inbox.received
    assert envelope.mail_from == "mashbot@mash.example.org"
    assert envelope.rcpt_tos == ["pm-east-1@example.org"]
    [mail] = inbox.messages()
    assert mail["To"] == "Pm East 1 <pm-east-1@example.org>"
    assert mail["Subject"] == "Challenge CH-0001 needs a Practice Manager"
    assert mail["Message-ID"] == message_id == "<mashbot.42.1767520800@mash.example.org>"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",)).get_content()
    page = mail.get_body(("html",)).get_content()
    for part in (text, page):
        assert "CH-0001" in part and "Practice Manager" in part and "Tue 5 Jan, 17:00" in part
        assert "LCS777777" not in part and "must stay out" not in part
    assert page.lstrip().startswith("<!DOCTYPE html>")


async def test_nothing_personal_goes_out_in_any_message_the_raise_queues() -> None:
    messages = await core_messages()
    async with smtp_server() as inbox:
        for i, m in enumerate(messages):
            await sender(inbox.url).send(m, PEOPLE[m.to], key=str(i))
    assert len(inbox.received) == len(messages)
    for mail in inbox.messages():
        raw = mail.as_string()
        assert "LCS777777" not in raw and "must stay out" not in raw and "Level 3 assessment" not in raw


async def test_a_digest_email_carries_the_digest_text_and_html() -> None:
    digest = build_digests([challenge("CH-DGST", due="2027-01-06 17:00")], Roster(roster_people()),
                           LANCASHIRE, local("2027-01-06 08:30"), local("2027-01-05 08:30"))[0]
    async with smtp_server() as inbox:
        await sender(inbox.url).send(as_message(digest), PEOPLE["senior-manager"], key="7.1")
    [mail] = inbox.messages()
    assert mail["Subject"] == "Professional challenges: daily digest for Wed 6 Jan 2027"
    assert "CH-DGST  East  Practice Manager — due Wed 6 Jan, 17:00" in mail.get_body(("plain",)).get_content()
    assert "<h3>Due today (Wed 6 Jan) (1)</h3>" in mail.get_body(("html",)).get_content()
    assert "LCS999999" not in mail.as_string()


async def test_a_try_later_answer_is_a_transient_failure() -> None:
    message = (await core_messages())[0]
    async with smtp_server(fail_next=1) as inbox:
        with pytest.raises(SendFailed) as failed:
            await sender(inbox.url).send(message, PEOPLE[message.to], key="1")
    assert not failed.value.permanent and "451" in failed.value.reason


async def test_a_refused_recipient_is_a_permanent_failure() -> None:
    message = (await core_messages())[0]
    async with smtp_server(refuse={f"{message.to}@example.org"}) as inbox:
        with pytest.raises(SendFailed) as failed:
            await sender(inbox.url).send(message, PEOPLE[message.to], key="1")
    assert failed.value.permanent and "550" in failed.value.reason and "@" not in failed.value.reason


async def test_no_server_listening_is_a_transient_failure() -> None:
    async with smtp_server() as inbox:
        url = inbox.url  # the port is free again once the server is closed
    message = (await core_messages())[0]
    with pytest.raises(SendFailed) as failed:
        await sender(url).send(message, PEOPLE[message.to], key="1")
    assert not failed.value.permanent


def test_smtp_urls() -> None:
    plain = SmtpConfig.from_url("smtp://mail.example.org:2525")
    assert (plain.hostname, plain.port, plain.use_tls, plain.start_tls, plain.username) == (
        "mail.example.org", 2525, False, None, None)
    tls = SmtpConfig.from_url("smtps://bot%40example.org:s3cr%2Ft@mail.example.org?timeout=10")
    assert (tls.port, tls.use_tls, tls.username, tls.password, tls.timeout) == (
        465, True, "bot@example.org", "s3cr/t", 10.0)
    assert "s3cr" not in repr(tls)
    assert SmtpConfig.from_url("smtp://relay?starttls=true").start_tls is True


@pytest.mark.parametrize("url", ["http://mail.example.org", "smtp://", "smtp://u:hunter2@host:notaport",
                                 "smtp://u:hunter2@host?starttls=maybe"])
def test_a_bad_smtp_url_is_refused_without_repeating_it(url: str) -> None:
    with pytest.raises(SmtpUrlError) as refused:
        SmtpConfig.from_url(url)
    assert "hunter2" not in str(refused.value)


async def test_the_policy_notices_go_by_email_to_their_mailboxes() -> None:
    """Coventry: an urgent challenge out of hours tells the EDT; Lancashire: Stage 3 sends the
    pre-filled monitoring form to the CSAP mailbox."""
    coventry = Ladder("coventry")
    await coventry.raise_(local("2027-01-04 22:00"), urgent=True, urgent_reason="Immediate risk.", rag="Red")
    lancashire = Ladder()
    await lancashire.raise_(MON)
    await lancashire.tick(local("2027-01-25 09:00"))  # the ladder climbs to Stage 3 by timeouts
    edt = next(m for m in coventry.store.outbox if m.kind == "edt_notice")
    form = next(m for m in lancashire.store.outbox if m.kind == "csap_form")
    async with smtp_server() as inbox:
        await sender(inbox.url).send(edt, PEOPLE[edt.to], key="1")
        await sender(inbox.url).send(form, PEOPLE[form.to], key="2")
    edt_mail, form_mail = inbox.messages()
    assert edt_mail["To"] == "Edt <edt@example.org>"
    assert edt_mail["Subject"].startswith("EDT notice: urgent challenge")
    assert form_mail["To"] == "Csap Team <csap-team@example.org>"
    text = form_mail.get_body(("plain",)).get_content()
    assert "Stage 3 reached for CH-0001" in text
    assert "Date of referral: Mon 4 Jan 2027, 10:00" in text and "Name of referrer: Practitioner" in text
    assert "<th align=\"left\">Date of referral</th>" in form_mail.get_body(("html",)).get_content()
