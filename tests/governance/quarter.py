"""A generated quarter with known counts.

Challenges are driven through `bot.handlers.Mashbot` on a real database with pinned times,
each following a *scenario* whose consequences are written down when it is chosen (stage
reached, outcome, which stages were late and how many working days they took, notices,
escalations, lessons). The report must then count exactly what the scenarios say — the
expectations never read the audit trail.

Only the time limits that a scenario wants to run out are ticked, at their due time plus a
minute, so the whole quarter takes a few seconds.
"""

from __future__ import annotations

import itertools
import random
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.challenge import ChallengerType, Outcome
from bot.commands import (
    LESSON_CATEGORIES,
    Accept,
    AcceptOutcome,
    AddLesson,
    ChallengeCommand,
    Escalate,
    JointAgreementAnswer,
    MarkUrgent,
    RaiseChallenge,
    RecordOutcome,
    RedirectComplaint,
    SendStage3Form,
    SetCpOrLookedAfter,
    TellCsapNonInvolvement,
    Withdraw,
)
from bot.handlers import Mashbot
from bot.ladder import calendar_of
from bot.policy import Policy
from bot.facts import ESCALATION_LABELS, NOTICE_LABELS, URGENT_LABELS, agency_group
from bot.roster import AREAS
from bot.texts import OUTCOME_LABELS
from dialogs.intake import RAISED_BY_LABELS, REASON_LABELS
from storage.database import Database
from tests.ladder_harness import pack, staff

QUARTER_START = date(2026, 4, 1)
QUARTER_END = date(2026, 6, 30)
CHALLENGER = "practitioner"
PM = {"East": "pm-east-1", "Central": "pm-central-1", "North": "pm-north-1", "CSSH": "pm-cssh-1"}
TM, SM, HOS = "team-manager", "senior-manager", "head-of-service"
AGENCIES = ("Police — Public Protection Unit", "Police — Response", "police - CAIT", "Health - School Nursing",
            "Education (primary)", "Probation", "Early Help, North")
REASONS = ("level_of_need", "information_sharing", "outcome", "risk", "other")
LESSON_TEXTS = {"training_need": "Threshold training for new partner staff.",
                "commissioning_need": "Out-of-hours mental health cover is thin.",
                "practice_guidance": "Say in the referral which level the partner expects."}


def test_policy() -> Policy:
    """Lancashire's ladder (CSAP form at Stage 3, joint agreement) plus Solihull's IRO rule,
    Coventry's EDT rule and more challenger types, so one run meets every notice."""
    base = pack("lancashire")
    return Policy.model_validate(base.model_dump() | {
        "raised_by": ("professional", "parent", "carer"),
        "notifications": base.notifications.model_dump() | {
            "iro_when_cp_or_looked_after": True, "edt": "edt_mailbox", "edt_outside_office_hours": True},
    })


@dataclass
class Expect:
    """What one scenario says the report must count for its challenge."""

    reference: str
    scenario: str
    raised_at: datetime
    area: str
    agency: str
    level: str
    reason: str
    raised_by: str
    typed_agency: str = ""  # as entered at intake; `agency` is what the report groups it under
    urgent: str = "no"  # at_raise | later | no
    stage_reached: int = 0
    status: str = "closed"  # closed | withdrawn | open
    outcome: str | None = None
    closed_how: str | None = "accepted"
    breached: bool = False
    escalations: Counter[str] = field(default_factory=Counter)
    notices: Counter[str] = field(default_factory=Counter)
    stages: list[tuple[int, bool, int | None]] = field(default_factory=list)  # (stage, late, working days)
    lessons: list[str] = field(default_factory=list)
    closed_at: datetime | None = None

    def stage(self, index: int, late: bool, days: int | None) -> None:
        self.stages.append((index, late, days))


@dataclass
class Quarter:
    policy: Policy
    expects: list[Expect] = field(default_factory=list)
    complaints: Counter[str] = field(default_factory=Counter)

    def counts(self) -> dict[str, dict[str, Any]]:
        """The report's sections as the scenarios say they must read."""
        p, ex = self.policy, self.expects
        stage_names = [s.name for s in p.stages]

        def count(values: Sequence[str], order: Sequence[str], words: dict[str, str] | None = None) -> dict[str, int]:
            c = Counter(values)
            words = words or {}
            keys = list(dict.fromkeys([*order, *sorted(c, key=lambda k: (-c[k], k))]))
            return {words.get(k, k): c.get(k, 0) for k in keys}

        escalations: Counter[str] = Counter()
        notices: Counter[str] = Counter()
        for e in ex:
            escalations.update(e.escalations)
            notices.update(e.notices)
        agencies = Counter(e.agency.casefold() for e in ex)
        shown = {"police": "Police"}
        lessons = [cat for e in ex for cat in e.lessons]
        outcomes = [(e.outcome or "") if e.status == "closed" else e.status for e in ex]
        result: dict[str, dict[str, Any]] = {
            "summary": {
                "Challenges raised": len(ex),
                "Closed: the challenger accepted the outcome": sum(e.closed_how == "accepted" for e in ex),
                "Closed: no answer, the outcome stood": sum(e.closed_how == "unanswered" for e in ex),
                "Withdrawn": sum(e.status == "withdrawn" for e in ex),
                "Still open": sum(e.status == "open" for e in ex),
                "Resolved at the first stage": sum(e.status == "closed" and e.stage_reached == 0 for e in ex),
                "Urgent path used": sum(e.urgent != "no" for e in ex),
                "Auto-escalations": escalations["timeout"],
                "Breached at the final stage": sum(e.breached for e in ex),
                "Complaints redirected (not challenges)": sum(self.complaints.values()),
                "Lessons learned raised": len(lessons),
            },
            "agency": {shown.get(k, next(e.agency for e in ex if e.agency.casefold() == k)): n
                       for k, n in sorted(agencies.items(), key=lambda kv: (-kv[1], kv[0]))},
            "area": count([e.area for e in ex], AREAS),
            "stage_reached": count([stage_names[e.stage_reached] for e in ex], stage_names),
            "level": count([e.level for e in ex], [*p.levels_of_need, "other"], {"other": "Other decision"}),
            "reason": count([e.reason for e in ex], [k for k in REASON_LABELS if k != "complaint"], REASON_LABELS),
            "outcome": count(outcomes, [*p.outcomes, "withdrawn", "open"],
                             {**OUTCOME_LABELS, "withdrawn": "Withdrawn", "open": "Still open"}),
            "challenger_type": count([e.raised_by for e in ex], p.raised_by,
                                     {k.value: v for k, v in RAISED_BY_LABELS.items()}),
            "urgent": count([e.urgent for e in ex], list(URGENT_LABELS), URGENT_LABELS),
            "escalations": {**count(list(escalations.elements()), list(ESCALATION_LABELS), ESCALATION_LABELS),
                            "Breached at the final stage": sum(e.breached for e in ex)},
            "notices": count(list(notices.elements()), list(NOTICE_LABELS), NOTICE_LABELS),
            "complaints": count(list(self.complaints.elements()), AREAS),
            "lessons": count(lessons, list(LESSON_CATEGORIES), dict(LESSON_CATEGORIES)),
        }
        for index, name in enumerate(stage_names):
            rows = [(late, days) for e in ex for (s, late, days) in e.stages if s == index]
            days = [d for _, d in rows if d is not None]
            result[f"timeliness_{index}"] = {
                "Within the limit": sum(not late for late, _ in rows),
                "Late (incl. auto-escalated and breached)": sum(late for late, _ in rows),
                "Median working days": round(float(statistics.median(days)), 1) if days else None,
            }
        return result


class Generator:
    """Raises and acts on challenges through the core's handlers, against `database`."""

    def __init__(self, database: Database, policy: Policy, seed: int = 8) -> None:
        self.db = database
        self.policy = policy
        self.cal = calendar_of(policy)
        self.rng = random.Random(seed)
        numbers = itertools.count(1)
        self.bot = Mashbot(uow=database.uow, policy=policy, new_reference=lambda: f"CH-{next(numbers):05d}")
        self.versions: dict[str, int] = {}
        self.quarter = Quarter(policy)

    # -- time ------------------------------------------------------------------------------
    def local(self, d: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(d, time(hour, minute), tzinfo=self.cal.zone)

    def day_at(self, start: datetime, n: int, hour: int, minute: int = 0) -> datetime:
        """`hour` local on the n-th working day after start's local date (n=0: that date)."""
        d = self.cal.local(start).date() if n == 0 else self.cal.local(self.cal.working_days_after(start, n)).date()
        return self.local(d, hour, minute)

    def working_days(self, first: date, last: date) -> list[date]:
        days, d = [], first
        while d <= last:
            if self.cal.is_working_day(d):
                days.append(d)
            d += timedelta(days=1)
        return days

    # -- driving the core ----------------------------------------------------------------
    async def setup(self) -> None:
        async with self.db.uow() as uow:
            await uow.people.replace(staff(), source="tests/governance")
            await uow.commit()

    async def raise_(self, at: datetime, e: Expect, *, urgent: bool = False, cp: bool = False) -> str:
        result = await self.bot.raise_challenge(RaiseChallenge(
            actor_id=CHALLENGER, case_reference=f"LCS{100000 + len(self.quarter.expects)}", area=e.area,
            decision_challenged=e.level if e.level != "other" else "other", requested_outcome="A Level 3 assessment",
            reason_category=e.reason, reason_text="The partner's information was not weighed.", agency=e.typed_agency,
            raised_by=ChallengerType(e.raised_by), urgent=urgent,
            urgent_reason="Risk of harm tonight." if urgent else None,
            protective_action="Strategy discussion requested." if urgent else None, cp_or_looked_after=cp), at)
        assert result.challenge is not None
        ref = result.challenge.reference
        e.reference = ref
        self.versions[ref] = result.challenge.version
        if cp:
            e.notices["iro_notice"] += 1
        return ref

    async def act(self, command: Callable[..., ChallengeCommand], ref: str, actor: str, at: datetime,
                  **fields: Any) -> Any:
        result = await self.bot.handle(command(actor_id=actor, reference=ref, version=self.versions[ref], **fields), at)
        assert result.challenge is not None
        self.versions[ref] = result.challenge.version
        return result.challenge

    async def tick(self, at: datetime, ref: str) -> Any:
        await self.bot.tick(at)
        async with self.db.uow(read_only=True) as uow:
            challenge = await uow.challenges.get(ref)
        assert challenge is not None
        self.versions[ref] = challenge.version
        return challenge

    # -- the quarter ---------------------------------------------------------------------
    async def run(self, n: int = 500, complaints: int = 37, open_ones: int | None = None) -> Quarter:
        await self.setup()
        days = self.working_days(QUARTER_START, QUARTER_END)
        open_ones = max(2, n // 25) if open_ones is None else open_ones
        scenarios: list[tuple[str, int]] = [
            ("pm_quick", 30), ("pm_late", 5), ("timeout_tm", 12), ("challenger_escalates", 10),
            ("reviewer_escalates", 6), ("full_ladder", 4), ("breach", 2), ("withdrawn", 6),
            ("urgent_out_of_hours", 5), ("urgent_timeout", 3), ("marked_urgent", 3), ("joint_agreed", 3),
            ("joint_refused", 2), ("cp_later", 3), ("csap_told", 1),
        ]
        names = [s for s, _ in scenarios]
        weights = [w for _, w in scenarios]
        plan = [self.rng.choices(names, weights)[0] for _ in range(n - open_ones)]
        # every scenario at least once, whatever the size
        for i, name in enumerate(names[: len(plan)]):
            plan[i] = name
        early = days[:-3]
        for i, name in enumerate(plan):
            day = early[i * len(early) // len(plan)]
            await self.one(name, self.local(day, 10))
        for i in range(open_ones):
            await self.one("open", self.local(days[-1 - i % 2], 10 + i % 5))
        for i in range(complaints):
            area = self.rng.choice(AREAS)
            await self.bot.redirect_complaint(RedirectComplaint(actor_id=CHALLENGER, area=area),
                                              self.local(days[i * len(days) // complaints], 11))
            self.quarter.complaints[area] += 1
        return self.quarter

    def new_expect(self, scenario: str, at: datetime, area: str | None = None) -> Expect:
        rng = self.rng
        level = rng.choice([*self.policy.levels_of_need, "other"]) if rng.random() < 0.95 else "other"
        typed = rng.choice(AGENCIES)
        e = Expect(reference="", scenario=scenario, raised_at=at, area=area or rng.choice(AREAS),
                   agency=agency_group(typed), typed_agency=typed, level=level, reason=rng.choice(REASONS),
                   raised_by=rng.choices(["professional", "parent", "carer"], [8, 1, 1])[0])
        self.quarter.expects.append(e)
        return e

    async def maybe_lesson(self, e: Expect, at: datetime) -> None:
        if self.rng.random() < 0.12:
            category = self.rng.choice(list(LESSON_CATEGORIES))
            await self.act(AddLesson, e.reference, CHALLENGER, at, category=category, text=LESSON_TEXTS[category])
            e.lessons.append(category)

    async def one(self, scenario: str, t0: datetime) -> None:  # one branch per scenario
        rng = self.rng
        joint = scenario in ("joint_agreed", "joint_refused")
        e = self.new_expect(scenario, t0, "East" if joint else None)
        pm = PM[e.area]
        cp = rng.random() < 0.1 and scenario not in ("cp_later",)
        h = timedelta(hours=1)

        async def raise_(at: datetime, urgent: bool = False) -> str:
            ref = await self.raise_(at, e, urgent=urgent, cp=cp)
            await self.maybe_lesson(e, at + timedelta(minutes=10))
            return ref

        match scenario:
            case "pm_quick":
                ref = await raise_(t0)
                k = rng.choice([0, 0, 1])
                outcome = rng.choice([Outcome.DECISION_REVISED, Outcome.DECISION_UPHELD, Outcome.DE_ESCALATED])
                await self.act(Accept, ref, pm, t0 + h)
                decided = self.day_at(t0, k, 15)
                await self.act(RecordOutcome, ref, pm, decided, outcome=outcome, rationale="Reviewed with the partner.",
                               level="2" if outcome is Outcome.DE_ESCALATED else None,
                               assessment_under_way=False if outcome is Outcome.DE_ESCALATED else None)
                await self.act(AcceptOutcome, ref, CHALLENGER, decided + h)
                e.outcome, e.closed_at = outcome.value, decided + h
                e.stage(0, False, k)
            case "pm_late":
                ref = await raise_(t0)
                await self.act(Accept, ref, pm, t0 + h)
                decided = self.day_at(t0, 2, 11)
                await self.act(RecordOutcome, ref, pm, decided, outcome=Outcome.DECISION_UPHELD, rationale="Late review.")
                await self.act(AcceptOutcome, ref, CHALLENGER, decided + h)
                e.outcome, e.closed_at = "decision_upheld", decided + h
                e.stage(0, True, 2)
            case "timeout_tm":
                ref = await raise_(t0)
                due0 = self.cal.working_days_after(t0, 1)
                ch = await self.tick(due0 + timedelta(minutes=1), ref)
                assert ch.stage == 1, ch.stage
                k = rng.randint(1, 4)
                await self.act(Accept, ref, TM, self.day_at(due0, 1, 10))
                decided = self.day_at(due0, k, 12)
                await self.act(RecordOutcome, ref, TM, decided, outcome=Outcome.DECISION_UPHELD, rationale="Upheld.")
                await self.act(AcceptOutcome, ref, CHALLENGER, decided + h)
                e.stage_reached, e.outcome, e.closed_at = 1, "decision_upheld", decided + h
                e.escalations["timeout"] += 1
                e.stage(0, True, 1)
                e.stage(1, False, k)
            case "challenger_escalates":
                ref = await raise_(t0)
                await self.act(Accept, ref, pm, t0 + h)
                await self.act(RecordOutcome, ref, pm, t0 + 2 * h, outcome=Outcome.DECISION_UPHELD, rationale="Upheld.")
                await self.act(Escalate, ref, CHALLENGER, t0 + 3 * h, reason="Still disagree.")
                k = rng.randint(0, 5)
                decided = self.day_at(t0, k, 15)
                await self.act(Accept, ref, TM, t0 + 4 * h if k == 0 else self.day_at(t0, k, 10))
                ch = await self.act(RecordOutcome, ref, TM, decided, outcome=Outcome.DECISION_REVISED,
                                    rationale="Revised after review.")
                closed = ch.answer_due_at + timedelta(minutes=1)
                ch = await self.tick(closed, ref)
                assert ch.state.value == "closed", ch.state
                e.stage_reached, e.outcome, e.closed_how, e.closed_at = 1, "decision_revised", "unanswered", closed
                e.escalations["challenger"] += 1
                e.stage(0, False, 0)
                e.stage(1, False, k)
            case "reviewer_escalates":
                ref = await raise_(t0)
                await self.act(Accept, ref, pm, t0 + h)
                await self.act(Escalate, ref, pm, t0 + 2 * h, reason="Needs a Team Manager.")
                start1 = t0 + 2 * h
                await self.act(Accept, ref, TM, self.day_at(start1, 1, 9, 30))
                start2 = self.day_at(start1, 1, 10)
                await self.act(Escalate, ref, TM, start2, reason="Needs a Senior Manager.")
                decided = self.day_at(start2, 2, 11)
                await self.act(RecordOutcome, ref, SM, decided, outcome=Outcome.DECISION_UPHELD, rationale="Upheld.")
                await self.act(AcceptOutcome, ref, CHALLENGER, decided + h)
                e.stage_reached, e.outcome, e.closed_at = 2, "decision_upheld", decided + h
                e.escalations["reviewer"] += 2
                e.stage(0, False, 0)
                e.stage(1, False, 1)
                e.stage(2, False, 2)
            case "full_ladder":
                ref = await raise_(t0)
                for i, who in enumerate((pm, TM, SM), start=1):
                    await self.act(Escalate, ref, who, t0 + i * h, reason="Up the ladder.")
                if rng.random() < 0.5:  # the challenger completes the CSAP form (family details by email)
                    await self.act(SendStage3Form, ref, CHALLENGER, t0 + 4 * h,
                                   family=(("family_names", "Sam Example"),), meeting_date="next Tuesday")
                    e.notices["stage3_form"] += 1
                decided = self.day_at(t0, 1, 10)
                await self.act(RecordOutcome, ref, HOS, decided, outcome=Outcome.DECISION_UPHELD, rationale="Final.")
                await self.act(AcceptOutcome, ref, CHALLENGER, decided + h)
                e.stage_reached, e.outcome, e.closed_at = 3, "decision_upheld", decided + h
                e.escalations["reviewer"] += 3
                e.notices["csap_form"] += 1
                for s in (0, 1, 2):
                    e.stage(s, False, 0)
                e.stage(3, False, 1)
            case "breach":
                ref = await raise_(t0)
                due = self.cal.working_days_after(t0, 1)
                for stage in (1, 2, 3):
                    ch = await self.tick(due + timedelta(minutes=1), ref)
                    assert ch.stage == stage
                    due = ch.due_at
                ch = await self.tick(due + timedelta(minutes=1), ref)
                assert ch.breached
                decided = self.day_at(due, 1, 10)
                await self.act(RecordOutcome, ref, HOS, decided, outcome=Outcome.DECISION_UPHELD, rationale="Final.")
                await self.act(AcceptOutcome, ref, CHALLENGER, decided + h)
                e.stage_reached, e.outcome, e.closed_at, e.breached = 3, "decision_upheld", decided + h, True
                e.escalations["timeout"] += 3
                e.notices["csap_form"] += 1
                e.stages += [(0, True, 1), (1, True, 5), (2, True, 5), (3, True, 6)]
            case "withdrawn":
                ref = await raise_(t0)
                if rng.random() < 0.5:
                    await self.act(Accept, ref, pm, t0 + h)
                    at = t0 + 2 * h
                else:
                    due0 = self.cal.working_days_after(t0, 1)
                    await self.tick(due0 + timedelta(minutes=1), ref)
                    e.stage_reached = 1
                    e.escalations["timeout"] += 1
                    e.stage(0, True, 1)
                    at = self.day_at(due0, 1, 11)
                await self.act(Withdraw, ref, CHALLENGER, at, reason="Resolved by phone.")
                e.status, e.closed_how, e.closed_at = "withdrawn", None, at
            case "urgent_out_of_hours":
                t = self.local(self.cal.local(t0).date(), 19, 30)
                e.raised_at = t
                ref = await raise_(t, urgent=True)
                await self.act(Accept, ref, pm, t + timedelta(minutes=30))
                await self.act(RecordOutcome, ref, pm, t + 90 * timedelta(minutes=1), outcome=Outcome.DECISION_REVISED,
                               rationale="Strategy discussion arranged.")
                await self.act(AcceptOutcome, ref, CHALLENGER, t + 2 * h)
                e.urgent, e.outcome, e.closed_at = "at_raise", "decision_revised", t + 2 * h
                e.notices["edt_notice"] += 1
                e.stage(0, False, 0)
            case "urgent_timeout":
                ref = await raise_(t0, urgent=True)
                ch = await self.tick(t0 + 4 * h + timedelta(minutes=1), ref)
                assert ch.stage == 1
                await self.act(RecordOutcome, ref, TM, t0 + 5 * h, outcome=Outcome.DECISION_REVISED, rationale="Agreed.")
                await self.act(AcceptOutcome, ref, CHALLENGER, t0 + 6 * h)
                e.urgent, e.stage_reached, e.outcome, e.closed_at = "at_raise", 1, "decision_revised", t0 + 6 * h
                e.escalations["timeout"] += 1
                e.stage(0, True, 0)
                e.stage(1, False, 0)
            case "marked_urgent":
                ref = await raise_(t0)
                await self.act(Accept, ref, pm, t0 + h)
                await self.act(MarkUrgent, ref, CHALLENGER, t0 + 90 * timedelta(minutes=1), reason="New information.",
                               protective_action="Strategy discussion requested.")
                if cp:
                    e.notices["iro_notice"] += 1  # marking urgent repeats the raise notices
                await self.act(RecordOutcome, ref, pm, t0 + 2 * h, outcome=Outcome.DECISION_REVISED, rationale="Agreed.")
                await self.act(AcceptOutcome, ref, CHALLENGER, t0 + 3 * h)
                e.urgent, e.outcome, e.closed_at = "later", "decision_revised", t0 + 3 * h
                e.stage(0, False, 0)
            case "joint_agreed":
                ref = await raise_(t0)
                await self.act(Accept, ref, pm, t0 + h)
                await self.act(RecordOutcome, ref, pm, t0 + 2 * h, outcome=Outcome.ASSESSMENT_CANCELLED,
                               rationale="No role for an assessment.")
                await self.act(JointAgreementAnswer, ref, "county-manager", t0 + 3 * h, agree=True)
                await self.act(JointAgreementAnswer, ref, "loc-sm-east", self.day_at(t0, 1, 10), agree=True)
                await self.act(AcceptOutcome, ref, CHALLENGER, self.day_at(t0, 1, 11))
                e.outcome, e.closed_at = "assessment_cancelled", self.day_at(t0, 1, 11)
                e.stage(0, False, 0)
            case "joint_refused":
                ref = await raise_(t0)
                await self.act(Accept, ref, pm, t0 + h)
                await self.act(RecordOutcome, ref, pm, t0 + 2 * h, outcome=Outcome.ASSESSMENT_CANCELLED,
                               rationale="No role for an assessment.")
                await self.act(JointAgreementAnswer, ref, "loc-sm-east", t0 + 3 * h, agree=False,
                               reason="The assessment is needed.")
                decided = self.day_at(t0, 1, 12)
                await self.act(RecordOutcome, ref, pm, decided, outcome=Outcome.DE_ESCALATED,
                               rationale="agreed support at level 2", level="2", assessment_under_way=False)
                await self.act(AcceptOutcome, ref, CHALLENGER, decided + h)
                e.outcome, e.closed_at = "de_escalated", decided + h
                e.stage(0, False, 1)
            case "cp_later":
                ref = await raise_(t0)
                await self.act(SetCpOrLookedAfter, ref, CHALLENGER, t0 + h / 2, value=True)
                e.notices["iro_notice"] += 1
                await self.act(Accept, ref, pm, t0 + h)
                await self.act(RecordOutcome, ref, pm, t0 + 2 * h, outcome=Outcome.DECISION_UPHELD, rationale="Upheld.")
                await self.act(AcceptOutcome, ref, CHALLENGER, t0 + 3 * h)
                e.outcome, e.closed_at = "decision_upheld", t0 + 3 * h
                e.stage(0, False, 0)
            case "csap_told":
                ref = await raise_(t0, urgent=True)
                await self.act(TellCsapNonInvolvement, ref, CHALLENGER, t0 + timedelta(minutes=20),
                               detail="Health holds a position of non-involvement.")
                await self.act(RecordOutcome, ref, pm, t0 + h, outcome=Outcome.DECISION_REVISED, rationale="Agreed.")
                await self.act(AcceptOutcome, ref, CHALLENGER, t0 + 2 * h)
                e.urgent, e.outcome, e.closed_at = "at_raise", "decision_revised", t0 + 2 * h
                e.notices["csap_non_involvement"] += 1
                e.stage(0, False, 0)
            case "open":
                ref = await raise_(t0)
                if rng.random() < 0.5:
                    await self.act(Accept, ref, pm, t0 + h / 2)
                e.status, e.closed_how, e.outcome = "open", None, None
            case _:
                raise ValueError(scenario)
