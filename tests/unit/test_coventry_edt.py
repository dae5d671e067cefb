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


async def test_the_mash_team_manager_updates_the_rag_rating_and_the_open_stage_is_re_timed() -> None:
    import pytest

    from bot import buttons
    from bot.commands import UpdateRag
    from bot.errors import InvalidCommand, NotAllowed

    lad = Ladder("coventry")
    monday = local("2027-01-11 10:00")
    ch = await lad.raise_(monday, rag="Green")
    assert views.card_for(ch, lad.store.roster, "team-manager", monday).due.startswith("due Thu 21 Jan")
    acts = buttons.reviewer_actions(lad.get(ch.reference), lad.store.roster, "team-manager", monday)
    rag_button = next(a for a in acts if a.verb is buttons.Verb.UPDATE_RAG)
    assert [c.value for c in rag_button.inputs[0].choices] == ["Red", "Amber", "Blue"]
    with pytest.raises(NotAllowed):
        await lad.act(UpdateRag, ch.reference, "senior-manager", monday, rag="Amber")
    with pytest.raises(InvalidCommand, match="RAG rating must be one of"):
        await lad.act(UpdateRag, ch.reference, "team-manager", monday, rag="Purple")
    await lad.act(UpdateRag, ch.reference, "team-manager", local("2027-01-11 11:00"), rag="Amber")
    c = lad.get(ch.reference)
    assert c.rag == "Amber"
    assert c.due_at.astimezone(monday.tzinfo).strftime("%a %d %b %H:%M") == "Wed 13 Jan 17:00"  # 24 office hours from Mon 10:00
    event = lad.store.events[-1]
    assert (event.kind, event.actor_id, event.detail["from_rag"], event.detail["to_rag"]) == (
        "rag_updated", "team-manager", "Green", "Amber")
    assert sorted(lad.sent("rag_updated")) == ["practitioner", "team-manager"]
    with pytest.raises(InvalidCommand, match="Choose the new RAG rating"):
        buttons.action_command("update_rag", actor_id="team-manager", reference=ch.reference, version=c.version,
                               values={"rag": ""})
