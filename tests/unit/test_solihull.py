"""Solihull: the Emergency Resolution Protocol beside the urgent ladder, and lessons learned
asked at close with only multi-agency lessons sent to the LSCP Business Manager."""

from __future__ import annotations

import pytest

from adapters.policy_files import describe_policy, load_policy
from bot import buttons, views
from bot.challenge import Outcome, State
from bot.commands import Accept, AcceptOutcome, RecordOutcome
from bot.errors import InvalidCommand
from bot.texts import render
from dialogs.intake import form_for_policy, to_command, validate_for_policy
from tests.ladder_harness import Ladder, local, person, staff

MON = local("2027-01-04 10:00")


def people() -> list:
    return [*staff(), person("line-manager", "line_manager", side="partner"),
            person("dsl", "designated_safeguarding_lead", side="partner")]


def intake(**extra: object) -> dict[str, object]:
    values: dict[str, object] = {
        "case_reference": "SOL123456", "agency": "Community health", "raised_by": "professional",
        "decision_challenged": "Level 2 – Early help", "requested_outcome": "A strategy discussion",
        "reason_category": "risk", "reason_text": "Bruising seen today, not explained.",
    }
    values.update(extra)
    return values


async def test_the_intake_offers_the_emergency_protocol_with_the_urgent_flag_only_in_solihull() -> None:
    field = next(f for f in form_for_policy(load_policy("solihull")).fields if f.id == "emergency_protocol")
    assert field.shown_when == ("urgent", "yes") and "Emergency Resolution Protocol" in field.label
    assert not any(f.id == "emergency_protocol" for f in form_for_policy(load_policy("lancashire")).fields)


async def test_imminent_harm_tells_the_practitioner_to_speak_to_their_line_manager_and_notifies_them() -> None:
    lad = Ladder("solihull", people=people())
    result = validate_for_policy(intake(urgent="true", urgent_reason="Imminent risk of significant harm tonight",
                                        protective_action="Police asked to visit", emergency_protocol="true"),
                                 lad.policy)
    assert result.answers is not None and result.answers.emergency_protocol
    raised = await lad.bot.raise_challenge(to_command(result.answers, "practitioner"), MON)  # type: ignore[arg-type]
    assert "speak directly to your line manager or designated safeguarding lead now" in raised.reply
    assert "Line Manager, Dsl" in raised.reply
    assert sorted(lad.sent("emergency_protocol")) == ["dsl", "line-manager"]
    body = render("emergency_protocol", lad.store.sent("emergency_protocol")[0].data)[1]
    assert "imminent significant harm" in body and "case reference SOL123456" in body
    # the urgent ladder runs as well: hours, and the next level's heads-up
    assert raised.challenge is not None and raised.challenge.urgent and lad.sent("heads_up")
    assert "emergency_protocol" in lad.store.kinds(raised.challenge.reference)


async def test_the_protocol_without_the_urgent_flag_is_refused_and_nothing_is_kept() -> None:
    lad = Ladder("solihull", people=people())
    result = validate_for_policy(intake(emergency_protocol="true"), lad.policy)
    assert result.answers is not None and not result.answers.emergency_protocol  # only with urgent
    from bot.commands import RaiseChallenge

    cmd = RaiseChallenge(actor_id="practitioner", case_reference="SOL123456", area="Solihull",
                         decision_challenged="Level 2 – Early help", requested_outcome="x", reason_category="risk",
                         reason_text="Bruising seen today.", emergency_protocol=True)
    with pytest.raises(InvalidCommand, match="mark the challenge urgent"):
        await lad.bot.raise_challenge(cmd, MON)
    assert lad.store.challenges == {} and lad.store.outbox == []


async def closed(lad: Ladder) -> str:
    ref = (await lad.raise_(MON, case_reference="SOL123456")).reference
    await lad.act(Accept, ref, "team-manager", MON)
    await lad.act(RecordOutcome, ref, "team-manager", local("2027-01-04 11:00"),
                  outcome=Outcome.DECISION_UPHELD, rationale="Threshold applied correctly")
    await lad.act(AcceptOutcome, ref, "practitioner", local("2027-01-04 12:00"))
    assert lad.get(ref).state is State.CLOSED
    return ref


async def lesson(lad: Ladder, ref: str, **values: str) -> str:
    press = buttons.action_command("add_lesson", actor_id="team-manager", reference=ref,
                                   version=lad.get(ref).version, values=values)
    return (await lad.bot.handle(press, local("2027-01-04 13:00"))).reply


async def test_at_close_the_reviewer_is_asked_and_a_multi_agency_lesson_goes_to_the_lscp() -> None:
    lad = Ladder("solihull", people=people())
    ref = await closed(lad)
    assert lad.sent("lesson_question") == ["team-manager"]
    card = views.card_for(lad.get(ref), lad.store.roster, "team-manager", local("2027-01-04 12:05"))
    add = card.action("add_lesson")
    assert add is not None and [i.id for i in add.inputs] == ["scope", "category", "text"]
    reply = await lesson(lad, ref, scope="multi_agency", category="practice_guidance",
                         text="Agencies read the threshold document differently")
    assert lad.sent("lesson_learned") == ["lscp"] and "sent to Lscp" in reply


async def test_a_single_agency_lesson_is_recorded_and_not_sent_and_no_lesson_is_noted() -> None:
    lad = Ladder("solihull", people=people())
    ref = await closed(lad)
    reply = await lesson(lad, ref, scope="single_agency", category="training_need",
                         text="Our duty team needs threshold training")
    assert lad.sent("lesson_learned") == [] and "not sent on" in reply
    details = [e.detail for e in lad.store.events if e.kind == "lesson_added"]
    assert details == [{"category": "training_need", "text": "Our duty team needs threshold training",
                        "scope": "single_agency"}]
    assert "no lesson" in (await lesson(lad, ref, scope="none")).lower()
    assert "lesson_none" in lad.store.kinds(ref) and lad.sent("lesson_learned") == []


async def test_policy_show_says_who_is_told_for_the_emergency_protocol_and_lessons() -> None:
    shown = describe_policy(load_policy("solihull"))
    assert "Emergency:       Line manager, Designated safeguarding lead" in shown
    assert "only multi-agency lessons are sent" in shown
