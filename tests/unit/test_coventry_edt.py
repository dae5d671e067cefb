"""Coventry: an urgent escalation out of hours tells the EDT; cards say to phone it."""

from __future__ import annotations

from bot import views
from bot.commands import Accept, Escalate
from bot.texts import render
from tests.ladder_harness import Ladder, local

FRIDAY_NIGHT = local("2027-01-08 20:00")


async def test_an_urgent_escalation_outside_office_hours_tells_the_edt() -> None:
    lad = Ladder("coventry")
    ch = await lad.raise_(FRIDAY_NIGHT, rag="Red", urgent=True, urgent_reason="Immediate risk",
                          case_reference="LCS555111")
    assert lad.sent("edt_notice") == ["edt"]
    await lad.tick(local("2027-01-09 00:00"))  # the 4 clock hours ran out at midnight
    assert lad.get(ch.reference).stage == 1
    assert lad.sent("edt_escalated_notice") == ["edt"]
    subject, body = render("edt_escalated_notice", lad.store.sent("edt_escalated_notice")[0].data)
    assert ch.reference in subject and "case reference LCS555111" in body
    assert "moved from MASH Team Manager to Senior Manager outside office hours" in body


async def test_an_urgent_escalation_in_office_hours_does_not_tell_the_edt() -> None:
    lad = Ladder("coventry")
    monday = local("2027-01-11 10:00")
    ch = await lad.raise_(monday, rag="Red", urgent=True, urgent_reason="Immediate risk")
    await lad.act(Accept, ch.reference, "team-manager", monday)
    await lad.act(Escalate, ch.reference, "team-manager", local("2027-01-11 10:30"), reason="Needs a senior view")
    assert lad.sent("edt_escalated_notice") == [] and lad.sent("edt_notice") == []


async def test_the_urgent_card_tells_the_reviewer_to_phone_the_edt_out_of_hours_only() -> None:
    lad = Ladder("coventry")
    ch = await lad.raise_(FRIDAY_NIGHT, rag="Red", urgent=True, urgent_reason="Immediate risk")
    night = views.card_for(ch, lad.store.roster, "team-manager", FRIDAY_NIGHT)
    facts = dict((f.label, f.value) for f in night.facts)
    assert facts["Emergency Duty Team"] == ("Outside office hours: phone the EDT on 01632 960 000; "
                                            "its mailbox is read only at the start of each shift.")
    day = views.card_for(ch, lad.store.roster, "team-manager", local("2027-01-11 10:00"))
    assert "Emergency Duty Team" not in [f.label for f in day.facts]
    lancashire = Ladder()
    urgent = await lancashire.raise_(FRIDAY_NIGHT, urgent=True, urgent_reason="Immediate risk")
    card = views.card_for(urgent, lancashire.store.roster, "pm-east-1", FRIDAY_NIGHT)
    assert "Emergency Duty Team" not in [f.label for f in card.facts]  # no EDT rule in that pack
