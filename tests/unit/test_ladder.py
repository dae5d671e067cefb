"""Every rule of DESIGN.md §2, driven through the core's handlers with pinned time."""

from __future__ import annotations

import pytest

from bot.challenge import Outcome, State
from bot.commands import (
    Accept,
    AcceptOutcome,
    AddLesson,
    Delegate,
    Escalate,
    JointAgreementAnswer,
    MarkUrgent,
    RecordOutcome,
    RedirectComplaint,
    SetCpOrLookedAfter,
    TellCsapNonInvolvement,
    Withdraw,
)
from bot.errors import AlreadyActioned, InvalidCommand, NotAllowed
from bot.roster import Away
from bot.texts import render
from tests.ladder_harness import Ladder, local, person, staff

MON = local("2027-01-04 10:00")  # the first Monday of 2027; Fri 1 Jan was a bank holiday


def as_local(ch_at: object) -> str:
    from datetime import datetime

    assert isinstance(ch_at, datetime)
    return ch_at.astimezone(local("2027-01-01 00:00").tzinfo).strftime("%a %d %b %Y %H:%M")


# -- raising and the Practice Manager pool ----------------------------------------------

async def test_raise_goes_to_the_area_practice_manager_pool_due_next_working_day() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON)
    assert ch.reference == "CH-0001"
    assert ch.state is State.OPEN and ch.stage == 0
    assert ch.reviewers == ("pm-east-1", "pm-east-2")
    assert as_local(ch.due_at) == "Tue 05 Jan 2027 17:00"
    assert sorted(lad.sent("review_requested")) == ["pm-east-1", "pm-east-2"]
    assert lad.sent("raised") == ["practitioner"]
    assert lad.store.kinds("CH-0001") == ["raised"]


@pytest.mark.parametrize("area,pool", [("East", 2), ("Central", 2), ("North", 1), ("CSSH", 3)])
async def test_each_area_has_its_own_pool(area: str, pool: int) -> None:
    ch = await Ladder().raise_(MON, area=area)
    assert len(ch.reviewers) == pool
    assert all(r.startswith(f"pm-{area.lower()}") for r in ch.reviewers)


async def test_first_practice_manager_to_accept_owns_it_and_the_others_are_told() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON)
    await lad.act(Accept, ch.reference, "pm-east-2", local("2027-01-04 10:05"), version=ch.version)
    now = lad.get(ch.reference)
    assert now.state is State.ACCEPTED and now.owner_id == "pm-east-2"
    taken = lad.store.sent("taken")
    assert [m.to for m in taken] == ["pm-east-1"]
    assert taken[0].data["owner_name"] == "Pm East 2" and taken[0].data["at"] == "Mon 4 Jan, 10:05"
    assert lad.sent("accepted") == ["practitioner"]


async def test_a_second_press_on_the_pool_card_is_already_actioned_and_changes_nothing() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON)
    await lad.act(Accept, ch.reference, "pm-east-2", local("2027-01-04 10:05"), version=ch.version)
    before = lad.get(ch.reference)
    events = len(lad.store.events)
    answers = {"pm-east-1": "Already actioned by Pm East 2 at Mon 4 Jan, 10:05",  # the other pool member
               "pm-east-2": "You already did this at Mon 4 Jan, 10:05"}  # a double press: not "by <yourself>"
    for actor, answer in answers.items():
        with pytest.raises(AlreadyActioned, match=answer) as refused:
            await lad.act(Accept, ch.reference, actor, local("2027-01-04 10:06"), version=ch.version)
        assert "Pm East 2" not in str(refused.value) or actor != "pm-east-2"
    assert lad.get(ch.reference) == before
    assert len(lad.store.events) == events


async def test_pressing_someone_elses_card_says_who_it_is_for() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON)
    with pytest.raises(NotAllowed, match="This is for Pm East 1, Pm East 2"):
        await lad.act(Accept, ch.reference, "pm-central-1", MON)
    with pytest.raises(NotAllowed, match="does not know you"):
        await lad.act(Accept, ch.reference, "stranger", MON)


async def test_someone_above_in_the_ladder_may_act_as_reviewer() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON)
    await lad.act(Accept, ch.reference, "team-manager", MON)
    assert lad.get(ch.reference).owner_id == "team-manager"


# -- limits, auto-escalation, the cap and breach -----------------------------------------

async def test_practice_manager_stage_times_out_and_escalates_itself_to_the_team_manager() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON)
    assert (await lad.tick(local("2027-01-05 16:59"))).changed == 1  # the due-today nudge only
    assert lad.get(ch.reference).stage == 0
    await lad.tick(local("2027-01-05 17:00"))
    now = lad.get(ch.reference)
    assert now.stage == 1 and now.state is State.OPEN and now.reviewers == ("team-manager",)
    assert as_local(now.due_at) == "Tue 12 Jan 2027 17:00"
    assert "escalated_timeout" in lad.store.kinds(ch.reference)
    assert lad.sent("escalated") == ["practitioner"]
    assert sorted(lad.sent("escalated_away")) == ["pm-east-1", "pm-east-2"]
    assert "team-manager" in lad.sent("review_requested")


async def test_full_lancashire_ladder_runs_by_ticks_alone_and_ends_breached() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON)
    due_times = {}
    day = MON
    from datetime import timedelta

    while day < local("2027-02-01 00:00"):
        day += timedelta(hours=1)
        await lad.tick(day)
        c = lad.get(ch.reference)
        due_times.setdefault(c.stage, as_local(c.due_at))
    final = lad.get(ch.reference)
    assert due_times == {
        0: "Tue 05 Jan 2027 17:00",
        1: "Tue 12 Jan 2027 17:00",
        2: "Tue 19 Jan 2027 17:00",
        3: "Tue 26 Jan 2027 17:00",
    }
    assert final.stage == 3 and final.breached and final.state is State.OPEN
    kinds = lad.store.kinds(ch.reference)
    assert kinds.count("escalated_timeout") == 3 and kinds.count("breached") == 1
    assert lad.sent("csap_form") == ["csap-team"]
    assert lad.sent("family_details_request") == ["practitioner"]
    breach_mail = [m.to for m in lad.store.sent("breached") if m.channel == "email"]
    assert sorted(breach_mail) == ["csap-team", "head-of-service", "senior-manager"]
    # breached: keeps nudging daily (working days 27, 28, 29 Jan)
    assert len(lad.store.sent("overdue", "head-of-service")) == 3


async def test_one_catch_up_tick_after_downtime_gives_the_same_due_times_once() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON)
    await lad.tick(local("2027-02-01 12:00"))
    events = [(e.kind, e.detail.get("due_at")) for e in lad.store.events if e.kind != "nudged"]
    assert [e for e in events if e[0] in ("escalated_timeout", "breached")] == [
        ("escalated_timeout", "2027-01-12T17:00:00+00:00"),
        ("escalated_timeout", "2027-01-19T17:00:00+00:00"),
        ("escalated_timeout", "2027-01-26T17:00:00+00:00"),
        ("breached", "2027-01-26T17:00:00+00:00"),
    ]
    report = await lad.tick(local("2027-02-01 12:00"))
    assert report.changed == 0
    assert lad.get(ch.reference).breached


async def test_three_stages_together_never_pass_fifteen_working_days() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON)
    ref = ch.reference
    await lad.act(Accept, ref, "pm-east-1", local("2027-01-04 10:30"))
    await lad.act(RecordOutcome, ref, "pm-east-1", local("2027-01-04 11:00"), outcome=Outcome.DECISION_UPHELD,
                  rationale="Threshold not met on the information held")
    await lad.act(Escalate, ref, "practitioner", local("2027-01-04 12:00"), reason="Still disagree")
    assert as_local(lad.get(ref).cap_due_at) == "Mon 25 Jan 2027 17:00"
    await lad.act(Accept, ref, "team-manager", local("2027-01-05 09:00"))
    await lad.act(RecordOutcome, ref, "team-manager", local("2027-01-11 16:30"), outcome=Outcome.DECISION_UPHELD,
                  rationale="Reviewed; upheld")
    await lad.act(Escalate, ref, "practitioner", local("2027-01-12 16:00"))
    assert as_local(lad.get(ref).due_at) == "Tue 19 Jan 2027 17:00"
    await lad.act(Accept, ref, "senior-manager", local("2027-01-13 09:00"))
    await lad.act(RecordOutcome, ref, "senior-manager", local("2027-01-19 16:30"), outcome=Outcome.DECISION_UPHELD,
                  rationale="Upheld after discussion")
    await lad.act(Escalate, ref, "practitioner", local("2027-01-20 16:00"))
    final = lad.get(ref)
    assert final.stage == 3
    # 5 working days would be Wed 27 Jan; the 15-working-day cap from Stage 1 wins.
    assert as_local(final.due_at) == "Mon 25 Jan 2027 17:00"


async def test_the_final_stage_cannot_be_escalated() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON)
    await lad.tick(local("2027-01-19 17:00"))
    assert lad.get(ch.reference).stage == 3
    # Stage 3 running out is a breach: the optional top step needs someone to escalate to it
    await lad.tick(local("2027-01-27 17:00"))
    assert lad.get(ch.reference).stage == 3 and lad.get(ch.reference).breached
    await lad.act(Escalate, ch.reference, "head-of-service", local("2027-01-28 09:00"), reason="Needs the Director")
    assert lad.get(ch.reference).stage == 4
    with pytest.raises(InvalidCommand, match="final stage"):
        await lad.act(Escalate, ch.reference, "strategic-head", local("2027-01-28 10:00"), reason="x")


# -- nudges ------------------------------------------------------------------------------

async def test_unaccepted_reviewer_is_nudged_each_working_morning_and_due_today_on_the_due_day() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON)
    await lad.tick(local("2027-01-05 17:00"))  # now at Team Manager, due Tue 12 Jan
    lad.store.outbox.clear()
    for day in ("06", "07", "08", "09", "10", "11", "12"):
        await lad.tick(local(f"2027-01-{day} 09:00"))
        await lad.tick(local(f"2027-01-{day} 09:00"))  # a second tick sends nothing more
    assert lad.sent("nudge") == ["team-manager"] * 4  # Wed, Thu, Fri, Mon (not the weekend)
    assert lad.sent("due_today") == ["team-manager"]  # Tue 12 Jan
    assert lad.get(ch.reference).stage == 1


async def test_an_accepted_reviewer_gets_only_the_due_today_nudge() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON)
    await lad.tick(local("2027-01-05 17:00"))
    await lad.act(Accept, ch.reference, "team-manager", local("2027-01-05 17:10"))
    lad.store.outbox.clear()
    await lad.tick(local("2027-01-12 09:00"))
    assert lad.sent() == ["due_today"]


# -- the urgent safeguarding path ---------------------------------------------------------

async def test_urgent_challenge_has_clock_hours_at_night_on_a_bank_holiday_and_a_heads_up() -> None:
    lad = Ladder()
    christmas_night = local("2026-12-25 22:00")
    ch = await lad.raise_(christmas_night, urgent=True, urgent_reason="Risk of suicide tonight")
    assert as_local(ch.due_at) == "Sat 26 Dec 2026 02:00"
    assert lad.sent("heads_up") == ["team-manager"]
    subject, body = render("heads_up", lad.store.sent("heads_up")[0].data)
    assert "speedy response" in body and "Sat 26 Dec, 02:00" in body
    await lad.tick(local("2026-12-26 02:00"))
    c = lad.get(ch.reference)
    assert c.stage == 1 and as_local(c.due_at) == "Sat 26 Dec 2026 06:00"
    assert lad.sent("heads_up")[-1] == "senior-manager"


async def test_urgent_clock_is_plain_elapsed_time_across_the_clocks_going_forward() -> None:
    lad = Ladder()
    ch = await lad.raise_(local("2027-03-27 23:00"), urgent=True, urgent_reason="Immediate risk")
    assert as_local(ch.due_at) == "Sun 28 Mar 2027 04:00"  # 4 h elapsed; 01:00-02:00 does not exist


async def test_marking_urgent_later_shortens_the_due_time_and_warns_the_next_level() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON)
    with pytest.raises(InvalidCommand, match="immediate action has been taken"):
        await lad.act(MarkUrgent, ch.reference, "practitioner", local("2027-01-04 11:00"), reason="New information")
    await lad.act(MarkUrgent, ch.reference, "practitioner", local("2027-01-04 11:00"), reason="New information",
                  protective_action="Strategy discussion requested")
    c = lad.get(ch.reference)
    assert c.protective_action == "Strategy discussion requested"
    assert c.urgent and as_local(c.due_at) == "Mon 04 Jan 2027 15:00"
    assert lad.sent("heads_up") == ["team-manager"]
    with pytest.raises(NotAllowed, match="Only the person who raised"):
        await lad.act(MarkUrgent, ch.reference, "pm-east-1", local("2027-01-04 11:00"), reason="x")


async def test_csap_is_told_of_non_involvement_in_a_life_threatening_case() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON, urgent=True, urgent_reason="Life-threatening")
    await lad.act(TellCsapNonInvolvement, ch.reference, "pm-east-1", local("2027-01-04 10:30"),
                  detail="Agency declines involvement")
    assert lad.sent("csap_non_involvement") == ["csap-team"]


# -- outcomes, the challenger's answer, joint agreement, wording ---------------------------

async def test_challenger_accepts_the_outcome_and_the_challenge_closes() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON)
    await lad.act(Accept, ch.reference, "pm-east-1", MON)
    await lad.act(RecordOutcome, ch.reference, "pm-east-1", local("2027-01-04 11:00"),
                  outcome=Outcome.DECISION_REVISED, rationale="New information changes the level")
    assert lad.get(ch.reference).state is State.OUTCOME_PROPOSED
    assert sorted(lad.sent("outcome_record")) == ["pm-east-1", "practitioner"]  # recorded by email
    with pytest.raises(NotAllowed, match="Only the person who raised"):
        await lad.act(AcceptOutcome, ch.reference, "pm-east-1", local("2027-01-04 11:05"))
    await lad.act(AcceptOutcome, ch.reference, "practitioner", local("2027-01-04 11:10"))
    c = lad.get(ch.reference)
    assert c.state is State.CLOSED and c.wake_at is None
    assert lad.store.kinds(ch.reference)[-1] == "outcome_accepted"


async def test_challenger_who_still_disagrees_escalates_to_the_next_stage() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON)
    await lad.act(Accept, ch.reference, "pm-east-1", MON)
    await lad.act(RecordOutcome, ch.reference, "pm-east-1", local("2027-01-04 11:00"),
                  outcome=Outcome.DECISION_UPHELD, rationale="Threshold not met")
    await lad.act(Escalate, ch.reference, "practitioner", local("2027-01-04 12:00"), reason="Still disagree")
    c = lad.get(ch.reference)
    assert c.stage == 1 and c.reviewers == ("team-manager",) and c.outcome is None
    assert as_local(c.due_at) == "Mon 11 Jan 2027 17:00"


async def test_an_unanswered_outcome_stands_when_the_window_ends() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON)
    await lad.act(Accept, ch.reference, "pm-east-1", MON)
    await lad.act(RecordOutcome, ch.reference, "pm-east-1", local("2027-01-05 16:30"),
                  outcome=Outcome.DECISION_UPHELD, rationale="Threshold not met")
    c = lad.get(ch.reference)
    # at least one working day to answer, even when the outcome comes just before the due time
    assert as_local(c.answer_due_at) == "Wed 06 Jan 2027 17:00"
    await lad.tick(local("2027-01-06 17:00"))
    assert lad.get(ch.reference).state is State.CLOSED
    assert lad.store.kinds(ch.reference)[-1] == "closed_unanswered"


async def test_a_de_escalation_with_no_assessment_under_way_claims_no_joint_decision() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON)
    await lad.act(Accept, ch.reference, "pm-east-1", MON)
    with pytest.raises(InvalidCommand, match="needs the level"):
        await lad.act(RecordOutcome, ch.reference, "pm-east-1", MON, outcome=Outcome.DE_ESCALATED,
                      rationale="support already in place")
    with pytest.raises(InvalidCommand, match="Child & Family assessment is under way"):
        await lad.act(RecordOutcome, ch.reference, "pm-east-1", MON, outcome=Outcome.DE_ESCALATED,
                      rationale="support already in place", level="2")
    result = await lad.act(RecordOutcome, ch.reference, "pm-east-1", MON, outcome=Outcome.DE_ESCALATED,
                           rationale="support already in place via school", level="2", assessment_under_way=False)
    c = lad.get(ch.reference)
    assert c.state is State.OUTCOME_PROPOSED and c.outcome is not None and c.outcome.case_note is None
    assert "joint decision" not in result.reply
    assert not lad.sent("joint_agreement_request") and not lad.sent("case_note_request")


async def cancellation_proposed() -> tuple[Ladder, str]:
    """A Practice Manager has proposed cancelling the assessment."""
    lad = Ladder()
    ref = (await lad.raise_(MON)).reference
    await lad.act(Accept, ref, "pm-east-1", MON)
    await lad.act(RecordOutcome, ref, "pm-east-1", MON, outcome=Outcome.ASSESSMENT_CANCELLED,
                  rationale="needs met at level 2", level="2")
    return lad, ref


async def test_cancelling_an_assessment_needs_both_county_and_locality_senior_manager() -> None:
    lad, ref = await cancellation_proposed()
    assert lad.get(ref).state is State.AWAITING_JOINT_AGREEMENT
    assert sorted(lad.sent("joint_agreement_request")) == ["county-manager", "loc-sm-east"]
    with pytest.raises(NotAllowed):
        await lad.act(JointAgreementAnswer, ref, "pm-east-2", MON, agree=True)
    await lad.act(JointAgreementAnswer, ref, "county-manager", MON, agree=True)
    assert lad.get(ref).state is State.AWAITING_JOINT_AGREEMENT  # one is not enough
    await lad.act(JointAgreementAnswer, ref, "loc-sm-east", MON, agree=True)
    assert lad.get(ref).state is State.OUTCOME_PROPOSED


async def test_either_joint_party_may_refuse_with_a_reason() -> None:
    lad, ref = await cancellation_proposed()
    with pytest.raises(InvalidCommand, match="reason"):
        await lad.act(JointAgreementAnswer, ref, "loc-sm-east", MON, agree=False)
    await lad.act(JointAgreementAnswer, ref, "loc-sm-east", MON, agree=False, reason="Risk still unclear")
    c = lad.get(ref)
    assert c.state is State.ACCEPTED and c.outcome is None and c.owner_id == "pm-east-1"
    assert sorted(lad.sent("joint_refused")) == ["pm-east-1", "practitioner"]


async def test_outcome_needs_a_rationale_and_free_text_must_hold_no_identifiers() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON)
    await lad.act(Accept, ch.reference, "pm-east-1", MON)
    with pytest.raises(InvalidCommand, match="rationale"):
        await lad.act(RecordOutcome, ch.reference, "pm-east-1", MON, outcome=Outcome.DECISION_UPHELD, rationale=" ")
    with pytest.raises(InvalidCommand, match="postcode"):
        await lad.act(RecordOutcome, ch.reference, "pm-east-1", MON, outcome=Outcome.DECISION_UPHELD,
                      rationale="Family moved to PR1 2AB")
    assert lad.get(ch.reference).state is State.ACCEPTED


# -- complaint, flat structures, cover, delegation, withdrawal ----------------------------

async def test_a_complaint_is_redirected_and_only_counted() -> None:
    lad = Ladder()
    result = await lad.bot.redirect_complaint(RedirectComplaint(actor_id="practitioner", area="East"), MON)
    assert "complaints procedure" in result.reply
    assert lad.store.challenges == {} and lad.store.events == []
    assert list(lad.store.tallies.values()) == [1]


async def test_flat_structure_skips_a_stage_held_by_the_person_who_just_decided() -> None:
    people = [p for p in staff() if p.id not in ("senior-manager",)]
    people.append(person("flat-manager", "mash_senior_manager"))
    people = [p.model_copy(update={"roles": (*p.roles, "mash_senior_manager")}) if p.id == "team-manager" else p
              for p in people if p.id != "flat-manager"]
    lad = Ladder(people=people)
    ch = await lad.raise_(MON)
    ref = ch.reference
    await lad.act(Escalate, ref, "pm-east-1", MON, reason="Needs a Team Manager")
    await lad.act(Accept, ref, "team-manager", MON)
    await lad.act(RecordOutcome, ref, "team-manager", MON, outcome=Outcome.DECISION_UPHELD, rationale="Upheld")
    await lad.act(Escalate, ref, "practitioner", local("2027-01-04 12:00"))
    c = lad.get(ref)
    assert c.stage == 3 and c.reviewers == ("head-of-service",)
    assert "stage_skipped" in lad.store.kinds(ref)


async def test_a_reviewer_away_is_covered_by_their_delegate() -> None:
    people = [p.model_copy(update={"away": (Away(start=MON.date(), end=MON.date()),), "delegate": "pm-central-1"})
              if p.id == "pm-east-1" else p for p in staff()]
    ch = await Ladder(people=people).raise_(MON)
    assert ch.reviewers == ("pm-central-1", "pm-east-2")


async def test_a_whole_pool_away_with_no_delegate_goes_to_the_next_stage() -> None:
    away = (Away(start=MON.date(), end=MON.date()),)
    people = [p.model_copy(update={"away": away}) if p.id.startswith("pm-east") else p for p in staff()]
    lad = Ladder(people=people)
    ch = await lad.raise_(MON)
    assert ch.stage == 1 and ch.reviewers == ("team-manager",)
    assert lad.store.kinds(ch.reference)[0] == "stage_skipped"


async def test_a_reviewer_delegates_to_a_named_colleague() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON)
    await lad.act(Accept, ch.reference, "pm-east-1", MON)
    await lad.act(Delegate, ch.reference, "pm-east-1", MON, to_id="pm-central-2")
    c = lad.get(ch.reference)
    assert c.owner_id == "pm-central-2"
    assert lad.sent("delegated") == ["pm-central-2"]
    await lad.act(RecordOutcome, ch.reference, "pm-central-2", MON, outcome=Outcome.DECISION_UPHELD,
                  rationale="Upheld")
    with pytest.raises(InvalidCommand, match="not in the roster"):
        await lad.act(Delegate, (await lad.raise_(MON)).reference, "pm-east-1", MON, to_id="nobody")


async def test_only_the_challenger_may_withdraw() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON)
    with pytest.raises(NotAllowed):
        await lad.act(Withdraw, ch.reference, "pm-east-1", MON)
    await lad.act(Withdraw, ch.reference, "practitioner", MON, reason="Resolved by phone")
    c = lad.get(ch.reference)
    assert c.state is State.WITHDRAWN and c.wake_at is None
    assert sorted(lad.sent("withdrawn")) == ["pm-east-1", "pm-east-2"]
    assert (await lad.tick(local("2027-02-01 09:00"))).changed == 0


# -- policy snapshot, input checks, other packs -------------------------------------------

async def test_a_policy_edit_does_not_move_a_running_deadline() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON)
    stages = list(lad.policy.stages)
    stages[1] = stages[1].model_copy(update={"limit": stages[1].limit.model_copy(update={"amount": 1})})
    lad.with_policy(lad.policy.model_copy(update={"stages": tuple(stages)}))
    await lad.tick(local("2027-01-05 17:00"))
    assert as_local(lad.get(ch.reference).due_at) == "Tue 12 Jan 2027 17:00"
    newer = await lad.raise_(local("2027-01-05 17:30"))
    assert newer.policy.stages[1].limit.amount == 1


@pytest.mark.parametrize("case_reference", ["", "JOHN SMITH", "LCS12", "12-34"])
async def test_a_bad_case_reference_is_refused_with_the_expected_shape(case_reference: str) -> None:
    lad = Ladder()
    with pytest.raises(InvalidCommand, match="e.g. LCS123456"):
        await lad.raise_(MON, case_reference=case_reference)
    assert lad.store.challenges == {}


async def test_identifiers_in_the_reason_are_refused_and_nothing_is_stored() -> None:
    lad = Ladder()
    with pytest.raises(InvalidCommand, match="NHS number"):
        await lad.raise_(MON, reason_text="NHS 943 476 5919 needs review")
    assert lad.store.challenges == {} and lad.store.outbox == []


async def test_solihull_tells_the_iro_when_the_child_has_a_plan_or_is_looked_after() -> None:
    lad = Ladder("solihull")
    ch = await lad.raise_(MON, cp_or_looked_after=True)
    assert lad.sent("iro_notice") == ["iro-mailbox"]
    assert lad.store.sent("iro_notice")[0].channel == "email"
    other = await lad.raise_(MON)
    await lad.act(SetCpOrLookedAfter, other.reference, "practitioner", MON, value=True)
    assert lad.sent("iro_notice") == ["iro-mailbox", "iro-mailbox"]
    assert ch.reference != other.reference


async def test_lessons_learned_go_to_the_policy_recipient() -> None:
    lad = Ladder("solihull")
    ch = await lad.raise_(MON)
    await lad.act(AddLesson, ch.reference, "practitioner", MON, category="training_need",
                  text="Thresholds training for new school staff")
    assert lad.sent("lesson_learned") == ["lscp"]


async def test_coventry_red_rating_gives_four_clock_hours_and_edt_hears_out_of_hours() -> None:
    lad = Ladder("coventry")
    friday_night = local("2027-01-08 20:00")
    ch = await lad.raise_(friday_night, rag="Red", urgent=True, urgent_reason="Immediate risk")
    assert as_local(ch.due_at) == "Sat 09 Jan 2027 00:00"
    assert lad.sent("edt_notice") == ["edt"]
    green = await lad.raise_(local("2027-01-04 10:00"), rag="Green")
    assert as_local(green.due_at) == "Thu 14 Jan 2027 14:30"  # 72 office hours
    assert len(lad.sent("edt_notice")) == 1  # in office hours, not urgent: no EDT notice


async def test_north_tyneside_accepts_challenges_raised_on_behalf_of_a_parent() -> None:
    from bot.challenge import ChallengerType

    lad = Ladder("north-tyneside")
    ch = await lad.raise_(MON, raised_by=ChallengerType.PARENT)
    assert ch.raised_by is ChallengerType.PARENT and as_local(ch.due_at) == "Tue 05 Jan 2027 17:00"
    with pytest.raises(InvalidCommand, match="raised by"):
        await Ladder().raise_(MON, raised_by=ChallengerType.PARENT)


async def test_a_tick_that_sends_nothing_still_moves_the_wake_time_on() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON)
    await lad.tick(local("2027-01-05 17:00"))
    await lad.act(Accept, ch.reference, "team-manager", local("2027-01-05 17:10"))
    report = await lad.tick(local("2027-01-06 09:00"))  # accepted: no daily nudge is due
    assert lad.sent("nudge") == [] and report.examined == 1
    assert lad.get(ch.reference).wake_at is not None
    assert lad.get(ch.reference).wake_at > local("2027-01-06 09:00")  # type: ignore[operator]
    assert (await lad.tick(local("2027-01-06 09:00"))).examined == 0


async def test_the_challenger_sends_the_stage3_form_with_family_details_that_are_not_kept() -> None:
    from bot.commands import SendStage3Form

    lad = Ladder()
    ch = await lad.raise_(MON)
    family = (("family_names", "Alex Example"), ("dates_of_birth", "01/02/2015"))
    with pytest.raises(InvalidCommand, match="has not reached"):
        await lad.act(SendStage3Form, ch.reference, "practitioner", MON, family=family)
    await lad.act(Accept, ch.reference, "pm-east-1", MON)
    await lad.act(RecordOutcome, ch.reference, "pm-east-1", MON, outcome=Outcome.DECISION_UPHELD, rationale="Upheld")
    await lad.act(Escalate, ch.reference, "practitioner", local("2027-01-04 11:00"))
    await lad.tick(local("2027-01-26 17:00"))  # Team Manager and Senior Manager time out: Stage 3
    assert lad.get(ch.reference).stage == 3
    with pytest.raises(NotAllowed, match="Only the person who raised"):
        await lad.act(SendStage3Form, ch.reference, "head-of-service", local("2027-01-26 17:05"), family=family)
    await lad.act(SendStage3Form, ch.reference, "practitioner", local("2027-01-26 17:05"), family=family,
                  meeting_date="28/01/2027")
    [message] = lad.store.sent("stage3_form")
    assert message.to == "csap-team" and message.channel == "email"
    form = message.data["form"]
    assert form["family"] == {"Family members (first name and surname)": "Alex Example", "Dates of birth": "01/02/2015"}
    assert "Team Manager (Mon 11 Jan 2027, 17:00): escalated (timeout)" in form["stages_1_and_2"]
    assert form["name_of_referrer"] == "Practitioner"
    # what may be kept once sent: no family details anywhere
    kept = message.scrubbed().model_dump_json()
    assert "Alex Example" not in kept and "01/02/2015" not in kept
    assert "Alex Example" not in lad.get(ch.reference).model_dump_json()
    assert all("Alex Example" not in e.model_dump_json() for e in lad.store.events)
