"""bot/views.py: the channel-neutral cards, built from a challenge, the roster, a viewer and now."""

from __future__ import annotations

import pytest

from adapters.roster_files import demo_roster_path, load_roster_file
from bot import views
from bot.challenge import Outcome
from bot.commands import (
    Accept,
    AcceptOutcome,
    AddLesson,
    Delegate,
    Escalate,
    JointAgreementAnswer,
    MarkUrgent,
    RecordOutcome,
    SetCpOrLookedAfter,
    TellCsapNonInvolvement,
    Withdraw,
)
from bot.errors import InvalidCommand
from bot.timeline import CLOCK_ACTOR, timeline
from bot.views import Relation, Urgency, Verb
from tests.ladder_harness import Ladder, local

T0 = local("2026-12-24 10:00")  # Thu; Christmas, Boxing Day (Mon 28th) and New Year's Day are holidays


@pytest.fixture
def ladder() -> Ladder:
    return Ladder("lancashire", people=load_roster_file(demo_roster_path()))


async def raised(ladder: Ladder, **overrides: object) -> str:
    challenge = await ladder.raise_(T0, actor_id="tara.nolan", **overrides)
    return challenge.reference


def verbs(card: views.CardView) -> list[str]:
    return [a.verb.value for a in card.actions]


async def test_an_open_challenge_offers_the_area_practice_managers_accept_escalate_delegate(ladder: Ladder) -> None:
    ref = await raised(ladder)
    ch, roster = ladder.get(ref), ladder.store.roster
    card = views.card_for(ch, roster, "ava.okafor", T0)
    assert card.kind is views.CardKind.REVIEWER
    assert verbs(card) == ["accept", "escalate", "delegate", "book_discussion", "add_lesson"]
    assert all(a.version == ch.version and a.reference == ref for a in card.actions)
    assert card.title == f"Challenge {ref} — Practice Manager"
    assert card.due == "due Tue 29 Dec, 17:00 — 1 working day left"
    assert card.status == "Waiting for the Practice Manager to accept: Ava Okafor or Ben Hartley."
    assert card.challenged == "Level 2 – Additional support"
    assert card.urgency is Urgency.NORMAL and card.note is None
    escalate = card.action(Verb.ESCALATE)
    assert escalate is not None and escalate.label == "Escalate to Team Manager"
    assert [(i.id, i.required) for i in escalate.inputs] == [("reason", True)]
    delegate = card.action(Verb.DELEGATE)
    assert delegate is not None
    targets = [o.value for o in delegate.inputs[0].choices]
    assert "ben.hartley" in targets and "ava.okafor" not in targets and "tara.nolan" not in targets
    assert "csap-team" not in targets and "martin.quayle" not in targets  # no mailboxes, MASH side only
    # The reviewer decides from the dispute itself: what is asked for, the reason and why.
    facts = {f.label: f.value for f in card.facts}
    assert facts["Asks for"] == "Level 3 assessment"
    assert facts["Reason"] == "Level of need / threshold"
    assert facts["Why they disagree"] == "Risk from repeated missing episodes not weighed."
    assert facts["Stage"] == "Practice Manager (before Stage 1; limit 1 working day)"
    assert facts["Your answer is due"] == "Tue 29 Dec, 17:00 — 1 working day left"  # "Due" once


async def test_someone_else_sees_who_it_is_for_and_no_buttons(ladder: Ladder) -> None:
    ref = await raised(ladder)
    card = views.card_for(ladder.get(ref), ladder.store.roster, "callum.reid", T0)  # Central's PM
    assert card.actions == ()
    assert card.note == ("This stage is with Ava Okafor, Ben Hartley; nothing is needed from you, "
                         "and this card will not change again.")  # not theirs: no updates follow
    assert views.relation(ladder.get(ref), ladder.store.roster, "callum.reid") is None


async def test_someone_above_the_reviewer_may_act(ladder: Ladder) -> None:
    ref = await raised(ladder)
    card = views.card_for(ladder.get(ref), ladder.store.roster, "farid.khan", T0)
    assert "accept" in verbs(card)
    assert views.relation(ladder.get(ref), ladder.store.roster, "farid.khan") is None  # not in his inbox


async def test_the_challenger_card(ladder: Ladder) -> None:
    ref = await raised(ladder)
    card = views.card_for(ladder.get(ref), ladder.store.roster, "tara.nolan", T0)
    assert card.kind is views.CardKind.CHALLENGER
    assert card.title == f"Your challenge {ref} — Practice Manager"
    assert verbs(card) == ["mark_urgent", "book_discussion", "withdraw", "add_lesson"]
    assert views.relation(ladder.get(ref), ladder.store.roster, "tara.nolan") is Relation.CHALLENGER
    other = views.challenger_card(ladder.get(ref), ladder.store.roster, "ava.okafor", T0)
    assert other.actions == () and other.note == f"Only the person who raised {ref} (Tara Nolan) can do this."


async def test_taken_by_at_and_the_working_days_left(ladder: Ladder) -> None:
    ref = await raised(ladder)
    await ladder.act(Accept, ref, "ava.okafor", local("2026-12-24 10:05"))
    await ladder.act(Escalate, ref, "ava.okafor", local("2026-12-24 11:00"), reason="Needs the Team Manager.")
    ch, roster = ladder.get(ref), ladder.store.roster
    # Team Manager stage: 5 working days over Christmas, Boxing Day (substitute) and New Year.
    card = views.card_for(ch, roster, "ellen.marsh", local("2026-12-30 09:00"))
    assert card.due == "due Tue 5 Jan, 17:00 — 3 working days left"
    await ladder.act(Accept, ref, "ellen.marsh", local("2026-12-30 09:15"))
    events = [e for e in ladder.store.events if e.reference == ref]
    card = views.card_for(ladder.get(ref), roster, "ellen.marsh", local("2027-01-05 10:00"), events)
    assert card.status == "Taken by Ellen Marsh at Wed 30 Dec, 09:15."
    assert card.due == "due Tue 5 Jan, 17:00 — due today" and card.urgency is Urgency.DUE_TODAY
    assert verbs(card) == ["record_outcome", "escalate", "delegate", "book_discussion", "add_lesson"]
    late = views.card_for(ladder.get(ref), roster, "ellen.marsh", local("2027-01-05 18:30"))
    # Overdue in the unit of the limit: working days, not clock hours.
    assert late.due == "due Tue 5 Jan, 17:00 — overdue by less than a working day"
    assert late.urgency is Urgency.OVERDUE
    later = views.card_for(ladder.get(ref), roster, "ellen.marsh", local("2027-01-07 10:00"))
    assert later.due == "due Tue 5 Jan, 17:00 — overdue by 2 working days"
    # The Team Manager sees why the Practice Manager sent it up.
    earlier = {f.label: f.value for f in later.facts}["Earlier: Practice Manager"]
    assert earlier == "No outcome recorded. Escalated by Ava Okafor at Thu 24 Dec, 11:00: Needs the Team Manager."
    assert {f.label: f.value for f in later.facts}["Stage"].startswith("Team Manager (Stage 1 of 3;")
    # Ava decided the first stage: she follows it, with nothing to press.
    assert views.relation(ladder.get(ref), roster, "ava.okafor") is Relation.REVIEWER
    assert views.card_for(ladder.get(ref), roster, "ava.okafor", local("2027-01-05 10:00")).actions == ()


async def test_urgent_challenges_count_hours(ladder: Ladder) -> None:
    ref = await raised(ladder, urgent=True, urgent_reason="Immediate risk of harm tonight.")
    card = views.card_for(ladder.get(ref), ladder.store.roster, "ava.okafor", local("2026-12-24 11:30"))
    assert card.due == "due Thu 24 Dec, 14:00 — 2 h 30 min left"
    assert card.urgency is Urgency.URGENT and card.title.startswith("URGENT: ")
    assert "tell_csap" in verbs(card)
    mine = views.card_for(ladder.get(ref), ladder.store.roster, "tara.nolan", local("2026-12-24 11:30"))
    assert "mark_urgent" not in verbs(mine)


async def test_after_an_outcome_the_challenger_accepts_or_escalates(ladder: Ladder) -> None:
    ref = await raised(ladder)
    await ladder.act(Accept, ref, "ava.okafor", T0)
    await ladder.act(RecordOutcome, ref, "ava.okafor", T0, outcome=Outcome.DECISION_UPHELD,
                     rationale="Threshold applied correctly")
    ch, roster = ladder.get(ref), ladder.store.roster
    mine = views.card_for(ch, roster, "tara.nolan", T0)
    assert verbs(mine) == ["accept_outcome", "escalate_outcome", "book_discussion", "withdraw", "add_lesson"]
    assert mine.outcome == "Decision upheld — Threshold applied correctly."
    assert mine.due.startswith("answer due Tue 29 Dec, 17:00")
    # The challenger's own card speaks to them, and says whose answer is due.
    assert mine.status == ("Outcome recorded by Ava Okafor at Thu 24 Dec, 10:00; "
                           "waiting for you to accept it or escalate by Tue 29 Dec, 17:00.")
    assert {f.label for f in mine.facts} >= {"Your answer is due"}
    theirs = views.card_for(ch, roster, "ava.okafor", T0)
    assert "waiting for Tara Nolan to accept it or escalate" in theirs.status
    assert {f.label for f in theirs.facts} >= {"Tara Nolan's answer is due"}
    assert verbs(theirs) == ["book_discussion", "add_lesson"]
    assert theirs.note == "Waiting for Tara Nolan; nothing is needed from you."
    await ladder.act(AcceptOutcome, ref, "tara.nolan", T0)
    closed = views.card_for(ladder.get(ref), roster, "tara.nolan", T0)
    assert not closed.active and closed.urgency is Urgency.DONE and closed.due == ""
    assert closed.status == "Closed at Thu 24 Dec, 10:00: outcome accepted by Tara Nolan."


async def test_joint_agreement_goes_to_the_county_manager_and_the_locality_senior_manager(ladder: Ladder) -> None:
    ref = await raised(ladder)
    await ladder.act(Accept, ref, "ava.okafor", T0)
    await ladder.act(RecordOutcome, ref, "ava.okafor", T0, outcome=Outcome.ASSESSMENT_CANCELLED,
                     rationale="Needs met by early help")
    ch, roster = ladder.get(ref), ladder.store.roster
    for approver in ("joy.adebayo", "quentin.ashby"):
        card = views.card_for(ch, roster, approver, T0)
        assert views.relation(ch, roster, approver) is Relation.APPROVER
        assert verbs(card)[:2] == ["joint_agree", "joint_refuse"]
    assert card.status == ("Waiting for joint agreement — MASH County Manager: waiting; "
                           "Locality Senior Manager: waiting.")
    await ladder.act(JointAgreementAnswer, ref, "joy.adebayo", T0, agree=True)
    ch = ladder.get(ref)
    assert views.relation(ch, roster, "joy.adebayo") is None
    assert "agreed (Joy Adebayo)" in views.card_for(ch, roster, "quentin.ashby", T0).status


async def test_no_escalation_from_the_last_stage(ladder: Ladder) -> None:
    ref = await raised(ladder)
    at = T0
    for reviewer in ("ava.okafor", "ellen.marsh", "farid.khan"):
        await ladder.act(Accept, ref, reviewer, at)
        await ladder.act(Escalate, ref, reviewer, at, reason="Up the ladder")
    ch = ladder.get(ref)
    assert ch.policy.stage(ch.stage).name == "Head of Service"
    card = views.card_for(ch, ladder.store.roster, "gwen.talbot", at)
    assert verbs(card) == ["accept", "escalate", "delegate", "book_discussion", "add_lesson"]  # optional top next
    await ladder.act(Accept, ref, "gwen.talbot", at)
    await ladder.act(Escalate, ref, "gwen.talbot", at, reason="Needs the Director")
    ch = ladder.get(ref)
    card = views.card_for(ch, ladder.store.roster, "isaac.moreno", at)
    assert verbs(card) == ["accept", "delegate", "book_discussion", "add_lesson"]


async def test_timeline_in_words_with_the_clock_as_actor(ladder: Ladder) -> None:
    ref = await raised(ladder)
    await ladder.act(Accept, ref, "ava.okafor", local("2026-12-24 10:05"))
    await ladder.tick(local("2026-12-30 09:00"))  # the Practice Manager day ran out on Tue 29 Dec
    events = [e for e in ladder.store.events if e.reference == ref]
    rows = timeline(ladder.get(ref), events, ladder.store.roster)
    assert [r.label for r in rows][:3] == ["raised", "accepted", "escalated (timeout)"]
    timeout = rows[2]
    assert timeout.actor == CLOCK_ACTOR and timeout.stage_name == "Team Manager"
    assert timeout.when == "Wed 30 Dec 2026, 09:00"
    assert "from Practice Manager" in timeout.detail and "reviewer: Ellen Marsh" in timeout.detail
    assert "due Wed 6 Jan 2027, 17:00" in timeout.detail  # 5 working days from Tue 29 Dec
    assert rows[0].actor == "Tara Nolan" and rows[0].detail == "due Tue 29 Dec 2026, 17:00"


async def test_inbox_puts_what_needs_the_viewer_first(ladder: Ladder) -> None:
    first = await raised(ladder)
    second = await raised(ladder, urgent=True, urgent_reason="Immediate risk of harm tonight.")
    await ladder.act(Accept, first, "ava.okafor", T0)
    await ladder.act(RecordOutcome, first, "ava.okafor", T0, outcome=Outcome.DECISION_UPHELD,
                     rationale="Threshold applied correctly")
    challenges = [ladder.get(first), ladder.get(second)]
    cards = views.inbox(challenges, ladder.store.roster, "ava.okafor", T0)
    assert [c.reference for c in cards] == [second, first]
    assert views.inbox(challenges, ladder.store.roster, "callum.reid", T0) == []


@pytest.mark.parametrize(("verb", "values", "expected"), [
    ("accept", {}, Accept(actor_id="a", reference="R", version=3)),
    ("escalate", {"reason": " why "}, Escalate(actor_id="a", reference="R", version=3, reason="why")),
    ("escalate_outcome", {}, Escalate(actor_id="a", reference="R", version=3, reason="")),
    ("record_outcome", {"outcome": "de_escalated", "rationale": "r", "level": "1"},
     RecordOutcome(actor_id="a", reference="R", version=3, outcome=Outcome.DE_ESCALATED, rationale="r",
                   level="1")),
    ("record_outcome", {"outcome": "decision_upheld", "rationale": "r", "level": "1"},
     RecordOutcome(actor_id="a", reference="R", version=3, outcome=Outcome.DECISION_UPHELD, rationale="r")),
    ("delegate", {"to": "ben.hartley"}, Delegate(actor_id="a", reference="R", version=3, to_id="ben.hartley")),
    ("accept_outcome", {}, AcceptOutcome(actor_id="a", reference="R", version=3)),
    ("withdraw", {}, Withdraw(actor_id="a", reference="R", version=3)),
    ("joint_agree", {}, JointAgreementAnswer(actor_id="a", reference="R", version=3, agree=True)),
    ("joint_refuse", {"reason": "no"}, JointAgreementAnswer(actor_id="a", reference="R", version=3, agree=False,
                                                            reason="no")),
    ("add_lesson", {"category": "training_need", "text": "t"},
     AddLesson(actor_id="a", reference="R", version=3, category="training_need", text="t")),
    ("mark_urgent", {"reason": "risk", "protective_action": "police visit"},
     MarkUrgent(actor_id="a", reference="R", version=3, reason="risk", protective_action="police visit")),
    ("flag_cp", {}, SetCpOrLookedAfter(actor_id="a", reference="R", version=3, value=True)),
    ("tell_csap", {}, TellCsapNonInvolvement(actor_id="a", reference="R", version=3)),
])
def test_each_verb_makes_its_command(verb: str, values: dict[str, str], expected: object) -> None:
    assert views.action_command(verb, actor_id="a", reference="R", version=3, values=values) == expected


@pytest.mark.parametrize(("verb", "values", "message"), [
    ("escalate", {"reason": "  "}, "Give the reason for escalating."),
    ("record_outcome", {"rationale": "r"}, "Choose the outcome."),
    ("record_outcome", {"outcome": "nonsense", "rationale": "r"}, "Choose the outcome."),
    ("record_outcome", {"outcome": "decision_upheld"}, "Give the rationale for the outcome."),
    ("delegate", {}, "Choose who to delegate to."),
    ("joint_refuse", {}, "Give the reason for refusing."),
    ("mark_urgent", {}, "Say why this is urgent: what is the immediate risk?"),
    ("launch", {}, "Unknown action 'launch'."),
])
def test_missing_inputs_say_what_to_fill_in(verb: str, values: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidCommand) as caught:
        views.action_command(verb, actor_id="a", reference="R", version=1, values=values)
    assert str(caught.value) == message


async def test_at_stage_3_the_challenger_card_offers_the_csap_form_until_it_is_sent(ladder: Ladder) -> None:
    from bot.commands import SendStage3Form

    ref = await raised(ladder)
    card = views.card_for(ladder.get(ref), ladder.store.roster, "tara.nolan", T0)
    assert card.action(Verb.SEND_STAGE3_FORM) is None  # not before Stage 3
    await ladder.tick(local("2027-01-29 17:00"))  # every stage times out: Head of Service
    now = local("2027-01-29 17:05")
    card = views.card_for(ladder.get(ref), ladder.store.roster, "tara.nolan", now)
    action = card.action(Verb.SEND_STAGE3_FORM)
    assert action is not None and [i.id for i in action.inputs][-1] == "meeting_date"
    assert views.card_for(ladder.get(ref), ladder.store.roster, "gwen.talbot", now).action(
        Verb.SEND_STAGE3_FORM) is None  # the reviewer does not get it
    command = views.action_command(Verb.SEND_STAGE3_FORM, actor_id="tara.nolan", reference=ref,
                                   version=action.version, values={"parents": "Sam Example", "meeting_date": ""})
    assert isinstance(command, SendStage3Form) and ("parents", "Sam Example") in command.family
    await ladder.bot.handle(command, now)
    card = views.card_for(ladder.get(ref), ladder.store.roster, "tara.nolan", now)
    assert card.action(Verb.SEND_STAGE3_FORM) is None
    assert ladder.sent("stage3_form") == ["csap-team"]


async def test_someone_mashbot_could_not_reach_is_named_on_the_challengers_and_reviewers_cards(
        ladder: Ladder) -> None:
    ref = await raised(ladder)
    ch, roster = ladder.get(ref), ladder.store.roster
    label = "Could not be reached"
    for viewer in ("tara.nolan", "ava.okafor"):  # the challenger, and a reviewer of the pool
        facts = {f.label: f.value for f in views.card_for(ch, roster, viewer, T0, unreachable=["ben.hartley"]).facts}
        assert facts[label].startswith("Ben Hartley: no chat and no working email")
    # Not on the card of someone outside it, and nobody is told they cannot be reached themselves.
    assert label not in {f.label for f in views.card_for(ch, roster, "callum.reid", T0, unreachable=["ben.hartley"]).facts}
    assert label not in {f.label for f in views.card_for(ch, roster, "ben.hartley", T0, unreachable=["ben.hartley"]).facts}
