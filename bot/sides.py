"""Both sides of the dispute: each stage's counterpart, the outcome a joint stage waits for,
and the notices the top of the ladder sends.

The MASH reviewer of a stage has a counterpart on the other side (Lancashire: the locality
Team Manager, Senior Manager, Head of Service). The counterpart of the challenge's area is sent
the stage card when the stage starts; where the pack says the stage is `joint` the outcome is
not final until they agree with it (or it goes back to the reviewer when they disagree, with a
reason) — the same waiting state as the joint agreement before an assessment is cancelled.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from bot.kinds import EventKind, MessageKind
from bot.challenge import Challenge, Channel
from bot.policy import Duty
from bot.roles import role_label
from bot.roster import Person, Roster

if TYPE_CHECKING:
    from bot.ladder import Change


def counterparts_of(ch: Challenge, roster: Roster, stage: int | None = None) -> tuple[str, ...]:
    """Who holds the stage's counterpart role for the challenge's area (never the challenger,
    never a reviewer of the same stage)."""
    index = ch.stage if stage is None else stage
    spec = ch.policy.stage(index)
    challenger = roster.get(ch.challenger_id)
    if spec.counterpart is None or challenger is None or challenger.side.value not in ch.policy.counterparts_for:
        return ()
    mine: set[str] = set()
    if index == ch.stage:
        mine = {*ch.reviewers, *((ch.owner_id,) if ch.owner_id else ())}
    return tuple(p.id for p in roster.with_role(spec.counterpart, ch.area)
                 if p.id != ch.challenger_id and p.id not in mine)


def involved_counterparts(ch: Challenge, stages: Iterable[int] | None = None) -> tuple[str, ...]:
    """Counterparts told of a stage so far (of the given stages), in order, once each."""
    wanted = None if stages is None else set(stages)
    return tuple(dict.fromkeys(pid for stage, pid in ch.counterparts if wanted is None or stage in wanted))


def is_counterpart(ch: Challenge, person_id: str) -> bool:
    """True for a counterpart sent a stage's card: they follow the challenge like a reviewer
    who decided an earlier stage."""
    return person_id in involved_counterparts(ch)


def awaited_roles(ch: Challenge) -> tuple[str, ...]:
    """The roles the recorded outcome waits for (joint agreement and/or the counterpart)."""
    if ch.outcome is None:
        return ()
    if ch.outcome.awaits:
        return ch.outcome.awaits
    joint = ch.policy.joint_agreement  # outcomes recorded before counterparts were asked
    return joint.roles if joint and ch.outcome.joint else ()


def answerable_roles(ch: Challenge, person: Person | None) -> list[str]:
    """The awaited roles this person may answer for: never the challenger, and the reviewer who
    proposed the outcome never answers as the other side's counterpart (flat structures)."""
    if person is None or ch.outcome is None or person.id == ch.challenger_id:
        return []
    joint = ch.policy.joint_agreement
    joint_roles = joint.roles if joint and ch.outcome.joint else ()
    return [r for r in awaited_roles(ch) if person.has_role(r, ch.area)
            and (r in joint_roles or person.id != ch.outcome.by)]


def counterpart_role_if_joint(change: Change) -> tuple[str, ...]:
    """The stage's counterpart role when the stage is joint and someone holds it for the area."""
    ch = change.challenge
    spec = ch.policy.stage(ch.stage)
    if not spec.joint or spec.counterpart is None or not counterparts_of(ch, change.roster):
        return ()
    return (spec.counterpart,)


def announce(change: Change) -> None:
    """At a stage's start: advise the other organisation when it comes by escalation to a
    senior level, tell CSAP when senior officers become involved, send the counterpart the card."""
    ch = change.challenge
    spec = ch.policy.stage(ch.stage)
    counterparts = counterparts_of(ch, change.roster)
    if Duty.ADVISE_OTHER_ORGANISATION in spec.duties and ch.history:
        advise_other_organisation(change, counterparts)
    if Duty.CSAP_SENIOR_NOTICE in spec.duties:
        change.notice(MessageKind.CSAP_SENIOR_NOTICE, change.role_holders(ch.policy.notifications.csap))
        change.event(EventKind.CSAP_SENIOR_NOTICE, ch.state, None)
    if counterparts:
        ch.counterparts = (*ch.counterparts, *((ch.stage, p) for p in counterparts))
        change.event(EventKind.COUNTERPART_INVOLVED, ch.state, None, counterparts=list(counterparts),
                     role=spec.counterpart, joint=spec.joint)
        change.send(MessageKind.COUNTERPART_STAGE, counterparts, counterpart_role=role_label(spec.counterpart or ""),
                    joint_line=JOINT_LINE if spec.joint else INFORMED_LINE)


JOINT_LINE = ("You decide this stage together: the outcome is not final until you agree with it, "
              "or disagree with a reason.")
INFORMED_LINE = "You are kept informed of this stage; no answer is needed from you."


def advise_other_organisation(change: Change, counterparts: tuple[str, ...]) -> None:
    """"The agency which found it necessary to escalate an issue to such a high level in
    another organisation should advise the other organisation of their intention to do so"."""
    ch = change.challenge
    past = ch.history[-1]
    # the other organisation: the locality's counterpart, or else the challenger's own agency
    # when MASH (or the clock) takes it up
    to = counterparts or involved_counterparts(ch, [past.stage]) or (
        (ch.challenger_id,) if past.by != ch.challenger_id else ())
    if not to:
        return
    who = change.roster.name_of(past.by) if past.by else "the time limit"
    change.send(MessageKind.ESCALATION_ADVICE, to, Channel.CHAT, escalated_by=who,
                from_stage=ch.policy.stage(past.stage).name, case_reference=ch.case_reference)
    change.event(EventKind.OTHER_ORGANISATION_ADVISED, ch.state, past.by, to=list(to))


def ask_agreement(change: Change, roles: tuple[str, ...], joint_roles: tuple[str, ...],
                  data: dict[str, Any]) -> list[str]:
    """Ask everyone whose agreement the outcome waits for; returns who was asked."""
    ch = change.challenge
    approvers = [p for role in joint_roles for p in change.role_holders(role, area_scoped=True)
                 if p != ch.challenger_id]
    if approvers:
        change.send(MessageKind.JOINT_AGREEMENT_REQUEST, approvers, **data)
    counterpart_roles = [r for r in roles if r not in joint_roles]
    counterparts = [p for p in counterparts_of(ch, change.roster)
                    if p not in approvers and any(change.roster.get(p).has_role(r, ch.area)  # type: ignore[union-attr]
                                                  for r in counterpart_roles)]
    if counterparts:
        change.send(MessageKind.COUNTERPART_AGREEMENT_REQUEST, counterparts, **data)
    return [*approvers, *counterparts]


def outcome_parties(change: Change) -> dict[str, Any]:
    """Who decided the outcome, from both sides, for the outcome's record."""
    ch = change.challenge
    assert ch.outcome is not None
    agreed = [f"{change.roster.name_of(pid)} ({role_label(role)})" for role, pid in ch.joint_agreed_by.items()]
    informed = [p for p in counterparts_of(ch, change.roster) if p not in ch.joint_agreed_by.values()]
    line = f" Agreed by: {', '.join(dict.fromkeys(agreed))}." if agreed else ""
    if informed:
        line += f" Counterpart informed: {change.roster.names(informed)}."
    return {"parties_line": line}


def outcome_recipients(change: Change) -> list[str]:
    ch = change.challenge
    return [*ch.joint_agreed_by.values(), *counterparts_of(ch, change.roster)]


def senior_officers(ch: Challenge, roster: Roster, from_stage: int) -> str:
    """Names (and job titles) of both sides' officers at `from_stage` and above."""
    ids: list[str] = []
    for past in ch.history:
        if past.stage >= from_stage:
            ids.extend(past.reviewers)
    if ch.stage >= from_stage:
        ids.extend(ch.responsible)
    ids.extend(involved_counterparts(ch, range(from_stage, len(ch.policy.stages))))
    ids.extend(ch.joint_agreed_by.values())
    return "; ".join(f"{roster.name_of(pid)} ({job_title(roster, pid)})" for pid in dict.fromkeys(ids)) or "—"


def job_title(roster: Roster, person_id: str | None) -> str:
    """A person's job title in words: the roster's `job_title`, else their roles' labels."""
    person = roster.get(person_id)
    if person is None:
        return ""
    return person.job_title or ", ".join(role_label(r) for r in person.roles)
