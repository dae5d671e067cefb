"""The console's lists read only what they show: one page (50, open first, soonest due
first), filtered by area, stage and state, from the summary columns (storage/summaries.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from adapters import bootstrap
from bot import views
from bot.calendar import WorkingCalendar, calendar_of
from bot.challenge import UNDECIDED_STATES, Challenge
from bot.roster import AREAS, Roster
from bot.summary import Listed
from storage import summaries
from storage.summaries import FINISHED, OPEN, ListFilter

PAGE_SIZE = 50
MAX_PAGE = 10_000
STATE_CHOICES = ((OPEN, "Open (any stage)"), (FINISHED, "Finished"), *views.STATE_LABELS.items())
_CHUNK = 200  # inbox rows examined at a time while filling a page


@dataclass(frozen=True)
class Page:
    """Where a list is: its filter (as given in the query) and page number."""

    area: str = ""
    stage: str = ""
    state: str = ""
    number: int = 1
    total: int | None = None  # None: not counted (the inbox)
    has_next: bool = False

    @property
    def offset(self) -> int:
        return (self.number - 1) * PAGE_SIZE

    @property
    def pages(self) -> int | None:
        return None if self.total is None else max(1, -(-self.total // PAGE_SIZE))

    def where(self, person_id: str | None = None) -> ListFilter:
        return ListFilter(area=self.area or None, stage=int(self.stage) if self.stage else None,
                          state=self.state or None, person_id=person_id)

    def href(self, path: str, number: int) -> str:
        query = {k: v for k, v in (("area", self.area), ("stage", self.stage), ("state", self.state)) if v}
        query["page"] = str(number)
        return f"{path}?{urlencode(query)}"


def bad_request(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=message, content_type="text/plain")


def page_of(query: Mapping[str, str], stages: int) -> Page:
    """The page a query asks for; a 400 that says what to fix for anything else."""
    area, stage, state = query.get("area", "").strip(), query.get("stage", "").strip(), query.get("state", "").strip()
    if area and area not in AREAS:
        raise bad_request(f"Unknown area {area!r}: use one of {', '.join(AREAS)}, or leave it out for all areas.")
    if stage and not (stage.isdigit() and int(stage) < stages):
        raise bad_request(f"Unknown stage {stage!r}: use a stage number from 0 to {stages - 1}.")
    if state and state not in dict(STATE_CHOICES):
        raise bad_request(f"Unknown state {state!r}: use one of {', '.join(k for k, _ in STATE_CHOICES)}.")
    raw = query.get("page", "1").strip() or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise bad_request(f"Page {raw!r} is not a page number: use 1 or more.")
    return Page(area, stage, state, int(raw))


def urgency(c: Listed, now: datetime) -> views.Urgency:
    """A list row's colour, from the summary alone."""
    if not c.is_active:
        return views.Urgency.DONE
    if c.breached:
        return views.Urgency.BREACHED
    if c.state in UNDECIDED_STATES and c.due_at <= now:
        return views.Urgency.OVERDUE
    if c.urgent:
        return views.Urgency.URGENT
    return views.Urgency.NORMAL


def row(c: Listed, roster: Roster, now: datetime, cal: WorkingCalendar) -> dict[str, Any]:
    """One line of the all-challenges list (no action forms: those are on the challenge's page)."""
    people = c.responsible
    return {
        "reference": c.reference, "case_reference": c.case_reference, "area": c.area,
        "stage_name": c.policy.stage(c.stage).name, "state_label": views.STATE_LABELS[c.state.value],
        "due": cal.describe(c.due_at) if c.state in UNDECIDED_STATES else "", "urgency": urgency(c, now),
        "urgent": c.urgent, "breached": c.breached, "people": ", ".join(roster.name_of(p) for p in people) or "—",
        "challenger_name": roster.name_of(c.challenger_id),
    }


async def challenge_rows(service: bootstrap.Service, page: Page) -> tuple[Roster, Page, list[dict[str, Any]]]:
    async with service.database.uow(read_only=True) as uow:
        roster = await uow.people.roster()
        where = page.where()
        total = await summaries.count(uow.session, where)
        found = await summaries.summaries(uow.session, service.database.snapshots, where,
                                          limit=PAGE_SIZE, offset=page.offset)
    now = service.now()
    calendars: dict[int, WorkingCalendar] = {}
    rows = [row(c, roster, now, calendars.setdefault(id(c.policy), calendar_of(c.policy))) for c in found]
    return roster, Page(page.area, page.stage, page.state, page.number, total,
                        page.offset + len(found) < total), rows


async def inbox_page(service: bootstrap.Service, page: Page, roster: Roster,
                     viewer_id: str) -> tuple[Page, list[views.CardView]]:
    """The viewer's cards on this page: what they raised, hold, decided or must agree to."""
    mine: list[Challenge] = []
    wanted = page.offset + PAGE_SIZE + 1  # one more tells whether there is a next page
    offset = 0
    async with service.database.uow(read_only=True) as uow:
        where = page.where(person_id=viewer_id)
        while len(mine) < wanted:
            chunk = min(_CHUNK, wanted - len(mine) + 10)  # a little over: some rows are not theirs
            found = await summaries.summaries(uow.session, service.database.snapshots, where,
                                              limit=chunk, offset=offset)
            whole = await summaries.whole(uow.session, service.database.snapshots, [c.reference for c in found])
            mine.extend(c for c in whole if views.relation(c, roster, viewer_id))
            if len(found) < chunk:
                break
            offset += chunk
    shown = mine[page.offset:page.offset + PAGE_SIZE]
    now = service.now()
    cards = [views.card_for(c, roster, viewer_id, now) for c in shown]
    return Page(page.area, page.stage, page.state, page.number, None, len(mine) > page.offset + PAGE_SIZE), cards


def overview(found: Sequence[Listed], now: datetime, cal: WorkingCalendar) -> list[dict[str, Any]]:
    """Open challenges per area: counts a Senior Manager scans first."""
    today = cal.local(now).date()
    # Local "today" as two instants, so each challenge is compared, not converted.
    starts = datetime.combine(today, time(0), tzinfo=cal.zone).astimezone(UTC)
    ends = datetime.combine(today + timedelta(days=1), time(0), tzinfo=cal.zone).astimezone(UTC)
    # One pass over the rows (thousands on a county's digest), counting into each area's line.
    rows = {area: {"area": area, "open": 0, "urgent": 0, "overdue": 0, "due_today": 0, "closed": 0,
                   "raised_today": 0} for area in AREAS}
    late = (views.Urgency.OVERDUE, views.Urgency.BREACHED)
    for c in found:
        counts = rows.get(c.area)
        if counts is None:
            continue
        if starts <= c.raised_at < ends:
            counts["raised_today"] += 1
        if not c.is_active:
            counts["closed"] += 1
            continue
        counts["open"] += 1
        counts["urgent"] += c.urgent
        counts["overdue"] += urgency(c, now) in late
        counts["due_today"] += c.state in UNDECIDED_STATES and now < c.due_at < ends
    return list(rows.values())
