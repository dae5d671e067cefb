"""Lancashire's joint agreement and case note, driven through the handlers with pinned time.

"Assessments should not be closed or cancelled without these joint discussions taking place
and an agreement reached"; "the Locality Practise manager will add a case note".
"""

from __future__ import annotations

import pytest

from bot import buttons, views
from bot.challenge import Outcome, State
from bot.commands import Accept, Escalate, JointAgreementAnswer, RecordOutcome
from bot.errors import InvalidCommand, NotAllowed
from bot.roster import Away
from bot.texts import render
from tests.ladder_harness import Ladder, local, person, staff

MON = local("2027-01-04 10:00")
NOTE = ("A reflective discussion has been held between MASH and the locality team and, owing to "
        "support already in place via school, a joint decision has been made to de-escalate the case to level 2.")


async def accepted(lad: Ladder) -> str:
    ref = (await lad.raise_(MON)).reference
    await lad.act(Accept, ref, "pm-east-1", MON)
    return ref


async def test_a_de_escalation_that_ends_an_assessment_waits_for_the_joint_agreement() -> None:
    lad = Ladder()
    ref = await accepted(lad)
    result = await lad.act(RecordOutcome, ref, "pm-east-1", local("2027-01-04 11:00"),
                           outcome=Outcome.DE_ESCALATED, rationale="support already in place via school",
                           level="2", assessment_under_way=True)
    c = lad.get(ref)
    assert c.state is State.AWAITING_JOINT_AGREEMENT
    assert "joint decision" not in result.reply and c.outcome is not None and c.outcome.case_note is None
    assert sorted(lad.sent("joint_agreement_request")) == ["county-manager", "loc-sm-east"]
    assert not lad.sent("outcome_recorded") and not lad.sent("case_note_request")  # not final yet
    request = lad.store.sent("joint_agreement_request")[0]
    assert "joint decision" not in " ".join(render(request.kind, request.data))

    await lad.act(JointAgreementAnswer, ref, "county-manager", local("2027-01-04 12:00"), agree=True)
    assert lad.get(ref).state is State.AWAITING_JOINT_AGREEMENT
    await lad.act(JointAgreementAnswer, ref, "loc-sm-east", local("2027-01-04 13:00"), agree=True)
    c = lad.get(ref)
    assert c.state is State.OUTCOME_PROPOSED and c.outcome is not None and c.outcome.case_note == NOTE
    # the locality Practice Manager is asked to add the case note, and it is audited
    assert lad.sent("case_note_request") == ["loc-pm-east"]
    subject, body = render("case_note_request", lad.store.sent("case_note_request")[0].data)
    assert ref in subject and NOTE in body
    assert "case_note_requested" in lad.store.kinds(ref)
    assert all(m.data["case_note"] == NOTE for m in lad.store.sent("outcome_record"))


async def test_a_joint_agreed_cancellation_keeps_the_level_and_sends_the_case_note() -> None:
    lad = Ladder()
    ref = await accepted(lad)
    await lad.act(RecordOutcome, ref, "pm-east-1", MON, outcome=Outcome.ASSESSMENT_CANCELLED,
                  rationale="support already in place via school", level="2")
    for approver in ("county-manager", "loc-sm-east"):
        await lad.act(JointAgreementAnswer, ref, approver, local("2027-01-04 14:00"), agree=True)
    c = lad.get(ref)
    assert c.outcome is not None and c.outcome.level == "2" and c.outcome.case_note == NOTE
    assert lad.sent("case_note_request") == ["loc-pm-east"]
    challenger_says = render("outcome_recorded", lad.store.sent("outcome_recorded")[0].data)[1]
    assert "Assessment cancelled" in challenger_says
    card = views.card_for(c, lad.store.roster, "pm-east-1", local("2027-01-04 14:05"))
    assert card.case_note == NOTE


async def test_a_refused_joint_agreement_sends_no_case_note() -> None:
    lad = Ladder()
    ref = await accepted(lad)
    await lad.act(RecordOutcome, ref, "pm-east-1", MON, outcome=Outcome.DE_ESCALATED,
                  rationale="support already in place via school", level="2", assessment_under_way=True)
    await lad.act(JointAgreementAnswer, ref, "county-manager", MON, agree=True)
    await lad.act(JointAgreementAnswer, ref, "loc-sm-east", MON, agree=False, reason="Risk still unclear")
    assert lad.get(ref).state is State.ACCEPTED and not lad.sent("case_note_request")


async def test_the_outcome_form_asks_whether_an_assessment_is_under_way_and_shows_the_level_for_both() -> None:
    lad = Ladder()
    ref = await accepted(lad)
    acts = buttons.reviewer_actions(lad.get(ref), lad.store.roster, "pm-east-1", MON)
    record = next(a for a in acts if a.verb is buttons.Verb.RECORD_OUTCOME)
    fields = {i.id: i for i in record.inputs}
    assert fields["level"].shown_when is None  # a cancellation needs its level too
    assert fields["assessment_under_way"].shown_when == ("outcome", "de_escalated")
    cmd = buttons.action_command("record_outcome", actor_id="pm-east-1", reference=ref, version=2, values={
        "outcome": "de_escalated", "rationale": "r", "level": "1", "assessment_under_way": "yes"})
    assert isinstance(cmd, RecordOutcome) and cmd.assessment_under_way is True
    cmd = buttons.action_command("record_outcome", actor_id="pm-east-1", reference=ref, version=2, values={
        "outcome": "decision_upheld", "rationale": "r", "assessment_under_way": "yes"})
    assert isinstance(cmd, RecordOutcome) and cmd.assessment_under_way is None


async def test_a_level_outside_the_pack_is_refused() -> None:
    lad = Ladder()
    ref = await accepted(lad)
    with pytest.raises(InvalidCommand, match="level must be 1 or 2"):
        await lad.act(RecordOutcome, ref, "pm-east-1", MON, outcome=Outcome.ASSESSMENT_CANCELLED,
                      rationale="r", level="4")


# -- nobody reviews their own challenge; an escalation always has a reason ----------------

async def test_a_challenger_who_holds_a_reviewer_role_is_never_in_their_own_pool() -> None:
    # the only Team Manager is also an East Practice Manager, and raises the challenge
    people = [p for p in staff() if p.id not in ("pm-east-2", "team-manager")]
    people.append(person("pm-east-2", "practice_manager", "mash_team_manager", areas=("East",)))
    lad = Ladder(people=people)
    ch = await lad.raise_(MON, actor_id="pm-east-2")
    assert ch.reviewers == ("pm-east-1",)
    assert "pm-east-2" not in lad.sent("review_requested")
    with pytest.raises(NotAllowed, match="cannot review it"):
        await lad.act(Accept, ch.reference, "pm-east-2", MON)
    card = views.card_for(lad.get(ch.reference), lad.store.roster, "pm-east-2", MON)
    assert "accept" not in [a.verb.value for a in card.actions]
    # their pool colleague escalates; the challenger also holds Stage 1's role, so it skips to Stage 2
    await lad.act(Escalate, ch.reference, "pm-east-1", local("2027-01-04 11:00"), reason="Needs a manager's view")
    c = lad.get(ch.reference)
    assert c.stage == 2 and c.reviewers == ("senior-manager",)
    assert any("its only reviewer raised the challenge" in e.detail.get("note", "")
               for e in lad.store.events if e.kind == "stage_skipped")


async def test_a_challenger_is_not_a_delegate_cover_or_heads_up_for_their_own_challenge() -> None:
    people = [p for p in staff() if p.id not in ("pm-east-1", "team-manager")]
    people += [person("pm-east-1", "practice_manager", areas=("East",), delegate="practitioner",
                      away=(Away(start=MON.date(), end=MON.date()),)),
               person("team-manager", "mash_team_manager")]
    people = [p if p.id != "practitioner" else person("practitioner", "practitioner", "mash_team_manager",
                                                       side="partner") for p in people]
    lad = Ladder(people=people)
    ch = await lad.raise_(MON, urgent=True, urgent_reason="Immediate risk at home tonight")
    assert ch.reviewers == ("pm-east-2",)  # pm-east-1 is away and their delegate raised it
    assert lad.sent("heads_up") == ["team-manager"]


async def test_an_empty_escalation_reason_is_refused_by_the_core() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON)
    for reason in ("", "   "):
        with pytest.raises(InvalidCommand, match="reason for escalating"):
            await lad.act(Escalate, ch.reference, "pm-east-1", MON, reason=reason)
    assert lad.get(ch.reference).stage == 0 and lad.store.kinds(ch.reference) == ["raised"]


async def test_the_challenger_cannot_approve_their_own_joint_agreement() -> None:
    people = [p for p in staff() if p.id != "loc-sm-east"]
    people.append(person("loc-sm-east", "locality_senior_manager", "locality_team_manager", areas=("East",),
                         side="locality"))
    people.append(person("loc-sm-east-2", "locality_senior_manager", areas=("East",), side="locality"))
    lad = Ladder(people=people)
    ref = (await lad.raise_(MON, actor_id="loc-sm-east")).reference
    await lad.act(Accept, ref, "pm-east-1", MON)
    await lad.act(RecordOutcome, ref, "pm-east-1", MON, outcome=Outcome.ASSESSMENT_CANCELLED, rationale="r", level="2")
    assert sorted(lad.sent("joint_agreement_request")) == ["county-manager", "loc-sm-east-2"]
    with pytest.raises(NotAllowed):
        await lad.act(JointAgreementAnswer, ref, "loc-sm-east", MON, agree=True)


# -- recorded by email: escalation reasons, joint refusals and withdrawals -----------------

async def test_escalation_reasons_refusals_and_withdrawals_are_recorded_by_email() -> None:
    from bot.commands import Withdraw

    lad = Ladder()
    ref = await accepted(lad)
    await lad.act(Escalate, ref, "pm-east-1", local("2027-01-04 11:00"), reason="Needs a manager's view")
    records = lad.store.sent("escalation_record")
    assert sorted(m.to for m in records) == ["pm-east-1", "practitioner", "team-manager"]
    assert all(m.channel == "email" for m in records)
    subject, body = render("escalation_record", records[0].data)
    assert subject == f"Record of challenge {ref}: escalated to Team Manager"
    assert "Reason: Needs a manager's view." in body and body.endswith("Recorded by email, not on the child's record.")

    await lad.act(Accept, ref, "team-manager", local("2027-01-04 12:00"))
    await lad.act(RecordOutcome, ref, "team-manager", local("2027-01-04 12:30"),
                  outcome=Outcome.ASSESSMENT_CANCELLED, rationale="needs met at level 2", level="2")
    await lad.act(JointAgreementAnswer, ref, "loc-sm-east", local("2027-01-04 13:00"), agree=False,
                  reason="Risk still unclear")
    refusal = lad.store.sent("joint_refusal_record")
    assert sorted(m.to for m in refusal) == ["loc-sm-east", "practitioner", "team-manager"]
    assert "refused the proposed outcome: Risk still unclear" in render("joint_refusal_record", refusal[0].data)[1]

    await lad.act(Withdraw, ref, "practitioner", local("2027-01-04 14:00"), reason="Resolved by phone")
    withdrawal = lad.store.sent("withdrawal_record")
    assert sorted(m.to for m in withdrawal) == ["practitioner", "team-manager"]
    assert "withdrew " + ref + ". Reason: Resolved by phone." in render("withdrawal_record", withdrawal[0].data)[1]
