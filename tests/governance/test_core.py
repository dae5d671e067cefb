"""bot.report on its own: facts from a timeline, and the counting rules (no database)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.challenge import Challenge, Event, Outcome
from bot.commands import Accept, AddLesson, JointAgreementAnswer, MarkUrgent, RecordOutcome
from bot.facts import ChallengeFacts, StageTime, agency_group, challenge_facts
from bot.report import build_report, render_text
from tests.governance.conftest import REPORTED_AT, policy
from tests.ladder_harness import Ladder, local


def facts_for(reference: str, **overrides: Any) -> ChallengeFacts:
    values: dict[str, Any] = dict(
        reference=reference, policy="lancashire", raised_at=local("2026-05-05 10:00"), raised_on=date(2026, 5, 5),
        area="East", agency="Police", level="Level 2 – Additional support", reason_category="level_of_need",
        raised_by="professional", urgent_at_raise=False, marked_urgent=False, cp_or_looked_after=False,
        stage_reached=0, stage_reached_name="Practice Manager", status="closed", outcome="decision_upheld",
        closed_how="accepted", closed_at=local("2026-05-05 12:00"), breached=False, escalations={}, notices={},
        stages=(StageTime(stage=0, name="Practice Manager", late=False, working_days=0),), lessons=())
    values.update(overrides)
    return ChallengeFacts(**values)


def raised_challenge() -> tuple[Challenge, list[Event]]:
    async def go() -> tuple[Challenge, list[Event]]:
        ladder = Ladder(policy())
        ch = await ladder.raise_(local("2026-05-05 10:00"))
        return ladder.get(ch.reference), [e for e in ladder.store.events if e.reference == ch.reference]
    return asyncio.run(go())


def test_agency_groups_take_the_organisation_part() -> None:
    assert agency_group("Police — Public Protection Unit") == "Police"
    assert agency_group("Health - School Nursing") == "Health"
    assert agency_group("Education (primary)") == "Education"
    assert agency_group("Early Help, North") == "Early Help"
    assert agency_group("  Lancashire   Constabulary ") == "Lancashire Constabulary"
    assert agency_group("Child-and-Family Wellbeing") == "Child-and-Family Wellbeing"  # a hyphen in a word stays
    assert agency_group("") == "Not given"


async def test_a_refused_joint_agreement_reopens_the_stage_until_the_next_outcome() -> None:
    ladder = Ladder(policy())
    t0 = local("2026-05-05 10:00")
    ch = await ladder.raise_(t0)
    ref = ch.reference
    await ladder.act(Accept, ref, "pm-east-1", t0 + timedelta(hours=1))
    await ladder.act(RecordOutcome, ref, "pm-east-1", t0 + timedelta(hours=2), outcome=Outcome.ASSESSMENT_CANCELLED,
                     rationale="No role for an assessment.")
    await ladder.act(JointAgreementAnswer, ref, "loc-sm-east", t0 + timedelta(hours=3), agree=False,
                     reason="The assessment is needed.")
    late = local("2026-05-07 10:00")  # after the Practice Manager's 1 working day
    await ladder.act(RecordOutcome, ref, "pm-east-1", late, outcome=Outcome.DECISION_UPHELD, rationale="Upheld.")
    facts = challenge_facts(ladder.get(ref), ladder.store.events)
    assert facts.stages == (StageTime(stage=0, name="Practice Manager", late=True, working_days=2),)
    assert facts.outcome == "decision_upheld" and facts.status == "open"


async def test_a_timeout_starts_the_next_stage_at_the_old_due_time_even_when_the_tick_is_late() -> None:
    ladder = Ladder(policy())
    t0 = local("2026-05-05 10:00")  # Tue; Practice Manager due Wed 6 May 17:00
    ch = await ladder.raise_(t0)
    await ladder.tick(local("2026-05-11 09:00"))  # the service was down for days: one catch-up tick
    facts = challenge_facts(ladder.get(ch.reference), ladder.store.events)
    assert facts.escalations == {"timeout": 1}
    assert facts.stages == (StageTime(stage=0, name="Practice Manager", late=True, working_days=1),)
    assert facts.stage_reached == 1


async def test_marking_urgent_moves_the_due_time_the_stage_is_judged_by() -> None:
    ladder = Ladder(policy())
    t0 = local("2026-05-05 10:00")
    ch = await ladder.raise_(t0)
    await ladder.act(MarkUrgent, ch.reference, "practitioner", t0, reason="New information tonight.",
                     protective_action="Strategy discussion requested.")
    await ladder.act(RecordOutcome, ch.reference, "pm-east-1", t0 + timedelta(hours=5),
                     outcome=Outcome.DECISION_REVISED, rationale="Agreed.")
    facts = challenge_facts(ladder.get(ch.reference), ladder.store.events)
    assert facts.marked_urgent and not facts.urgent_at_raise
    assert facts.stages[0].late  # 5 hours > the 4-hour urgent limit, though within the working day


async def test_lessons_keep_their_text_until_anonymised() -> None:
    ladder = Ladder(policy())
    ch = await ladder.raise_(local("2026-05-05 10:00"))
    await ladder.act(AddLesson, ch.reference, "practitioner", local("2026-05-05 11:00"), category="training_need",
                     text="Threshold training needed.")
    facts = challenge_facts(ladder.get(ch.reference), ladder.store.events)
    assert [(ls.category, ls.text, ls.stage_name) for ls in facts.lessons] == [
        ("training_need", "Threshold training needed.", "Practice Manager")]
    kept = facts.anonymised()
    assert kept.purged and kept.lessons[0].text is None and kept.lessons[0].category == "training_need"
    assert "Threshold" not in kept.model_dump_json()


def test_the_period_is_by_local_date_and_a_challenge_counts_once() -> None:
    late_june_utc = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)  # 00:30 on 1 July in London
    facts = [
        facts_for("CH-1"),
        facts_for("CH-1", area="North"),  # the same challenge again (live and summarised): first wins
        facts_for("CH-2", raised_at=late_june_utc, raised_on=date(2026, 7, 1)),
        facts_for("CH-3", raised_on=date(2026, 4, 1)),
    ]
    report = build_report(facts, [("complaint_redirected", "East", date(2026, 4, 1), 2),
                                  ("complaint_redirected", "East", date(2026, 7, 1), 5),
                                  ("something_else", "East", date(2026, 4, 2), 9)],
                          start=date(2026, 4, 1), end=date(2026, 6, 30), generated_at=REPORTED_AT, policy=policy())
    assert report.raised == 2
    assert report.section("area").as_dict()["East"] == 2
    assert report.section("summary").as_dict()["Complaints redirected (not challenges)"] == 2


def test_medians_and_empty_stages() -> None:
    stages = lambda *days: tuple(StageTime(stage=0, name="Practice Manager", late=d > 1, working_days=d)
                                 for d in days)
    report = build_report([facts_for("CH-1", stages=stages(0, 1)), facts_for("CH-2", stages=stages(2))], [],
                          start=date(2026, 4, 1), end=date(2026, 6, 30), generated_at=REPORTED_AT, policy=policy())
    first = report.timeliness[0]
    assert (first.within, first.late, first.median_working_days) == (2, 1, 1.0)
    assert report.timeliness[1].median_working_days is None
    text = render_text(report)
    assert "Timeliness: Practice Manager" in text and "Median working days" in text


def test_unknown_values_are_counted_after_the_known_ones() -> None:
    from adapters.reports.data import report_labels

    report = build_report([facts_for("CH-1", reason_category="budget", level="Level 9")], [],
                          start=date(2026, 4, 1), end=date(2026, 6, 30), generated_at=REPORTED_AT, policy=policy(),
                          labels=report_labels())
    reasons = report.section("reason").as_dict()
    assert next(iter(reasons)) == "Level of need / threshold" and reasons["Level of need / threshold"] == 0
    assert next(reversed(reasons)) == "Budget" and reasons["Budget"] == 1
    assert report.section("level").as_dict()["Level 9"] == 1
