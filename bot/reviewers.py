"""Who reviews a stage, who covers, and who may act as reviewer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot import texts
from bot.errors import NoReviewer
from bot.policy import Policy, Scope
from bot.roster import Person, Roster


@dataclass(frozen=True)
class Assignment:
    """The stage that will actually run and its reviewers, with why stages were skipped."""

    stage: int
    reviewers: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())


def stage_candidates(policy: Policy, roster: Roster, stage: int, area: str) -> list[Person]:
    """Everyone holding the stage's role, for the area when the stage is area-scoped."""
    spec = policy.stage(stage)
    return roster.with_role(spec.role, area if spec.scope is Scope.AREA else None)


def _cover(roster: Roster, person: Person, day: date) -> Person | None:
    """The person, or their delegate while they are away; None when nobody covers."""
    if not person.is_away(day):
        return person
    delegate = roster.get(person.delegate)
    if delegate is not None and not delegate.is_away(day):
        return delegate
    return None


def present_reviewers(policy: Policy, roster: Roster, stage: int, area: str, day: date,
                      challenger: str | None = None) -> tuple[str, ...]:
    """Reviewers of one stage on `day`, with delegates standing in for people away.

    The challenger is never one of them: nobody reviews their own challenge, not even as
    someone's delegate.
    """
    ids: list[str] = []
    for person in stage_candidates(policy, roster, stage, area):
        if person.id == challenger:
            continue
        cover = _cover(roster, person, day)
        if cover is not None and cover.id not in ids and cover.id != challenger:
            ids.append(cover.id)
    return tuple(ids)


def assign(
    policy: Policy, roster: Roster, stage: int, area: str, day: date, just_decided: str | None = None,
    challenger: str | None = None,
) -> Assignment:
    """Resolve the reviewers of `stage`, moving up the ladder when nobody can take it.

    A stage is skipped when everyone holding it is away with no delegate, when its only
    reviewer is the person who just decided the previous stage (flat structures), or when
    its only holder is the challenger.
    """
    notes: list[str] = []
    for index in range(stage, len(policy.stages)):
        name = policy.stage(index).name
        reviewers = present_reviewers(policy, roster, index, area, day, challenger)
        if not reviewers and any(p.id == challenger for p in stage_candidates(policy, roster, index, area)):
            notes.append(texts.SKIPPED_CHALLENGER.format(stage=name))
            continue
        if not reviewers:
            notes.append(texts.SKIPPED_NOBODY.format(stage=name))
            continue
        if just_decided is not None and reviewers == (just_decided,):
            notes.append(texts.SKIPPED_SAME_PERSON.format(stage=name))
            continue
        return Assignment(index, reviewers, tuple(notes))
    raise NoReviewer(texts.NO_REVIEWER.format(stage=policy.stage(stage).name, area=area))


def next_level_reviewers(
    policy: Policy, roster: Roster, stage: int, area: str, day: date, just_decided: str | None = None,
    challenger: str | None = None,
) -> Assignment | None:
    """Who takes the challenge when it leaves `stage`: the stage above (or the first one
    above it someone can take) with cover for people away, never the challenger.

    The urgent heads-up and the escalation both ask this, so the people warned that a
    speedy response is needed are the people the stage is then assigned to. None at the
    last stage, or when nobody above can take it.
    """
    if stage >= policy.last_stage:
        return None
    try:
        return assign(policy, roster, stage + 1, area, day, just_decided, challenger)
    except NoReviewer:
        return None


def is_above(policy: Policy, person: Person, stage: int, area: str) -> bool:
    """True when the person holds the role of a later stage of the ladder for this area."""
    for spec in policy.stages[stage + 1 :]:
        if person.has_role(spec.role, area if spec.scope is Scope.AREA else None):
            return True
    return False


def may_review(policy: Policy, roster: Roster, person_id: str, stage: int, area: str,
               responsible: tuple[str, ...]) -> bool:
    """Only the owner/assigned reviewers (`Challenge.responsible`), their delegates or someone
    above them may act."""
    person = roster.get(person_id)
    if person is None:
        return False
    if person_id in responsible:
        return True
    for rid in responsible:
        holder = roster.get(rid)
        if holder is not None and holder.delegate == person_id:
            return True
    return is_above(policy, person, stage, area)


def required_roles(policy: Policy, areas: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """(role, area) pairs a roster must cover for this policy's ladder and notices."""
    needed: list[tuple[str, str | None]] = []
    for spec in policy.stages:
        if spec.scope is Scope.AREA:
            needed.extend((spec.role, area) for area in areas)
        else:
            needed.append((spec.role, None))
        if spec.joint and spec.counterpart:  # a joint stage's outcome waits for the area's counterpart
            needed.extend((spec.counterpart, area) for area in areas)
    n = policy.notifications
    for role in (n.csap, n.iro, n.edt, n.lessons_learned, *n.emergency_protocol):
        if role:
            needed.append((role, None))
    if n.case_note:  # the locality's own Practice Manager adds the case note
        needed.extend((n.case_note, area) for area in areas)
    if policy.joint_agreement:
        needed.extend((role, None) for role in policy.joint_agreement.roles)
    return list(dict.fromkeys(needed))
