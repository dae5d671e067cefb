"""The Senior Managers' daily digest (DESIGN §1, §6): pure view models and their text.

Given the challenges, the roster, the policy and `now`, it says what each digest recipient
(the roster people holding the policy's `notifications.digest` roles) gets for their areas:
overdue (breached first), due today, due by the next working day, urgent, raised and
resolved since their last digest, and the open challenges counted per stage and per area.

Only references, stages, areas, due times in words and staff names appear — never a
child's details, the case reference or a challenge's free text.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import cast

from bot import texts
from bot.calendar import WorkingCalendar
from bot.challenge import (
    ACTIVE_STATES,
    UNDECIDED_STATES,
    Challenge,
    Channel,
    Message,
    State,
)
from bot.kinds import MessageKind
from bot.policy import DIGEST_TIME, Policy
from bot.roster import KNOWN_AREAS, Person, Roster
from bot.summary import ChallengeSummary, Listed, TimedOut, timeouts_of

DIGEST_KIND = MessageKind.DIGEST
ALL_AREAS = texts.DIGEST_ALL_AREAS  # the console reads it from here

@dataclass(frozen=True)
class FailedMessage:
    """An outbox message given up on, as the digest may show it: never its content."""

    kind: str
    recipient_id: str
    channel: str
    reference: str | None
    queued_at: datetime


@dataclass(frozen=True)
class UndeliveredLine:
    kind: str  # in words: "review requested"
    name: str  # the staff member (or mailbox) not reached
    channel: str
    reference: str | None
    queued: str
SOON_HOURS = 24  # an hour-limited item due within this is "due within hours", not a dated bucket


@dataclass(frozen=True)
class DigestLine:
    """One challenge as a digest shows it."""

    reference: str
    area: str
    stage: int
    stage_name: str
    due_at: datetime
    due: str  # in words, policy zone: "Tue 5 Jan, 17:00"
    urgent: bool
    breached: bool
    reviewers: str  # the owner, else the stage's reviewers (staff names)
    challenger: str  # staff name of whoever raised it
    note: str = ""  # resolved lines: how it ended
    left: str = ""  # "3 h 20 min" for an item due within hours

    @property
    def badges(self) -> tuple[str, ...]:
        """The flags shown beside the line, each its own word."""
        return tuple(b for b, on in ((texts.DIGEST_BADGE_BREACHED, self.breached), (texts.DIGEST_BADGE_URGENT, self.urgent)) if on)


@dataclass(frozen=True)
class StageCount:
    stage: int
    stage_name: str
    count: int


@dataclass(frozen=True)
class Recipient:
    """Who gets a digest, for which areas (empty = all), and for whom they cover."""

    person: Person
    areas: tuple[str, ...] = ()
    covering_for: tuple[str, ...] = ()  # names of away recipients whose digest this covers


@dataclass(frozen=True)
class Digest:
    person_id: str
    person_name: str
    areas: tuple[str, ...]
    covering_for: tuple[str, ...]
    day: date
    day_words: str
    since: datetime
    since_words: str
    next_day: date
    next_day_label: str
    overdue: tuple[DigestLine, ...] = ()
    due_today: tuple[DigestLine, ...] = ()
    due_soon: tuple[DigestLine, ...] = ()
    due_next: tuple[DigestLine, ...] = ()
    timed_out: tuple[DigestLine, ...] = ()  # the reader's own stages that ran out
    urgent: tuple[DigestLine, ...] = ()
    raised: tuple[DigestLine, ...] = ()
    resolved: tuple[DigestLine, ...] = ()
    by_stage: tuple[StageCount, ...] = ()
    by_area: tuple[tuple[str, int], ...] = ()
    open_total: int = 0
    undelivered: tuple[UndeliveredLine, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Nothing open in the recipient's areas, nothing raised or resolved since, and no
        message that could not be delivered."""
        return not (self.open_total or self.raised or self.resolved or self.undelivered)

    @property
    def undelivered_heading(self) -> str:
        n = len(self.undelivered)
        return texts.DIGEST_SECTION_UNDELIVERED.format(count=n, s="" if n == 1 else "s")

    @property
    def subject(self) -> str:
        return texts.DIGEST_SUBJECT.format(day=self.day_words)

    @property
    def scope(self) -> str:
        return ", ".join(self.areas) if self.areas else texts.DIGEST_ALL_AREAS


@dataclass(frozen=True)
class _Scope:
    """What a digest looks at: the calendar, today and the next working day."""

    cal: WorkingCalendar
    now: datetime
    today: date
    next_day: date
    roster: Roster
    failed: tuple[FailedMessage, ...] = ()
    areas_of: Mapping[str, str] | None = None  # challenge reference -> area


# -- recipients --------------------------------------------------------------------------------

def recipients(policy: Policy, roster: Roster, day: date) -> list[Recipient]:
    """The roster people holding a digest role, in roster order.

    A recipient away on `day` gets none; their delegate (when present and not away) gets
    one for the away person's areas instead, merged with the delegate's own if any.
    """
    roles = policy.notifications.digest
    holders = [p for p in roster.people if any(r in p.roles for r in roles)]
    chosen: dict[str, Recipient] = {}
    covers: list[tuple[Person, Person]] = []
    for person in holders:
        if not person.is_away(day):
            chosen[person.id] = Recipient(person, person.areas)
            continue
        cover = roster.get(person.delegate)
        if cover is not None and not cover.is_away(day):
            covers.append((person, cover))
    for away, cover in covers:
        current = chosen.get(cover.id)
        if current is None:
            chosen[cover.id] = Recipient(cover, away.areas, (away.name,))
        else:
            chosen[cover.id] = Recipient(cover, _merge_areas(current.areas, away.areas),
                                         (*current.covering_for, away.name))
    order = {p.id: i for i, p in enumerate(roster.people)}
    return sorted(chosen.values(), key=lambda r: order.get(r.person.id, len(order)))


def _merge_areas(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    if not a or not b:
        return ()
    return tuple(x for x in KNOWN_AREAS if x in a or x in b)


# -- building ----------------------------------------------------------------------------------

def previous_digest_time(cal: WorkingCalendar, now: datetime, at: time = DIGEST_TIME) -> datetime:
    """The digest time on the last working day before now's local date (the default `since`
    for someone who never had a digest)."""
    day = cal.local(now).date()
    for _ in range(3660):
        day -= timedelta(days=1)
        if cal.is_working_day(day):
            return datetime.combine(day, at, tzinfo=cal.zone).astimezone(UTC)
    raise ValueError("no working day in the last ten years; check the calendar")


def build_digests(challenges: Sequence[Listed], roster: Roster, policy: Policy, now: datetime,
                  since: datetime, since_by_person: Mapping[str, datetime] | None = None,
                  cal: WorkingCalendar | None = None, failed: Sequence[FailedMessage] = ()) -> list[Digest]:
    """One digest per recipient. `since` is the default start of "raised/resolved since";
    `since_by_person` holds each recipient's last digest time when known; `failed` are the
    messages given up on, shown to the recipients whose areas they concern (those about no
    known challenge to recipients of all areas)."""
    cal = cal or policy.calendar()
    today = cal.local(now).date()
    scope = _Scope(cal, now, today, cal.next_working_day(today), roster, tuple(failed),
                   {c.reference: c.area for c in challenges} if failed else None)
    lasts = since_by_person or {}
    return [build_digest(r, challenges, scope, lasts.get(r.person.id, since))
            for r in recipients(policy, roster, today)]


def digest_for(person_id: str, challenges: Sequence[Listed], roster: Roster, policy: Policy, now: datetime,
               since: datetime, cal: WorkingCalendar | None = None,
               failed: Sequence[FailedMessage] = ()) -> Digest | None:
    """The digest of one recipient (None when they get none today): a page that shows one
    digest need not build everyone's."""
    cal = cal or policy.calendar()
    today = cal.local(now).date()
    wanted = next((r for r in recipients(policy, roster, today) if r.person.id == person_id), None)
    if wanted is None:
        return None
    scope = _Scope(cal, now, today, cal.next_working_day(today), roster, tuple(failed),
                   {c.reference: c.area for c in challenges} if failed else None)
    return build_digest(wanted, challenges, scope, since)


def build_digest(recipient: Recipient, challenges: Iterable[Listed], scope: _Scope,
                 since: datetime) -> Digest:
    cal, now, today = scope.cal, scope.now, scope.today
    mine = [c for c in challenges if not recipient.areas or c.area in recipient.areas]
    active = [c for c in mine if c.state in ACTIVE_STATES]
    undecided = [c for c in active if c.state in UNDECIDED_STATES]

    def line(c: Listed, note: str = "") -> DigestLine:
        return _line(c, scope, note)

    overdue = sorted((c for c in undecided if c.breached or c.due_at <= now),
                     key=lambda c: (not c.breached, c.due_at, c.reference))
    # Upcoming ones are due after now, so "due today" is "before tomorrow's local midnight":
    # two instants compared, not a time-zone conversion per challenge (thousands of them).
    # Only those due before the later of the two horizons are shown, so only they are sorted.
    soon_ends = now + timedelta(hours=SOON_HOURS)
    today_ends, next_day_ends = _midnight_after(cal, today), _midnight_after(cal, scope.next_day)
    horizon = max(soon_ends, next_day_ends)
    upcoming = sorted((c for c in undecided if not c.breached and now < c.due_at <= horizon), key=_by_due)
    soon = [c for c in upcoming if c.due_at <= soon_ends and _on_hours(c)]
    soon_refs = {c.reference for c in soon}
    dated = [c for c in upcoming if c.reference not in soon_refs]
    due_today = [c for c in dated if c.due_at < today_ends]
    due_next = [c for c in dated if today_ends <= c.due_at < next_day_ends]
    reader = recipient.person.id
    # A stage that ran out moved the challenge on, so only one past Stage 0 has any.
    timed_out = sorted((c for c in challenges if c.stage and any(
        reader in p.reviewers and since <= p.at <= now for p in _timeouts(c))), key=lambda c: c.reference)
    urgent = sorted((c for c in active if c.urgent), key=_by_due)
    raised = sorted((c for c in mine if since <= c.raised_at <= now), key=lambda c: (c.raised_at, c.reference))
    resolved = sorted((c for c in mine if c.state in (State.CLOSED, State.WITHDRAWN)
                       and c.closed_at is not None and since <= c.closed_at <= now),
                      key=lambda c: (c.closed_at or now, c.reference))
    return Digest(
        person_id=recipient.person.id,
        person_name=recipient.person.name,
        areas=recipient.areas,
        covering_for=recipient.covering_for,
        day=today,
        day_words=_day_words(today),
        since=since,
        since_words=cal.describe(since),
        next_day=scope.next_day,
        next_day_label=(texts.DIGEST_SECTION_DUE_TOMORROW if scope.next_day == today + timedelta(days=1)
                        else texts.DIGEST_SECTION_DUE_NEXT).format(day=_day_words(scope.next_day, year=False)),
        overdue=tuple(line(c) for c in overdue),
        due_today=tuple(line(c) for c in due_today),
        due_soon=tuple(line(c) for c in soon),
        due_next=tuple(line(c) for c in due_next),
        timed_out=tuple(line(c, _timed_out_note(c, reader)) for c in timed_out),
        urgent=tuple(line(c) for c in urgent),
        raised=tuple(line(c) for c in raised),
        resolved=tuple(line(c, _how_resolved(c)) for c in resolved),
        by_stage=_by_stage(active),
        by_area=tuple((a, n) for a in KNOWN_AREAS if (n := sum(1 for c in active if c.area == a))),
        open_total=len(active),
        undelivered=_undelivered(recipient, scope),
    )


def _undelivered(recipient: Recipient, scope: _Scope) -> tuple[UndeliveredLine, ...]:
    areas_of = scope.areas_of or {}
    lines: list[UndeliveredLine] = []
    for f in scope.failed:
        area = areas_of.get(f.reference) if f.reference else None
        if recipient.areas and area not in recipient.areas:
            continue
        lines.append(UndeliveredLine(kind=_kind_words(f.kind), name=scope.roster.name_of(f.recipient_id),
                                     channel=f.channel, reference=f.reference,
                                     queued=scope.cal.describe(f.queued_at)))
    return tuple(lines)


_ACRONYMS = {"csap": "CSAP", "iro": "IRO", "edt": "EDT", "lscp": "LSCP"}


def _kind_words(kind: str) -> str:
    """A message kind in words: "csap_form" -> "CSAP form"."""
    return " ".join(_ACRONYMS.get(w, w) for w in kind.split("_"))


def undelivered_text(line: UndeliveredLine) -> str:
    about = texts.DIGEST_ABOUT.format(reference=line.reference) if line.reference else ""
    return texts.DIGEST_UNDELIVERED_LINE.format(kind=line.kind[:1].upper() + line.kind[1:], name=line.name, channel=line.channel,
                                   about=about, queued=line.queued)


def _timeouts(c: Listed) -> tuple[TimedOut, ...]:
    """The stages of `c` that ran out: a summary for the digest carries them, a whole challenge
    has them in its history."""
    return c.timeouts if isinstance(c, ChallengeSummary) else timeouts_of(cast(Challenge, c))


def _on_hours(c: Listed) -> bool:
    """Whether the stage runs on clock hours (urgent, or a RAG limit in hours)."""
    if c.urgent:
        return True
    limit = c.policy.rag_limits.get(c.rag) if c.rag else None
    return (limit or c.policy.stage(c.stage).limit).unit.in_hours


def _timed_out_note(c: Listed, reader: str) -> str:
    names = [c.policy.stage(p.stage).name for p in _timeouts(c) if reader in p.reviewers]
    return texts.DIGEST_TIMED_OUT_NOTE.format(stages=", ".join(dict.fromkeys(names)),
                                              stage=c.policy.stage(c.stage).name)


def _left(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def _midnight_after(cal: WorkingCalendar, day: date) -> datetime:
    """The instant the local day after `day` begins."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=cal.zone).astimezone(UTC)


def _by_due(c: Listed) -> tuple[datetime, str]:
    return c.due_at, c.reference


def _line(c: Listed, scope: _Scope, note: str) -> DigestLine:
    roster = scope.roster
    people = c.responsible
    return DigestLine(
        reference=c.reference, area=c.area, stage=c.stage, stage_name=c.policy.stage(c.stage).name,
        due_at=c.due_at, due=scope.cal.describe(c.due_at), urgent=c.urgent, breached=c.breached,
        reviewers=", ".join(roster.name_of(p) for p in people) or "—",
        challenger=roster.name_of(c.challenger_id), note=note,
        left=_left(c.due_at - scope.now) if c.state in UNDECIDED_STATES and c.due_at > scope.now else "",
    )


def _how_resolved(c: Listed) -> str:
    if c.state is State.WITHDRAWN:
        return texts.DIGEST_RESOLVED_WITHDRAWN
    kind = c.outcome_kind
    return texts.OUTCOME_LABELS.get(kind.value, kind.value) if kind else "closed"


def _by_stage(active: Sequence[Listed]) -> tuple[StageCount, ...]:
    # Counted per (stage, policy object) first: thousands of challenges share a few policies,
    # so each stage's name is looked up once per policy, not once per challenge.
    per_policy: dict[tuple[int, int], int] = {}
    policies: dict[int, Policy] = {}
    for c in active:
        key = (c.stage, id(c.policy))
        per_policy[key] = per_policy.get(key, 0) + 1
        policies.setdefault(key[1], c.policy)
    counts: dict[tuple[int, str], int] = {}
    for (stage, policy_id), n in per_policy.items():
        named = (stage, policies[policy_id].stage(stage).name)
        counts[named] = counts.get(named, 0) + n
    return tuple(StageCount(stage, name, n) for (stage, name), n in sorted(counts.items()))


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _day_words(d: date, year: bool = True) -> str:
    text = f"{_DAYS[d.weekday()]} {d.day} {_MONTHS[d.month - 1]}"
    return f"{text} {d.year}" if year else text


# -- rendering ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Section:
    heading: str
    lines: tuple[DigestLine, ...]
    kind: str  # overdue, soon, due, raised, resolved, timed_out


def sections(d: Digest) -> list[Section]:
    """The digest's sections in reading order, headed for the day it is built for."""
    found = [
        Section(texts.DIGEST_SECTION_OVERDUE, d.overdue, "overdue"),
        Section(texts.DIGEST_SECTION_DUE_SOON, d.due_soon, "soon"),
        Section(texts.DIGEST_SECTION_DUE_TODAY.format(day=_day_words(d.day, year=False)), d.due_today, "due"),
        Section(d.next_day_label, d.due_next, "due"),
        Section(texts.DIGEST_SECTION_URGENT, d.urgent, "due"),
        Section(texts.DIGEST_SECTION_RAISED.format(since=d.since_words), d.raised, "raised"),
        Section(texts.DIGEST_SECTION_RESOLVED.format(since=d.since_words), d.resolved, "resolved"),
    ]
    if d.timed_out:
        found.insert(1, Section(texts.DIGEST_SECTION_TIMED_OUT.format(since=d.since_words), d.timed_out, "timed_out"))
    if not d.due_soon:
        found = [s for s in found if s.kind != "soon"]
    return found


def line_words(line: DigestLine, kind: str) -> str:
    """What a line says after its reference, area and stage (badges apart)."""
    if kind == "overdue":
        return texts.DIGEST_LINE_OVERDUE.format(due=line.due, reviewers=line.reviewers)
    if kind == "soon":
        return texts.DIGEST_LINE_SOON.format(left=line.left, due=line.due, reviewers=line.reviewers)
    if kind == "due":
        return texts.DIGEST_LINE_DUE.format(due=line.due, reviewers=line.reviewers)
    if kind == "raised":
        return texts.DIGEST_LINE_RAISED.format(challenger=line.challenger, reviewers=line.reviewers)
    if kind == "timed_out":
        return texts.DIGEST_LINE_NOTE.format(note=line.note, reviewers=line.reviewers)
    return texts.DIGEST_LINE_RESOLVED.format(note=line.note, challenger=line.challenger)


def _line_text(line: DigestLine, kind: str) -> str:
    head = f"{line.reference}  {line.area}  {line.stage_name}"
    flags = " ".join(b.upper() for b in line.badges)
    return f"{head} — {line_words(line, kind)}" + (f"  [{flags}]" if flags else "")


def _header(d: Digest) -> str:
    cover = f" ({texts.DIGEST_COVERING.format(names=', '.join(d.covering_for))})" if d.covering_for else ""
    return f"{texts.DIGEST_TITLE} — {d.day_words} — for {d.person_name}{cover}, {d.scope}"


def render_text(d: Digest) -> str:
    """The digest as plain text (also the body of its email)."""
    out = [_header(d), ""]
    if d.undelivered:  # first: someone was not told something they needed to know
        out.append(d.undelivered_heading)
        out.extend(f"  {undelivered_text(line)}" for line in d.undelivered)
        out.extend([f"  {texts.DIGEST_UNDELIVERED_HINT}", ""])
    if not (d.open_total or d.raised or d.resolved):
        out.append(texts.DIGEST_NOTHING_OPEN.format(since=d.since_words))
        return "\n".join(out) + "\n"
    for section in sections(d):
        heading, lines, kind = section.heading, section.lines, section.kind
        out.append(f"{heading} ({len(lines)})")
        out.extend(f"  {_line_text(line, kind)}" for line in lines)
        if not lines:
            out.append(f"  {texts.DIGEST_NOTHING}")
        out.append("")
    stages = " · ".join(f"{s.stage_name} {s.count}" for s in d.by_stage) or texts.DIGEST_NOTHING
    areas = " · ".join(f"{a} {n}" for a, n in d.by_area) or texts.DIGEST_NOTHING
    out.append(f"{texts.DIGEST_SECTION_BY_STAGE} ({d.open_total}): {stages}")
    out.append(f"{texts.DIGEST_SECTION_BY_AREA}: {areas}")
    return "\n".join(out) + "\n"


def render_html(d: Digest) -> str:
    """The digest as a small HTML fragment (the email's HTML part)."""
    e = html.escape
    out = [f"<h2>{e(_header(d))}</h2>"]
    if d.undelivered:
        out.append(f"<h3>{e(d.undelivered_heading)}</h3>")
        out.append("<ul>" + "".join(f"<li>{e(undelivered_text(line))}</li>" for line in d.undelivered) + "</ul>")
        out.append(f"<p>{e(texts.DIGEST_UNDELIVERED_HINT)}</p>")
    if not (d.open_total or d.raised or d.resolved):
        out.append(f"<p>{e(texts.DIGEST_NOTHING_OPEN.format(since=d.since_words))}</p>")
        return "\n".join(out)
    for section in sections(d):
        heading, lines, kind = section.heading, section.lines, section.kind
        out.append(f"<h3>{e(heading)} ({len(lines)})</h3>")
        if lines:
            out.append("<ul>" + "".join(f"<li>{e(_line_text(line, kind))}</li>" for line in lines) + "</ul>")
        else:
            out.append(f"<p>{e(texts.DIGEST_NOTHING)}</p>")
    stages = " · ".join(f"{s.stage_name} {s.count}" for s in d.by_stage) or texts.DIGEST_NOTHING
    areas = " · ".join(f"{a} {n}" for a, n in d.by_area) or texts.DIGEST_NOTHING
    out.append(f"<p>{e(texts.DIGEST_SECTION_BY_STAGE)} ({d.open_total}): {e(stages)}<br>{e(texts.DIGEST_SECTION_BY_AREA)}: {e(areas)}</p>")
    return "\n".join(out)


def as_message(d: Digest) -> Message:
    """The outbox row for a digest: a DM (email when the person has no chat identity)."""
    return Message(kind=DIGEST_KIND, to=d.person_id, reference=None, channel=Channel.CHAT,
                   data={"subject": d.subject, "body": render_text(d), "html": render_html(d),
                         "day": d.day.isoformat(), "open_total": d.open_total,
                         "overdue": len(d.overdue), "undelivered": len(d.undelivered)})
