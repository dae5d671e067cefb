"""Both sides of the dispute, driven through the handlers with pinned time: the locality
counterparts of each stage, the joint Stages 2 and 3, the advice to the other organisation,
the optional top of the ladder and the CSAP Stage 3 form with every Appendix 1 field.
"""

from __future__ import annotations

import pytest

from adapters.email import render_message
from adapters.policy_files import describe_policy, load_policy
from bot import buttons, views
from bot.challenge import Outcome, State
from bot.commands import Accept, AcceptOutcome, Escalate, JointAgreementAnswer, RecordOutcome, SendStage3Form
from bot.errors import NotAllowed
from bot.texts import render
from bot.timeline import timeline
from tests.ladder_harness import Ladder, local, person, staff

MON = local("2027-01-04 10:00")
SEED_CSAP = "Senior officers (Strategic Head of Service / Director) have become involved"


def titled() -> list:
    """The harness staff, with job titles in words for the CSAP form."""
    titles = {"loc-tm-east": "Team Manager, East locality social work team",
              "head-of-service": "Head of Service, MASH", "loc-hos": "Head of Service, Children's Social Work"}
    return [p.model_copy(update={"job_title": titles[p.id]}) if p.id in titles else p for p in staff()]


async def locality_challenge_at(lad: Ladder, stage: int) -> str:
    """A challenge the East locality Team Manager raises, escalated by each reviewer to `stage`."""
    ref = (await lad.raise_(MON, actor_id="loc-tm-east")).reference
    reviewers = ["pm-east-1", "team-manager", "senior-manager"]
    for at, reviewer in enumerate(reviewers[:stage]):
        await lad.act(Escalate, ref, reviewer, local(f"2027-01-04 1{at + 1}:00"), reason=f"Needs level {at + 1}")
    assert lad.get(ref).stage == stage
    return ref


def bodies(lad: Ladder, kind: str, to: str | None = None) -> list[str]:
    return [render(m.kind, m.data)[1] for m in lad.store.sent(kind, to)]


# -- locality counterparts -------------------------------------------------------------------

async def test_a_partner_agency_challenge_involves_no_locality_counterpart() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON)  # the practitioner is on the partner side
    assert lad.sent("counterpart_stage") == [] and ch.counterparts == ()


async def test_the_locality_team_manager_who_raised_it_is_not_their_own_counterpart() -> None:
    lad = Ladder()
    ref = await locality_challenge_at(lad, 1)
    assert lad.sent("counterpart_stage") == []  # Stages 0 and 1's counterpart raised it
    assert "counterpart_involved" not in lad.store.kinds(ref)


async def test_stage_two_waits_for_the_locality_senior_manager_who_can_disagree_with_a_reason() -> None:
    lad = Ladder()
    ref = await locality_challenge_at(lad, 2)
    # the locality Senior Manager gets the stage card: read-only facts, nothing to press yet
    assert lad.sent("counterpart_stage") == ["loc-sm-east"]
    assert "decide this stage together" in bodies(lad, "counterpart_stage")[0]
    roster = lad.store.roster
    card = views.card_for(lad.get(ref), roster, "loc-sm-east", local("2027-01-04 13:05"))
    facts = {f.label: f.value for f in card.facts}
    assert facts["Why they disagree"].startswith("Risk from repeated missing episodes")
    assert [a.verb.value for a in card.actions if a.verb not in views.SHARED_VERBS] == []
    assert views.relation(lad.get(ref), roster, "loc-sm-east") is views.Relation.COUNTERPART

    await lad.act(Accept, ref, "senior-manager", local("2027-01-04 14:00"))
    result = await lad.act(RecordOutcome, ref, "senior-manager", local("2027-01-04 15:00"),
                           outcome=Outcome.DECISION_UPHELD, rationale="Threshold not met on the information held")
    assert lad.get(ref).state is State.AWAITING_JOINT_AGREEMENT and "Loc Sm East" in result.reply
    assert lad.sent("outcome_recorded") == []  # not final until the counterpart agrees
    assert lad.sent("counterpart_agreement_request") == ["loc-sm-east"]
    card = views.card_for(lad.get(ref), roster, "loc-sm-east", local("2027-01-04 15:05"))
    assert [a.label for a in card.actions if a.verb not in views.SHARED_VERBS] == [
        "Agree with the proposed outcome", "Disagree"]
    assert "Locality Senior Manager: waiting" in card.status

    # a press of "Disagree" with its reason: back to the MASH Senior Manager
    press = buttons.action_command("joint_refuse", actor_id="loc-sm-east", reference=ref,
                                   version=lad.get(ref).version, values={"reason": "School reports new concerns"})
    await lad.bot.handle(press, local("2027-01-04 15:30"))
    assert lad.get(ref).state is State.ACCEPTED and lad.get(ref).owner_id == "senior-manager"
    await lad.act(RecordOutcome, ref, "senior-manager", local("2027-01-04 16:00"),
                  outcome=Outcome.DECISION_REVISED, rationale="Revised after the school's concerns")
    with pytest.raises(NotAllowed):  # only the stage's counterpart answers for the locality
        await lad.act(JointAgreementAnswer, ref, "team-manager", local("2027-01-04 16:05"), agree=True)
    await lad.act(JointAgreementAnswer, ref, "loc-sm-east", local("2027-01-04 16:10"), agree=True)
    c = lad.get(ref)
    assert c.state is State.OUTCOME_PROPOSED and c.outcome is not None and c.outcome.kind is Outcome.DECISION_REVISED

    # both sides are in the outcome's record by email, and in the timeline
    record = lad.store.sent("outcome_record", "loc-sm-east")
    assert record, "the counterpart gets the outcome's record too"
    text = render("outcome_record", record[0].data)[1]
    assert "Decided by Senior Manager" in text and "Agreed by: Loc Sm East (Locality Senior Manager)" in text
    rows = timeline(c, [e for e in lad.store.events if e.reference == ref], roster)
    assert any(r.kind == "counterpart_involved" and "Loc Sm East" in r.detail for r in rows)
    assert [r.actor for r in rows if r.kind == "joint_refused"] == ["Loc Sm East"]
    assert "Loc Sm East" in [r.actor for r in rows if r.kind == "joint_agreed"]


async def test_a_cancellation_at_stage_two_waits_for_the_county_manager_and_the_counterpart_once_each() -> None:
    lad = Ladder()
    ref = await locality_challenge_at(lad, 2)
    await lad.act(Accept, ref, "senior-manager", local("2027-01-04 14:00"))
    await lad.act(RecordOutcome, ref, "senior-manager", local("2027-01-04 15:00"),
                  outcome=Outcome.ASSESSMENT_CANCELLED, rationale="support already in place via school", level="2")
    # the locality Senior Manager is both a joint-agreement role and Stage 2's counterpart: asked once
    assert sorted(lad.sent("joint_agreement_request")) == ["county-manager", "loc-sm-east"]
    assert lad.sent("counterpart_agreement_request") == []
    await lad.act(JointAgreementAnswer, ref, "loc-sm-east", local("2027-01-04 15:10"), agree=True)
    assert lad.get(ref).state is State.AWAITING_JOINT_AGREEMENT
    await lad.act(JointAgreementAnswer, ref, "county-manager", local("2027-01-04 15:20"), agree=True)
    assert lad.get(ref).state is State.OUTCOME_PROPOSED and lad.sent("case_note_request") == ["loc-pm-east"]


async def test_stage_three_heads_of_service_decide_together_and_the_other_organisation_is_advised_first() -> None:
    lad = Ladder(people=titled())
    ref = await locality_challenge_at(lad, 2)
    await lad.act(Escalate, ref, "senior-manager", local("2027-01-05 10:00"), reason="Senior Managers cannot agree")
    assert lad.get(ref).stage == 3
    queued = [(m.kind, m.to) for m in lad.store.outbox]
    # the advice to the other organisation is queued before the new stage's review request
    assert queued.index(("escalation_advice", "loc-hos")) < queued.index(("review_requested", "head-of-service"))
    [advice] = bodies(lad, "escalation_advice")
    assert lad.sent("escalation_advice") == ["loc-hos"]
    assert "advises that organisation of its intention to do so" in advice and "LCS123456" in advice
    assert "from Senior Manager to Head of Service" in advice and "Senior Manager" in advice
    assert lad.sent("counterpart_stage") == ["loc-sm-east", "loc-hos"]
    await lad.act(Accept, ref, "head-of-service", local("2027-01-05 11:00"))
    await lad.act(RecordOutcome, ref, "head-of-service", local("2027-01-05 12:00"),
                  outcome=Outcome.DECISION_UPHELD, rationale="Final decision of both Heads of Service")
    assert lad.get(ref).state is State.AWAITING_JOINT_AGREEMENT and lad.sent("csap_form_outcome") == []
    await lad.act(JointAgreementAnswer, ref, "loc-hos", local("2027-01-05 12:30"), agree=True)
    assert lad.get(ref).state is State.OUTCOME_PROPOSED

    # the form is re-sent with Stage 3's outcome and both sides' senior officers, titles in words
    [resent] = lad.store.sent("csap_form_outcome")
    form = resent.data["form"]
    assert form["outcome"].startswith("Decision upheld — Final decision of both Heads of Service.")
    assert form["senior_officers"] == ("Head Of Service (Head of Service, MASH); "
                                       "Loc Hos (Head of Service, Children's Social Work)")
    assert form["job_title"] == "Team Manager, East locality social work team"


# -- the top of the ladder -------------------------------------------------------------------

async def test_stage_three_can_go_up_to_the_strategic_head_of_service_and_csap_is_told() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON)
    for at, reviewer in enumerate(["pm-east-1", "team-manager", "senior-manager"]):
        await lad.act(Escalate, ch.reference, reviewer, local(f"2027-01-04 1{at + 1}:00"), reason="Up")
    assert lad.sent("csap_senior_notice") == []  # Stage 3 itself sends the Appendix 1 form
    await lad.act(Accept, ch.reference, "head-of-service", local("2027-01-05 09:30"))
    await lad.act(RecordOutcome, ch.reference, "head-of-service", local("2027-01-05 10:00"),
                  outcome=Outcome.DECISION_UPHELD, rationale="Threshold not met")
    card = views.card_for(lad.get(ch.reference), lad.store.roster, "practitioner", local("2027-01-05 10:05"))
    escalate = card.action("escalate_outcome")
    assert escalate is not None and escalate.label == "Escalate to Strategic Head of Service / Director"
    await lad.act(Escalate, ch.reference, "practitioner", local("2027-01-05 11:00"), reason="Risk is rising")
    c = lad.get(ch.reference)
    assert c.stage == 4 and c.reviewers == ("strategic-head",)
    assert lad.sent("review_requested", "strategic-head") == ["strategic-head"]
    [notice] = lad.store.sent("csap_senior_notice")
    assert notice.to == "csap-team" and notice.channel == "email"
    subject, body = render(notice.kind, notice.data)
    assert SEED_CSAP in body and "case reference LCS123456" in body and ch.reference in subject
    # MASH took it to Stage 3, so the partner agency was advised; the partner took it to the
    # top step themselves, and MASH's senior officer hears by the review request
    assert lad.sent("escalation_advice") == ["practitioner"]
    stage = {f.label: f.value for f in views.card_for(c, lad.store.roster, "strategic-head",
                                                      local("2027-01-05 11:05")).facts}["Stage"]
    assert stage.startswith("Strategic Head of Service / Director (beyond Stage 3, optional;")
    await lad.act(Accept, ch.reference, "strategic-head", local("2027-01-05 12:00"))
    await lad.act(RecordOutcome, ch.reference, "strategic-head", local("2027-01-05 13:00"),
                  outcome=Outcome.DECISION_REVISED, rationale="Assessment to go ahead")
    await lad.act(AcceptOutcome, ch.reference, "practitioner", local("2027-01-05 14:00"))
    assert lad.get(ch.reference).state is State.CLOSED
    outcomes = [m.data["form"]["outcome"] for m in lad.store.sent("csap_form_outcome")]
    assert outcomes[-1].startswith("Decision revised") and "Strategic Head of Service / Director" in outcomes[-1]


async def test_policy_show_lists_the_top_step_and_the_counterparts() -> None:
    shown = describe_policy(load_policy("lancashire"))
    assert "4 (optional)  Strategic Head of Service / Director" in shown
    assert "CSAP told: senior officers involved" in shown and "other organisation advised on escalation" in shown
    assert "Locality Senior Manager — decides jointly" in shown
    assert "Locality Team Manager — sent the card" in shown
    assert "Counterparts:     sent each stage's card when the challenge is raised from the locality side" in shown
    assert "Optional stages:  Strategic Head of Service / Director (only by escalation" in shown


# -- the Stage 3 form ------------------------------------------------------------------------

async def test_the_stage3_form_has_every_appendix_field_in_order_with_labelled_family_lines() -> None:
    lad = Ladder(people=titled())
    ref = await locality_challenge_at(lad, 2)
    await lad.act(Escalate, ref, "senior-manager", local("2027-01-05 10:00"), reason="No agreement")
    [first] = lad.store.sent("csap_form")
    assert list(first.data["form"]) == ["date_of_referral", "name_of_referrer", "job_title", "email", "family",
                                        "agencies_involved", "nature_of_disagreement", "stages_1_and_2",
                                        "stage_3_meeting", "senior_officers", "outcome"]
    nature = first.data["form"]["nature_of_disagreement"]
    assert "Risk from repeated missing episodes not weighed." in nature and "Asks for: Level 3 assessment." in nature
    await lad.act(SendStage3Form, ref, "loc-tm-east", local("2027-01-05 10:30"),
                  family=(("family_names", "Alex Example"), ("parents", "Sam Example")))
    [sent] = lad.store.sent("stage3_form")
    _, text, html = render_message(sent)
    assert "Job title: Team Manager, East locality social work team" in text
    assert "Family details — Family members (first name and surname): Alex Example" in text
    assert "Family details — Parents: Sam Example" in text
    assert "Names of senior officers involved at Stage 3: Head Of Service (Head of Service, MASH); Loc Hos" in text
    assert "Issues of concern / nature of disagreement: Decision challenged:" in text
    assert "Alex Example" not in sent.scrubbed().model_dump_json()


def test_a_joint_stage_without_a_counterpart_is_refused_by_the_pack_check() -> None:
    from pydantic import ValidationError

    from bot.policy import StageSpec

    with pytest.raises(ValidationError, match="joint stage needs a counterpart"):
        StageSpec.model_validate({"name": "x", "role": "mash_team_manager", "joint": True,
                                  "limit": {"amount": 1, "unit": "working_days"}})


def test_the_roster_check_asks_for_a_counterpart_of_each_joint_stage_in_every_area() -> None:
    from bot.reviewers import required_roles

    policy = load_policy("lancashire")
    needed = required_roles(policy, policy.areas)
    assert ("locality_head_of_service", "Central") in needed and ("locality_senior_manager", "North") in needed
    assert person("x", "locality_head_of_service").has_role("locality_head_of_service", "Central")


async def test_the_reviewer_who_also_holds_the_counterpart_role_does_not_agree_with_themselves() -> None:
    people = [p if p.id != "senior-manager" else person("senior-manager", "mash_senior_manager",
                                                         "locality_senior_manager") for p in staff()]
    lad = Ladder(people=people)
    ref = await locality_challenge_at(lad, 2)
    assert lad.sent("counterpart_stage") == ["loc-sm-east"]  # not the stage's own reviewer
    await lad.act(Accept, ref, "senior-manager", local("2027-01-04 14:00"))
    await lad.act(RecordOutcome, ref, "senior-manager", local("2027-01-04 15:00"),
                  outcome=Outcome.DECISION_UPHELD, rationale="Threshold not met")
    card = views.card_for(lad.get(ref), lad.store.roster, "senior-manager", local("2027-01-04 15:05"))
    assert card.action("joint_agree") is None
    with pytest.raises(NotAllowed):
        await lad.act(JointAgreementAnswer, ref, "senior-manager", local("2027-01-04 15:10"), agree=True)
    await lad.act(JointAgreementAnswer, ref, "loc-sm-east", local("2027-01-04 15:20"), agree=True)
    assert lad.get(ref).state is State.OUTCOME_PROPOSED


async def test_the_counterparts_agree_and_disagree_render_in_slack_and_teams_cards() -> None:
    import json

    from cards import adaptive, slack

    lad = Ladder()
    ref = await locality_challenge_at(lad, 2)
    await lad.act(Accept, ref, "senior-manager", local("2027-01-04 14:00"))
    await lad.act(RecordOutcome, ref, "senior-manager", local("2027-01-04 15:00"),
                  outcome=Outcome.DECISION_UPHELD, rationale="Threshold not met")
    card = views.card_for(lad.get(ref), lad.store.roster, "loc-sm-east", local("2027-01-04 15:05"))
    blocks = json.dumps(slack.card_blocks(card, b"secret"))
    teams = json.dumps(adaptive.challenge_card(card, secret=b"secret"))
    for text in (blocks, teams):
        assert "Agree with the proposed outcome" in text and "Disagree" in text
        assert "Why they disagree" in text  # the dispute's facts, read-only
