"""Use cases: load, decide, save state + events + outbox rows in one unit of work.

Channel adapters and the scheduler call these; they are given the unit of work, the
policy, a reference generator and `now`, and never read the clock themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot import decisions, discussions, emergency, ladder, lessons, texts, transitions
from bot.challenge import Challenge, Event, Message
from bot.commands import (
    FAMILY_FIELDS,
    LESSON_CATEGORIES,
    Accept,
    AcceptOutcome,
    AddLesson,
    BookDiscussion,
    ChallengeCommand,
    Delegate,
    Escalate,
    JointAgreementAnswer,
    MarkUrgent,
    RaiseChallenge,
    RecordOutcome,
    RedirectComplaint,
    SendStage3Form,
    SetCpOrLookedAfter,
    TellCsapNonInvolvement,
    UpdateRag,
    Withdraw,
)
from bot.errors import AlreadyActioned, InvalidCommand, NotAllowed, NotAvailable, NotFound
from bot.policy import Policy
from bot.ports import UnitOfWork
from bot.reviewers import may_review
from bot.roster import Roster
from bot.transitions import Who


@dataclass(frozen=True)
class Result:
    """What the actor is told, and the challenge as it now stands."""

    reply: str
    challenge: Challenge | None = None
    messages: tuple[Message, ...] = ()
    events: tuple[Event, ...] = ()  # what this change appended to the audit trail


@dataclass
class TickReport:
    examined: int = 0
    changed: int = 0
    events: int = 0
    messages: int = 0
    references: list[str] = field(default_factory=list)


@dataclass
class Mashbot:
    """The core service, given its ports."""

    uow: Callable[[], UnitOfWork]
    policy: Policy
    new_reference: Callable[[], str]
    # Whether any mail transport is configured. Without one the Stage 3 form is refused: its
    # family details would otherwise wait in the outbox, unsent, while the form says none are kept.
    mail_configured: bool = True
    # A unit of work that only reads (on SQLite it takes no write lock). When given, a press
    # is checked in it first, so one that would change nothing never queues for the lock.
    read_uow: Callable[[], UnitOfWork] | None = None

    async def raise_challenge(self, cmd: RaiseChallenge, now: datetime, *, channel: str | None = None) -> Result:
        """Raise a challenge under the current policy (snapshotted into the challenge).
        `channel` (e.g. "web", "email") is recorded on the audit events it writes."""
        async with self.uow() as uow:
            roster = await uow.people.roster()
            reference = self.new_reference()
            while await uow.challenges.get(reference) is not None:
                reference = self.new_reference()
            change = ladder.raise_challenge(cmd, policy=self.policy, roster=roster, now=now, reference=reference)
            emergency.on_raise(change, cmd.emergency_protocol)
            _stamp_channel(change, channel)
            await uow.challenges.add(change.challenge)
            await self._save_changes(uow, change, now)
            await uow.commit()
        return Result(change.reply, change.challenge, tuple(change.messages), tuple(change.events))

    async def redirect_complaint(self, cmd: RedirectComplaint, now: datetime) -> Result:
        """A complaint closes the intake with the complaints route; only a count is kept."""
        async with self.uow() as uow:
            await uow.tallies.increment("complaint_redirected", cmd.area, now.date())
            await uow.commit()
        return Result(self.policy.complaint_text or texts.COMPLAINT_REDIRECT_DEFAULT)

    async def handle(self, cmd: ChallengeCommand, now: datetime, *, checked: bool = False,
                     channel: str | None = None) -> Result:
        """Apply a person's command to a challenge, refusing stale, repeated or unauthorised ones.

        `checked`: the caller has just run `may_act` on a read of its own (the front desk), so
        the early read is skipped; everything is checked again under the write lock anyway.
        `channel` (e.g. "web", "email") is recorded on the audit events it writes."""
        if isinstance(cmd, SendStage3Form) and not self.mail_configured:
            raise NotAvailable(texts.STAGE3_FORM_NO_MAIL.format(reference=cmd.reference))
        if self.read_uow is not None and not checked:
            await self._refuse_early(cmd)
        async with self.uow() as uow:
            roster = await uow.people.roster()
            challenge = await uow.challenges.get(cmd.reference)
            challenge = may_act(challenge, cmd, roster)
            expected = challenge.version
            change = ladder.Change(challenge, roster, now)
            if isinstance(cmd, SendStage3Form):  # the form's Stages 1-2 come from the audit trail
                decisions.send_stage3_form(change, cmd.actor_id, cmd.family, cmd.meeting_date,
                                        await uow.events.for_challenge(cmd.reference), FAMILY_FIELDS)
            else:
                apply(change, cmd)
            _stamp_channel(change, channel)
            if not await uow.challenges.update(change.challenge, expected):
                current = await uow.challenges.get(cmd.reference)
                assert current is not None
                check_fresh(current, cmd, roster, ladder.calendar_of(current.policy).describe)
                if current.last_actor_id == cmd.actor_id:
                    raise AlreadyActioned(texts.ALREADY_DONE_BY_YOU.format(at=texts.JUST_NOW))
                raise AlreadyActioned(texts.ALREADY_ACTIONED.format(
                    name=roster.name_of(current.last_actor_id), at=texts.JUST_NOW))
            await self._save_changes(uow, change, now)
            await uow.commit()
        return Result(change.reply, change.challenge, tuple(change.messages), tuple(change.events))

    async def _refuse_early(self, cmd: ChallengeCommand) -> None:
        """The same refusals as `handle`, from a read: stale, repeated, unknown, not theirs.
        Whatever passes is checked again under the write lock."""
        assert self.read_uow is not None
        async with self.read_uow() as uow:
            roster = await uow.people.roster()
            challenge = await uow.challenges.get(cmd.reference)
        may_act(challenge, cmd, roster)

    async def tick(self, now: datetime, batch: int = 500) -> TickReport:
        """Apply every timeout, nudge and breach that fell due by `now`; safe to run twice."""
        report = TickReport()
        seen: set[str] = set()
        while True:
            async with self.uow() as uow:
                due = await uow.challenges.due(now, batch)
                if not due or seen.issuperset(c.reference for c in due):
                    break  # nothing left, or only rows this tick already handled
                seen.update(c.reference for c in due)
                roster = await uow.people.roster()
                events: list[Event] = []
                messages: list[Message] = []
                for challenge in due:
                    change = ladder.tick(challenge, roster=roster, now=now)
                    report.examined += 1
                    if change.events or change.messages:
                        report.changed += 1
                        report.references.append(challenge.reference)
                    events.extend(change.events)
                    messages.extend(change.messages)
                # Claimed rows are locked for this unit of work, so they are saved without a
                # version check -- even when nothing was sent, since the next wake time moved on.
                # One update, one append and one outbox insert per batch: cost follows the due rows.
                await uow.challenges.save_claimed(due)
                await uow.events.append(events)
                await uow.outbox.add(messages, now)
                report.events += len(events)
                report.messages += len(messages)
                await uow.commit()
            if len(due) < batch:
                break
        return report

    @staticmethod
    async def _save_changes(uow: UnitOfWork, change: ladder.Change, now: datetime) -> None:
        await uow.events.append(change.events)
        await uow.outbox.add(change.messages, now)


def _stamp_channel(change: ladder.Change, channel: str | None) -> None:
    """Say on the person's own events which channel they acted from (the audit names it)."""
    if channel:
        change.events[:] = [e.model_copy(update={"detail": {**e.detail, "channel": channel}})
                            if e.actor_id is not None else e for e in change.events]


def check_fresh(challenge: Challenge, cmd: ChallengeCommand, roster: Roster,
                describe: Callable[[datetime], str]) -> None:
    """A command made on an older version was overtaken: say by whom and when."""
    check_version(challenge, cmd.actor_id, cmd.version, roster, describe)


def check_version(challenge: Challenge, actor_id: str, version: int, roster: Roster,
                  describe: Callable[[datetime], str]) -> None:
    """A press on a card showing `version` was overtaken: say by whom and when."""
    if version != challenge.version:
        at = challenge.last_action_at or challenge.raised_at
        if challenge.last_actor_id == actor_id:  # a double click, or a second tab
            raise AlreadyActioned(texts.ALREADY_DONE_BY_YOU.format(at=describe(at)))
        raise AlreadyActioned(texts.ALREADY_ACTIONED.format(
            name=roster.name_of(challenge.last_actor_id) if challenge.last_actor_id else texts.TIME_LIMIT_ACTOR,
            at=describe(at)))


def authorize(challenge: Challenge, cmd: ChallengeCommand, roster: Roster) -> None:
    """Reviewer actions need the assigned reviewer, their delegate or someone above them;
    the challenger's own actions need the challenger."""
    actor = cmd.actor_id
    if roster.get(actor) is None:
        raise NotAllowed(texts.UNKNOWN_PERSON)
    is_challenger = actor == challenge.challenger_id
    who = transitions.rule_for(challenge, cmd).who
    if who is Who.CHALLENGER:
        if not is_challenger:
            raise NotAllowed(texts.ONLY_CHALLENGER.format(reference=challenge.reference,
                                                          name=roster.name_of(challenge.challenger_id)))
        return
    if who is Who.ROLE_HOLDER:
        return  # the ladder checks the roles these need
    if is_challenger and who is Who.REVIEWER:
        # Whatever roles they hold, nobody reviews their own challenge.
        raise NotAllowed(texts.OWN_CHALLENGE.format(reference=challenge.reference))
    if is_challenger and who is Who.INVOLVED:
        return
    if not may_review(challenge.policy, roster, actor, challenge.stage, challenge.area,
                      challenge.responsible):
        raise NotAllowed(texts.NOT_YOURS.format(names=", ".join(roster.name_of(p) for p in challenge.responsible)))


def apply(change: ladder.Change, cmd: ChallengeCommand) -> None:
    """Route a command to its transition."""
    actor = cmd.actor_id
    match cmd:
        case Accept():
            decisions.accept(change, actor)
        case Escalate(reason=reason):
            challenger_turn = transitions.rule_for(change.challenge, cmd).who is Who.CHALLENGER
            if not challenger_turn and not reason.strip():
                raise InvalidCommand(texts.ESCALATION_NEEDS_REASON, field="reason")
            ladder.check_free_text(texts.FREE_TEXT_LABELS["reason"], reason, "reason")
            ladder.escalate(change, actor, "challenger" if challenger_turn else "reviewer", change.now, reason)
            change.reply = texts.REPLY_ESCALATED.format(reference=change.challenge.reference, stage=change.stage_name())
        case RecordOutcome(outcome=outcome, rationale=rationale, level=level, assessment_under_way=under_way,
                           record_made=record_made):
            decisions.record_outcome(change, actor, outcome, rationale, level, under_way, record_made)
        case JointAgreementAnswer(agree=agree, reason=reason):
            decisions.joint_answer(change, actor, agree, reason)
        case AcceptOutcome():
            decisions.accept_outcome(change, actor)
        case Withdraw(reason=reason):
            decisions.withdraw(change, actor, reason)
        case Delegate(to_id=to_id):
            decisions.delegate(change, actor, to_id)
        case MarkUrgent(reason=reason, protective_action=protective_action):
            decisions.mark_urgent(change, actor, reason, protective_action)
        case UpdateRag(rag=rag):
            decisions.update_rag(change, actor, rag)
        case SetCpOrLookedAfter(value=value):
            decisions.set_cp_or_looked_after(change, actor, value)
        case AddLesson(category=category, text=text, scope=scope):
            lessons.add(change, actor, scope, category, text, LESSON_CATEGORIES)
        case TellCsapNonInvolvement(detail=detail):
            decisions.tell_csap(change, actor, detail)
        case BookDiscussion(when=when, how=how, minutes=minutes):
            discussions.book(change, actor, when, how, minutes)
        case _:
            raise TypeError(f"unknown command {type(cmd).__name__}")


def may_act(challenge: Challenge | None, cmd: ChallengeCommand, roster: Roster) -> Challenge:
    """The refusals every command meets, read or under the write lock: unknown, stale or
    repeated, not theirs, not in a state the command can leave (bot.transitions). Returns the
    challenge it may act on."""
    if challenge is None:
        raise NotFound(texts.NOT_FOUND.format(reference=cmd.reference))
    check_fresh(challenge, cmd, roster, ladder.calendar_of(challenge.policy).describe)
    authorize(challenge, cmd, roster)
    transitions.check_state(challenge, transitions.rule_for(challenge, cmd))
    return challenge
