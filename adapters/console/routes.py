"""Routes of the local web console. See the package docstring for when it is mounted."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from jinja2 import Environment, StrictUndefined, select_autoescape

from adapters import bootstrap, pages
from adapters.console import paging
from adapters.console.guard import FLASH_COOKIE, decode_flash, encode_flash, guard_middleware, read_form
from adapters.local_modes import LocalOnlyError, console_enabled, console_problem, demo_clock_enabled
from bot import texts, views
from bot.calendar import calendar_of
from bot.errors import NotFound
from bot.roles import role_label
from bot.roster import Person, Roster
from bot.timeline import timeline as audit_timeline
from dialogs.desk import Payload, Tone, may_see
from dialogs.intake import COMPLAINT_FIELDS, TOGGLE_ON, form_for_policy, refill
from storage import summaries

try:  # the Senior Managers' digest (bot/digest.py); the console shows an overview without it
    from bot import digest as digest_module
except ImportError:  # pragma: no cover - only while the digest is not built
    digest_module = None  # type: ignore[assignment]

log = logging.getLogger("mashbot.console")

HERE = Path(__file__).resolve().parent
STATIC_PREFIX = "/console/static"
ACTOR_COOKIE = "mashbot_console_as"

# Demo clock steps: (label, hours, working days).
CLOCK_STEPS: dict[str, tuple[str, int, int]] = {
    "hour": ("+1 hour", 1, 0),
    "day": ("+1 working day", 0, 1),
    "week": ("+5 working days", 0, 5),
}

SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

# --- app state -------------------------------------------------------------------------


@dataclass
class Console:
    service: bootstrap.Service
    templates: Environment
    demo_clock: bool


CONSOLE = web.AppKey("console", Console)


def mount_console(app: web.Application, service: bootstrap.Service, *, host: str | None = None,
                  environ: Mapping[str, str] | None = None) -> bool:
    """Add the console's routes to `app` when it is enabled; True when it was mounted.

    LocalOnlyError when it is enabled and `host` is not a loopback address."""
    host = service.settings.host if host is None else host
    if not console_enabled(service.settings, environ):
        return False
    problem = console_problem(service.settings, host, environ)
    if problem:
        raise LocalOnlyError(problem)
    templates = Environment(loader=pages.loader("adapters.console"),
                            autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                            trim_blocks=True, lstrip_blocks=True)
    templates.globals.update(static=STATIC_PREFIX, TOGGLE_ON=TOGGLE_ON)
    console = Console(service, templates, demo_clock_enabled(service.settings, environ))
    app[CONSOLE] = console
    r = app.router
    routes = [r.add_get("/", home, name="console-home"), r.add_post("/act-as", act_as),
              r.add_get("/raise", raise_form), r.add_post("/raise", raise_submit),
              r.add_get("/challenges", challenge_list), r.add_get("/challenges/{reference}", challenge_page),
              r.add_post("/challenges/{reference}/{verb}", challenge_action),
              r.add_get("/digest", digest_page), r.add_post("/clock", clock)]
    resources = frozenset([route.resource for route in routes] + [r.add_static(STATIC_PREFIX, pages.STATIC)])
    app.middlewares.append(guard_middleware(resources, SECURITY_HEADERS))
    log.info("web console enabled at / (demo clock %s)", "on" if console.demo_clock else "off")
    return True


# --- helpers ---------------------------------------------------------------------------


def _console(request: web.Request) -> Console:
    return request.app[CONSOLE]


async def _roster(service: bootstrap.Service) -> Roster:
    async with service.database.uow(read_only=True) as uow:
        return await uow.people.roster()


def _actor(request: web.Request, roster: Roster) -> Person | None:
    return roster.get(request.cookies.get(ACTOR_COOKIE))


def _selectable(roster: Roster) -> list[tuple[str, list[tuple[str, str]]]]:
    """People for the "acting as" selector, grouped by side; team mailboxes left out."""
    groups: dict[str, list[tuple[str, str]]] = {}
    names = texts.CONSOLE_ROSTER_GROUPS
    for p in roster.people:
        if p.roles and all(r.endswith("_mailbox") for r in p.roles):
            continue
        roles = ", ".join(role_label(r) for r in p.roles) or "no role"
        areas = f" ({', '.join(p.areas)})" if p.areas else ""
        groups.setdefault(names.get(p.side.value, p.side.value), []).append((p.id, f"{p.name} — {roles}{areas}"))
    return list(groups.items())


def _redirect(location: str, *flash: tuple[str, str]) -> web.HTTPSeeOther:
    response = web.HTTPSeeOther(location)
    if flash:
        response.set_cookie(FLASH_COOKIE, encode_flash(flash), httponly=True, samesite="Strict", path="/")
    return response


def _safe_next(value: Any, default: str) -> str:
    """Only local paths: never redirect to another site."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


def _same_origin(request: web.Request) -> bool:
    """Refuse cross-site form posts (the console has no login: the origin is the guard).

    Browsers send Sec-Fetch-Site; without it, an Origin header must name this host."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser's cross-site post (those carry Origin)
    return origin != "null" and urlsplit(origin).netloc == request.host


def _when(service: bootstrap.Service, at: datetime) -> str:
    return calendar_of(service.policy).describe_with_year(at)


async def _page(request: web.Request, template: str, status: int = 200, *, roster: Roster | None = None,
                **context: Any) -> web.Response:
    console = _console(request)
    service = console.service
    roster = roster if roster is not None else await _roster(service)
    actor = _actor(request, roster)
    flash = decode_flash(request.cookies.get(FLASH_COOKIE))
    now = service.now()
    html = console.templates.get_template(template).render(
        policy=service.policy, people=_selectable(roster), actor=actor, flash=flash, path=request.path_qs,
        demo_clock=console.demo_clock, clock_steps=CLOCK_STEPS, now_words=_when(service, now),
        clock_moved=service.clock_offset != timedelta(0), empty_roster=not len(roster), **context)
    response = web.Response(text=html, content_type="text/html", status=status, headers=SECURITY_HEADERS)
    if FLASH_COOKIE in request.cookies:
        response.del_cookie(FLASH_COOKIE, path="/")
    return response


def _forbidden() -> web.HTTPForbidden:
    return web.HTTPForbidden(text=texts.CONSOLE_CROSS_SITE, headers=SECURITY_HEADERS)


# --- pages -----------------------------------------------------------------------------


async def home(request: web.Request) -> web.Response:
    """The acting person's inbox of cards (or the "choose who you are" page), one page at a time."""
    service = _console(request).service
    page = paging.page_of(request.query, len(service.policy.stages))
    roster = await _roster(service)
    actor = _actor(request, roster)
    sections: list[tuple[str, str, list[views.CardView]]] = []
    if actor is not None:
        page, cards = await paging.inbox_page(service, page, roster, actor.id)
        needs = [c for c in cards if c.active and any(a.verb not in views.SHARED_VERBS for a in c.actions)]
        following = [c for c in cards if c.active and c not in needs]
        done = [c for c in cards if not c.active]
        sections = [("needs-you", texts.CONSOLE_NEEDS_YOU, needs), ("following", texts.CONSOLE_WAITING_ON_OTHERS, following),
                    ("finished", texts.CONSOLE_FINISHED, done)]
    return await _page(request, "home.html", roster=roster, sections=sections, page=page,
                       areas=service.policy.areas, state_choices=paging.STATE_CHOICES,
                       suggestions=[p for p in (roster.get("tara.nolan"), roster.get("ava.okafor"),
                                                roster.get("ellen.marsh"), roster.get("farid.khan")) if p])


async def act_as(request: web.Request) -> web.StreamResponse:
    if not _same_origin(request):
        raise _forbidden()
    form = await read_form(request)
    roster = await _roster(_console(request).service)
    person = roster.get(str(form.get("person", "")))
    back = _safe_next(form.get("next"), "/")
    if person is None:
        raise _redirect(back, ("error", texts.CONSOLE_CHOOSE_PERSON))
    response = _redirect(back, ("info", texts.CONSOLE_ACTING_AS.format(name=person.name)))
    response.set_cookie(ACTOR_COOKIE, person.id, httponly=True, samesite="Strict", path="/")
    raise response


def _intake_context(service: bootstrap.Service, actor: Person | None, values: Mapping[str, Any],
                    errors: Mapping[str, str]) -> dict[str, Any]:
    default_area = actor.areas[0] if actor is not None and len(actor.areas) == 1 else None
    form = form_for_policy(service.policy, default_area=default_area)
    values = refill(values, errors)
    for field in form.fields:
        if field.default is not None and field.id not in values:
            values[field.id] = field.default
    ordered = [(f.id, f.label, errors[f.id]) for f in form.fields if f.id in errors]
    return {"form": form, "values": values, "errors": errors, "error_list": ordered,
            "complaint_text": service.policy.complaint_text, "complaint_fields": COMPLAINT_FIELDS,
            "complaint_heading": texts.COMPLAINT_ROUTE_HEADING, "complaint_hint": texts.COMPLAINT_ROUTE_HINT}


async def raise_form(request: web.Request) -> web.Response:
    service = _console(request).service
    roster = await _roster(service)
    actor = _actor(request, roster)
    return await _page(request, "raise.html", roster=roster, **_intake_context(service, actor, {}, {}),
                       form_error=None)


async def raise_submit(request: web.Request) -> web.StreamResponse:
    if not _same_origin(request):
        raise _forbidden()
    service = _console(request).service
    roster = await _roster(service)
    actor = _actor(request, roster)
    posted = await read_form(request)
    values: dict[str, str] = {k: v for k, v in posted.items() if isinstance(v, str)}
    if actor is None:
        raise _redirect("/", ("error", texts.CONSOLE_CHOOSE_WHO_FIRST))
    raised = await service.desk.raise_challenge(actor, values)
    if not raised.committed:
        return await _page(request, "raise.html", 400, roster=roster,
                           **_intake_context(service, actor, values, raised.errors), form_error=raised.form_error)
    if raised.challenge is None:  # a complaint: counted, not recorded
        raise _redirect("/", ("info", raised.reply))
    raise _redirect(f"/challenges/{raised.challenge.reference}", ("success", raised.reply))


async def challenge_list(request: web.Request) -> web.Response:
    """Every challenge, 50 a page: open first, soonest due first; filtered by area, stage, state."""
    service = _console(request).service
    page = paging.page_of(request.query, len(service.policy.stages))
    roster, page, rows = await paging.challenge_rows(service, page)
    return await _page(request, "challenges.html", roster=roster, rows=rows, page=page, areas=service.policy.areas,
                       state_choices=paging.STATE_CHOICES)


async def challenge_page(request: web.Request) -> web.Response:
    return await _challenge_view(request, request.match_info["reference"].strip().upper())


async def _challenge_view(request: web.Request, reference: str, status: int = 200,
                          **form: Any) -> web.Response:
    """The challenge page; `form` reopens a refused action form (open_verb, errors, values)."""
    service = _console(request).service
    roster = await _roster(service)
    actor = _actor(request, roster)
    if actor is not None:  # what this person may see, by the one rule every channel applies
        try:
            found = await service.desk.lookup(actor, reference)
        except NotFound:
            return await _page(request, "not_found.html", 404, roster=roster, reference=reference)
        card, timeline = found.card, found.timeline
    else:  # no one chosen: the read-only page of the service's own console
        async with service.database.uow(read_only=True) as uow:
            challenge = await uow.challenges.get(reference)
            events = await uow.events.for_challenge(reference) if challenge else []
        if challenge is None:
            return await _page(request, "not_found.html", 404, roster=roster, reference=reference)
        card = views.reviewer_card(challenge, roster, "", service.now(), events)
        timeline = audit_timeline(challenge, events, roster)
    return await _page(request, "challenge.html", status, roster=roster, card=card, timeline=timeline,
                       open_verb=form.get("open_verb"), action_errors=form.get("errors") or {},
                       action_values=form.get("values") or {},
                       back_to=form.get("back") or f"/challenges/{reference}")


async def challenge_action(request: web.Request) -> web.StreamResponse:
    """A pressed card button: the verb and the version shown, plus what was entered."""
    if not _same_origin(request):
        raise _forbidden()
    service = _console(request).service
    reference = request.match_info["reference"].strip().upper()
    posted = await read_form(request)
    back = _safe_next(posted.get("next"), f"/challenges/{reference}")
    roster = await _roster(service)
    actor = _actor(request, roster)
    if actor is None:
        raise _redirect(back, ("error", texts.CONSOLE_CHOOSE_WHO_FIRST))
    try:
        version = int(str(posted.get("version", "")))
    except ValueError:
        raise _redirect(back, ("error", texts.CONSOLE_NO_VERSION)) from None
    values = {k: v for k, v in posted.items() if isinstance(v, str)}
    verb = request.match_info["verb"]
    pressed = await service.desk.press(actor, Payload(reference, verb, version, actor.id), values)
    if pressed.invalid:
        # Said on the input it is about, with the form still open and the answers kept.
        errors = {pressed.field or "reason": pressed.reply}
        shown = {k: v for k, v in refill(values, errors).items() if isinstance(v, str)}
        return await _challenge_view(request, reference, 400, open_verb=verb, errors=errors, values=shown,
                                     back=back)
    if not pressed.committed:
        # Someone the challenge is not (or no longer) for is told why on their own page, not
        # sent to a challenge page they may not see.
        if pressed.challenge is None or not may_see(pressed.challenge, roster, actor):
            back = "/"
        raise _redirect(back, ("warning" if pressed.tone is Tone.STALE else "error", pressed.reply))
    raise _redirect(back, ("success", pressed.reply))


async def digest_page(request: web.Request) -> web.Response:
    """The Senior Managers' digest as each recipient gets it today (or an overview)."""
    service = _console(request).service
    now = service.now()
    cal = calendar_of(service.policy)
    since = digest_module.previous_digest_time(cal, now) if digest_module is not None else now
    if digest_module is None:  # pragma: no cover - only while bot/digest.py is not built
        async with service.database.uow(read_only=True) as uow:
            roster = await uow.people.roster()
            found = await summaries.for_digest(uow.session, service.database.snapshots, since)
        return await _page(request, "digest.html", roster=roster, digests=[], chosen=None, overview=paging.overview(
            found, now, cal), available=False)
    from dialogs.digest import failed_messages
    from storage.digest_reads import SqlDigestReader

    async with service.database.uow(read_only=True) as uow:
        roster = await uow.people.roster()
        # The chooser lists every recipient; only the chosen one's digest is built, so only
        # their own stages that ran out are read.
        choices = digest_module.recipients(service.policy, roster, cal.local(now).date())
        actor = _actor(request, roster)
        wanted = request.query.get("for") or (actor.id if actor else "")
        if not any(r.person.id == wanted for r in choices):
            wanted = choices[0].person.id if choices else ""
        found = await summaries.for_digest(uow.session, service.database.snapshots, since, [wanted] if wanted else [])
        failed = await failed_messages(SqlDigestReader(uow, service.database.snapshots), now)
    chosen = (digest_module.digest_for(wanted, found, roster, service.policy, now, since, cal=cal, failed=failed)
              if wanted else None)
    digests = [{"person_id": r.person.id, "person_name": r.person.name,
                "scope": ", ".join(r.areas) if r.areas else digest_module.ALL_AREAS} for r in choices]
    return await _page(request, "digest.html", roster=roster, digests=digests, chosen=chosen,
                       sections=digest_module.sections(chosen) if chosen else [],
                       line_words=digest_module.line_words,
                       overview=paging.overview(found, now, cal), available=True, lines_shown=paging.PAGE_SIZE,
                       undelivered_text=digest_module.undelivered_text,
                       working_day=cal.is_working_day(cal.local(now).date()))


async def clock(request: web.Request) -> web.StreamResponse:
    """Demo mode only: move the service's now on, then run the tick as the scheduler would."""
    console = _console(request)
    if not console.demo_clock:
        raise web.HTTPNotFound(text=texts.CONSOLE_CLOCK_OFF, headers=SECURITY_HEADERS)
    if not _same_origin(request):
        raise _forbidden()
    posted = await read_form(request)
    back = _safe_next(posted.get("next"), "/")
    step = CLOCK_STEPS.get(str(posted.get("step", "")))
    if step is None:
        raise _redirect(back, ("error", texts.CONSOLE_CHOOSE_CLOCK_STEP))
    service = console.service
    label, hours, days = step
    now = service.now()
    target = advance(service, now, hours=hours, working_days=days)
    service.clock_offset += target - now
    report = await service.mashbot.tick(service.now())
    refs = report.references[:8] + (["…"] if len(report.references) > 8 else [])  # a flash is a cookie
    changed = f" ({', '.join(refs)})" if refs else ""
    raise _redirect(back, ("info", texts.CONSOLE_CLOCK_MOVED.format(
        label=label, when=_when(service, service.now()), changed=report.changed, references=changed,
        events=report.events, messages=report.messages)))


def advance(service: bootstrap.Service, now: datetime, *, hours: int = 0, working_days: int = 0) -> datetime:
    """`now` plus clock hours, or the same local time of day `working_days` working days on."""
    if hours:
        return now + timedelta(hours=hours)
    cal = calendar_of(service.policy)
    local = cal.local(now)
    day = local.date()
    for _ in range(working_days):
        day = cal.next_working_day(day)
    return datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=cal.zone).astimezone(UTC)
