"""Telephone / face-to-face discussions between the parties: the other party's number on the
card, and booking a discussion that emails everyone an invitation.

"Professional challenge should be by telephone" / "ideally face to face or via Teams and any
recordings around the challenge should be documented via Email": mashbot books the time the
parties chose and records it (the CSAP form's "Stage 3 meeting / discussion date"); what is
said stays between them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot import sides, texts
from bot.kinds import EventKind, MessageKind
from bot.challenge import Challenge, Channel
from bot.errors import InvalidCommand, NotAllowed
from bot.reviewers import may_review
from bot.roster import Roster

if TYPE_CHECKING:
    from bot.ladder import Change

HOW = {"telephone": "Telephone", "teams": "Microsoft Teams", "face_to_face": "Face to face"}
MINUTES = (15, 30, 45, 60, 90)
WHEN_FORMAT = "YYYY-MM-DD HH:MM"
FURTHEST = timedelta(days=60)


def parties(ch: Challenge, roster: Roster) -> list[str]:
    """Who takes part in a stage's discussion: the challenger, who has the stage, its counterparts."""
    responsible = ch.responsible
    return list(dict.fromkeys((ch.challenger_id, *responsible, *sides.counterparts_of(ch, roster))))


def may_book(ch: Challenge, roster: Roster, person_id: str) -> bool:
    if not ch.is_active or roster.get(person_id) is None:
        return False
    if person_id in parties(ch, roster):
        return True
    return person_id != ch.challenger_id and may_review(ch.policy, roster, person_id, ch.stage, ch.area,
                                                        ch.responsible)


def other_parties(ch: Challenge, roster: Roster, viewer_id: str) -> list[str]:
    """The people on the other side of the discussion from the viewer (not a fellow pool member)."""
    responsible = list(ch.responsible)
    counterparts = list(sides.counterparts_of(ch, roster))
    if viewer_id == ch.challenger_id:
        found = [*responsible, *counterparts]
    elif viewer_id in counterparts:
        found = [ch.challenger_id, *responsible]
    else:
        found = [ch.challenger_id, *counterparts]
    return [p for p in dict.fromkeys(found) if p != viewer_id]


def phone_lines(ch: Challenge, roster: Roster, viewer_id: str) -> list[tuple[str, str]]:
    """("Phone Ava Okafor", "01632 960 101") for each other party with a number in the roster."""
    if not ch.is_active or not may_book(ch, roster, viewer_id):
        return []
    found = []
    for pid in other_parties(ch, roster, viewer_id):
        person = roster.get(pid)
        if person is not None and person.phone:
            found.append((f"Phone {person.name}", f"{person.phone} ({sides.job_title(roster, pid)})"))
    return found


def parse_when(text: str, zone: str, now: datetime) -> datetime:
    """A local 'YYYY-MM-DD HH:MM' in the policy's zone as a UTC instant, in the next 60 days."""
    try:
        local = datetime.strptime(text.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        raise InvalidCommand(texts.DISCUSSION_WHEN_FORMAT.format(format=WHEN_FORMAT), field="when") \
            from None
    at = local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    if at <= now:
        raise InvalidCommand(texts.DISCUSSION_IN_THE_PAST, field="when")
    if at - now > FURTHEST:
        raise InvalidCommand(texts.DISCUSSION_TOO_FAR, field="when")
    return at


def book(change: Change, actor: str, when: str, how: str, minutes: int) -> None:
    """Record the discussion the parties chose and email each of them an invitation."""
    ch = change.challenge
    if not may_book(ch, change.roster, actor):
        raise NotAllowed("Only the parties of this stage can book its discussion.")
    if how not in HOW:
        raise InvalidCommand(texts.DISCUSSION_HOW_MUST_BE.format(choices=", ".join(HOW.values())), field="how")
    if minutes not in MINUTES:
        raise InvalidCommand(texts.DISCUSSION_LENGTH_MUST_BE.format(choices=", ".join(map(str, MINUTES))),
                             field="minutes")
    starts = parse_when(when, ch.policy.zone, change.now)
    ch.discussions = (*ch.discussions, (ch.stage, starts))
    people = parties(ch, change.roster)
    if actor not in people:
        people.append(actor)
    change.touch(actor, "discussion_booked")
    change.event(EventKind.DISCUSSION_BOOKED, ch.state, actor, starts_at=starts.isoformat(), how=HOW[how],
                 minutes=minutes, to=people)
    change.send(MessageKind.DISCUSSION_INVITATION, people, Channel.EMAIL, how_label=HOW[how], minutes=minutes,
                starts=change.cal.describe_with_year(starts), booked_by=change.roster.name_of(actor),
                record_location=ch.policy.record_location,
                calendar=invitation(change, actor, people, starts, how, minutes))
    change.reply = (f"Discussion booked for {change.cal.describe_with_year(starts)} ({HOW[how].lower()}); "
                    f"an invitation is emailed to {change.names(people)}.")


def invitation(change: Change, actor: str, people: list[str], starts: datetime, how: str,
               minutes: int) -> dict[str, Any]:
    """What the email's calendar attachment is built from (adapters/invitations.py)."""
    ch = change.challenge
    roster = change.roster

    def who(pid: str) -> dict[str, str]:
        person = roster.get(pid)
        return {"name": person.name if person else pid, "email": str(person.email) if person else ""}

    return {
        "uid": f"{ch.reference}-{ch.stage}-{int(starts.timestamp())}@mashbot",
        "stamp": change.now.astimezone(UTC).isoformat(),
        "starts": starts.isoformat(),
        "ends": (starts + timedelta(minutes=minutes)).isoformat(),
        "summary": f"Professional challenge {ch.reference}: {ch.policy.stage(ch.stage).name} discussion",
        "location": HOW[how],
        "description": (f"Discussion of professional challenge {ch.reference} ({ch.area}) at "
                        f"{ch.policy.stage(ch.stage).name}. {ch.policy.record_location}"),
        "organizer": who(actor),
        "attendees": [who(p) for p in people],
    }
