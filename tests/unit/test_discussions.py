"""Telephone / face to face: the other party's number on the card, and a booked discussion
emailed to everyone as a calendar invitation (RFC 5545), driven through the handlers."""

from __future__ import annotations

import pytest

from adapters.email import compose
from adapters.invitations import FOLD_AT, escape_text, fold
from bot import buttons, views
from bot.commands import Accept, Escalate, SendStage3Form
from bot.errors import InvalidCommand, NotAllowed
from bot.texts import render
from tests.ladder_harness import Ladder, local, staff

MON = local("2027-01-04 10:00")
PHONES = {"practitioner": "01632 960 130", "pm-east-1": "01632 960 101"}


def with_phones() -> list:
    return [p.model_copy(update={"phone": PHONES[p.id]}) if p.id in PHONES else p for p in staff()]


async def accepted() -> tuple[Ladder, str]:
    lad = Ladder(people=with_phones())
    ref = (await lad.raise_(MON)).reference
    await lad.act(Accept, ref, "pm-east-1", MON)
    return lad, ref


async def book(lad: Ladder, ref: str, actor: str, when: str, how: str = "teams", minutes: str = "30") -> str:
    press = buttons.action_command("book_discussion", actor_id=actor, reference=ref,
                                   version=lad.get(ref).version, values={"when": when, "how": how, "minutes": minutes})
    return (await lad.bot.handle(press, local("2027-01-04 11:00"))).reply


async def test_each_card_offers_the_other_partys_phone_number() -> None:
    lad, ref = await accepted()
    ch, roster = lad.get(ref), lad.store.roster
    reviewer = {f.label: f.value for f in views.card_for(ch, roster, "pm-east-1", MON).facts}
    assert reviewer["Phone Practitioner"] == "01632 960 130 (Practitioner)"
    challenger = {f.label: f.value for f in views.card_for(ch, roster, "practitioner", MON).facts}
    assert challenger["Phone Pm East 1"] == "01632 960 101 (MASH/CSSH Practice Manager)"
    # someone who is not a party sees no numbers
    assert not any(f.label.startswith("Phone") for f in views.card_for(ch, roster, "pm-central-1", MON).facts)


async def test_booking_a_discussion_emails_both_an_invitation_and_records_the_date() -> None:
    lad, ref = await accepted()
    reply = await book(lad, ref, "pm-east-1", "2027-01-05 14:30")
    assert "Tue 5 Jan 2027" in reply and "14:30" in reply
    assert sorted(lad.sent("discussion_invitation")) == ["pm-east-1", "practitioner"]
    c = lad.get(ref)
    assert [(stage, at.isoformat()) for stage, at in c.discussions] == [(0, "2027-01-05T14:30:00+00:00")]
    assert "discussion_booked" in lad.store.kinds(ref)
    message = lad.store.sent("discussion_invitation", "practitioner")[0]
    assert message.channel == "email"
    subject, body = render(message.kind, message.data)
    assert ref in subject and "Microsoft Teams" in body and "calendar invitation is attached" in body

    email = compose(message, lad.store.roster.get("practitioner"), "mashbot@example.org", "k1")  # type: ignore[arg-type]
    [part] = [p for p in email.iter_attachments()]
    assert part.get_content_type() == "text/calendar" and part.get_param("method") == "REQUEST"
    assert part.get_filename() == "discussion.ics"
    raw = part.get_payload(decode=True)
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= FOLD_AT for line in raw.split(b"\r\n"))
    text = raw.replace(b"\r\n ", b"").decode()  # unfolded
    assert "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" in text and "METHOD:REQUEST" in text
    assert "DTSTART:20270105T143000Z" in text and "DTEND:20270105T150000Z" in text
    assert "DTSTAMP:20270104T110000Z" in text
    assert "ATTENDEE;CN=Practitioner;ROLE=REQ-PARTICIPANT" in text and "mailto:practitioner@example.org" in text
    assert 'ORGANIZER;CN="Pm East 1":' not in text and "ORGANIZER;CN=Pm East 1:mailto:pm-east-1@example.org" in text
    # the pack's record wording, its comma escaped as TEXT
    assert "Recorded by email\\, not on the child's record." in text
    # Microsoft Graph mail carries the same invitation, beside the HTML body
    from adapters.graph_mail import graph_message

    graph = graph_message(email)["message"]
    assert graph["body"]["contentType"] == "HTML" and "calendar invitation is attached" in graph["body"]["content"]
    assert [(a["name"], a["contentType"]) for a in graph["attachments"]] == [("discussion.ics", "text/calendar")]


async def test_a_summer_time_discussion_is_given_in_utc() -> None:
    lad = Ladder(people=with_phones())
    ref = (await lad.raise_(local("2027-06-07 10:00"))).reference
    press = buttons.action_command("book_discussion", actor_id="practitioner", reference=ref,
                                   version=lad.get(ref).version,
                                   values={"when": "2027-06-08 09:00", "how": "telephone", "minutes": "15"})
    await lad.bot.handle(press, local("2027-06-07 11:00"))
    message = lad.store.sent("discussion_invitation")[0]
    assert message.data["calendar"]["starts"] == "2027-06-08T08:00:00+00:00"  # 09:00 BST


@pytest.mark.parametrize(("when", "words"), [
    ("tomorrow afternoon", "YYYY-MM-DD HH:MM"),
    ("2027-01-04 09:00", "has passed"),
    ("2027-06-01 10:00", "next 60 days"),
])
async def test_a_bad_discussion_time_is_refused_with_what_to_fix(when: str, words: str) -> None:
    lad, ref = await accepted()
    before = lad.get(ref).version
    with pytest.raises(InvalidCommand, match=words):
        await book(lad, ref, "pm-east-1", when)
    assert lad.get(ref).version == before and not lad.sent("discussion_invitation")


async def test_only_the_parties_book_a_discussion() -> None:
    lad, ref = await accepted()
    with pytest.raises(NotAllowed, match="parties"):
        await book(lad, ref, "pm-central-1", "2027-01-05 14:30")
    card = views.card_for(lad.get(ref), lad.store.roster, "pm-central-1", MON)
    assert card.action("book_discussion") is None


async def test_the_stage3_discussion_date_fills_the_csap_form() -> None:
    lad = Ladder(people=with_phones())
    ref = (await lad.raise_(MON)).reference
    for at, reviewer in enumerate(["pm-east-1", "team-manager", "senior-manager"]):
        await lad.act(Escalate, ref, reviewer, local(f"2027-01-04 1{at + 1}:00"), reason="Up")
    assert lad.get(ref).stage == 3
    await book(lad, ref, "head-of-service", "2027-01-06 10:00", how="face_to_face", minutes="60")
    await lad.act(SendStage3Form, ref, "practitioner", local("2027-01-04 15:00"), family=(("parents", "Two parents"),))
    form = lad.store.sent("stage3_form")[0].data["form"]
    assert form["stage_3_meeting"] == "Wed 6 Jan 2027, 10:00"


def test_text_is_escaped_and_long_lines_fold_without_splitting_a_character() -> None:
    assert escape_text("a;b,c\\d\ne") == "a\\;b\\,c\\\\d\\ne"
    folded = fold("DESCRIPTION:" + "é" * 100)
    lines = folded.split(b"\r\n")[:-1]
    assert all(len(line) <= FOLD_AT for line in lines) and all(line.startswith(b" ") for line in lines[1:])
    assert b"".join(line.removeprefix(b" ") for line in lines).decode() == "DESCRIPTION:" + "é" * 100
