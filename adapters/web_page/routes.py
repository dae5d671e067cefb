"""The signed-in page: sign in by emailed link, see your challenges, raise and act on them."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from adapters import bootstrap, pages
from adapters.console.guard import read_form
from adapters.web_page import acting, common, link_routes, tokens
from adapters.web_page.common import (
    ABSOLUTE,
    SECURITY_HEADERS,
    SESSION_COOKIE,
    SIGN_IN_LIFETIME,
    WEB_PAGE,
    Visitor,
    WebPage,
    csrf_for,
    csrf_ok,
    message_page,
    page_of,
    render,
    same_site,
    visitor,
)
from bot import texts, views
from bot.challenge import Message
from bot.roster import Person
from dialogs.intake import COMPLAINT_FIELDS, form_for_policy, refill
from storage import web_access

_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}")
SIGN_INS_PER_ADDRESS = 3
_REFERENCE = re.compile(r"CH-[0-9A-Z]{6}")


def mount(app: web.Application, service: bootstrap.Service) -> None:
    from adapters.mail import mail_sender

    settings = service.settings
    assert settings.secret is not None and settings.public_url is not None
    page = WebPage(service, common.templates(), settings.secret.get_secret_value().encode(),
                   settings.public_url.strip().rstrip("/"), mail_sender(settings))
    app[WEB_PAGE] = page
    r = app.router
    routes = [r.add_get("/web", home), r.add_post("/web/sign-in", sign_in_request),
              r.add_get("/web/sign-in/{token}", sign_in_confirm), r.add_post("/web/sign-in/{token}", sign_in_finish),
              r.add_post("/web/sign-out", sign_out), r.add_get("/web/raise", raise_form),
              r.add_post("/web/raise", raise_submit), r.add_get("/web/challenges/{reference}", challenge_page),
              r.add_post("/web/challenges/{reference}/{verb}", challenge_action),
              r.add_get("/web/act/{token}", link_routes.confirm), r.add_post("/web/act/{token}", link_routes.act)]
    static = r.add_static(common.STATIC_PREFIX, pages.STATIC)
    app.middlewares.append(common.guard_middleware(frozenset([route.resource for route in routes] + [static])))

    async def drain(app: web.Application) -> Any:
        yield
        if page.tasks:  # sign-in emails still being sent
            await asyncio.wait(list(page.tasks), timeout=10)

    app.cleanup_ctx.append(drain)


def _redirect(location: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(location, headers=SECURITY_HEADERS)


def _refused_post(request: web.Request, who: Visitor) -> web.Response:
    return message_page(request, who, 403, "This form has expired",
                        "The page you sent this from is out of date or was not ours. Go back, reload the page "
                        "and send it again.")


# --- signing in ----------------------------------------------------------------------------


async def home(request: web.Request) -> web.Response:
    who = await visitor(request)
    if who.person is None:
        return render(request, who, "sign_in.html", csrf=csrf_for(request, who, "sign-in"), error=None, email="")
    cards = await acting.inbox(page_of(request).service, who.person)
    needs = [c for c in cards if c.active and any(a.verb not in views.SHARED_VERBS for a in c.actions)]
    following = [c for c in cards if c.active and c not in needs]
    done = [c for c in cards if not c.active]
    return render(request, who, "home.html", sections=[("needs-you", "Waiting for you", needs),
                                                       ("following", "Your challenges and others in progress",
                                                        following), ("finished", "Finished", done)])


async def sign_in_request(request: web.Request) -> web.Response:
    who = await visitor(request)
    form = await read_form(request)
    if not same_site(request) or not csrf_ok(request, who, "sign-in", form.get("csrf")):
        return _refused_post(request, who)
    address = str(form.get("email", "")).strip()
    if not _EMAIL.fullmatch(address):
        return render(request, who, "sign_in.html", 400, csrf=csrf_for(request, who, "sign-in"), email=address[:200],
                      error="Enter your work email address, like name@agency.nhs.uk.")
    page = page_of(request)
    now = page.service.now()
    if not page.per_client.allow(f"client:{common.client_of(request)}", now):
        return message_page(request, who, 429, "Too many sign-in requests",
                            "Too many sign-in links were asked for from this connection. Wait 15 minutes and "
                            "try again, or use the last link you were sent.")
    # The same answer, at the same speed, whether or not the address is known or over its limit.
    if page.per_address.allow(f"address:{tokens.digest(address.lower())}", now):
        person = who.roster.by_email(address)
        if person is not None and not _mailbox_only(person):
            task = asyncio.ensure_future(_send_sign_in(page, person))
            page.tasks.add(task)
            task.add_done_callback(page.tasks.discard)
    return message_page(request, who, 200, "Check your email", texts.WEB_CHECK_EMAIL.format(address=address))


def _mailbox_only(person: Person) -> bool:
    return bool(person.roles) and all(r.endswith("_mailbox") for r in person.roles)


async def _send_sign_in(page: WebPage, person: Person) -> None:
    now = page.service.now()
    expires = now + SIGN_IN_LIFETIME
    token = tokens.make_token(tokens.new_claim(tokens.SIGN_IN, person.id, expires), page.secret)
    try:
        async with page.service.database.uow() as uow:
            # The per-address limit shared by every replica (the in-memory one answers first).
            if await web_access.sign_ins_since(uow.session, person.id, now - SIGN_IN_LIFETIME) >= SIGN_INS_PER_ADDRESS:
                return
            await web_access.add_link(uow.session, web_access.StoredLink(
                tokens.digest(token), tokens.SIGN_IN, person.id, None, None, None, now, expires, None, None, None))
            await uow.commit()
        if page.mail is None:
            return
        message = Message(kind="web_sign_in", to=person.id, reference=None,
                          data={"url": f"{page.base_url}/web/sign-in/{token}", "minutes": 15})
        await page.mail.send(message, person, key=f"sign-in.{secrets.token_hex(8)}")
    except Exception as exc:  # noqa: BLE001 - never said to the asker (that would tell who is known)
        common.log.warning("a sign-in link could not be sent (%s)", type(exc).__name__)


async def _sign_in_link(request: web.Request, who: Visitor) -> tuple[str, web_access.StoredLink] | web.Response:
    token = request.match_info["token"]
    page = page_of(request)
    try:
        tokens.read_token(token, page.secret, tokens.SIGN_IN)
    except tokens.BadLink:
        return message_page(request, who, 400, "This sign-in link is not complete",
                            "The link is damaged or was changed. Copy the whole link from the email, or ask for a "
                            "new one below.", show_sign_in=True, csrf=csrf_for(request, who, "sign-in"))
    async with page.service.database.uow(read_only=True) as uow:
        stored = await web_access.get_link(uow.session, tokens.digest(token))
    now = page.service.now()
    if stored is None or stored.used_at is not None or stored.expires_at <= now:
        why = ("was already used" if stored is not None and stored.used_at is not None
               else "has expired (sign-in links work for 15 minutes)")
        return message_page(request, who, 410, "This sign-in link no longer works",
                            f"This sign-in link {why}. Ask for a new one below.", show_sign_in=True,
                            csrf=csrf_for(request, who, "sign-in"))
    return token, stored


async def sign_in_confirm(request: web.Request) -> web.Response:
    """GET never signs in (mail scanners open links): it shows one button that does."""
    who = await visitor(request)
    found = await _sign_in_link(request, who)
    if isinstance(found, web.Response):
        return found
    token, stored = found
    name = who.roster.name_of(stored.person_id)
    return render(request, who, "sign_in_confirm.html", name=name, action=f"/web/sign-in/{token}",
                  csrf=csrf_for(request, who, tokens.digest(token)))


async def sign_in_finish(request: web.Request) -> web.StreamResponse:
    who = await visitor(request)
    form = await read_form(request)
    found = await _sign_in_link(request, who)
    if isinstance(found, web.Response):
        return found
    token, stored = found
    if not same_site(request) or not csrf_ok(request, who, tokens.digest(token), form.get("csrf")):
        return _refused_post(request, who)
    page = page_of(request)
    now = page.service.now()
    session_id = secrets.token_urlsafe(32)
    async with page.service.database.uow() as uow:
        if not await web_access.use_link(uow.session, stored.token_hash, by=stored.person_id, now=now):
            return message_page(request, who, 410, "This sign-in link no longer works",
                                "This sign-in link was already used. Ask for a new one.", show_sign_in=True,
                                csrf=csrf_for(request, who, "sign-in"))
        if who.session_hash:  # one session per browser: the old one ends
            await web_access.end_session(uow.session, who.session_hash, now)
        await web_access.add_session(uow.session, web_access.StoredSession(
            tokens.digest(session_id), stored.person_id, secrets.token_urlsafe(16), now, now, now + ABSOLUTE, None))
        await uow.commit()
    response = _redirect("/web")
    response.set_cookie(SESSION_COOKIE, session_id, secure=True, httponly=True, samesite="Lax", path="/")
    common.remember(response, page.secret, stored.person_id)
    raise response


async def sign_out(request: web.Request) -> web.StreamResponse:
    who = await visitor(request)
    form = await read_form(request)
    if not same_site(request) or not csrf_ok(request, who, "sign-out", form.get("csrf")):
        return _refused_post(request, who)
    if who.session_hash:
        async with page_of(request).service.database.uow() as uow:
            await web_access.end_session(uow.session, who.session_hash, page_of(request).service.now())
            await uow.commit()
    response = message_page(request, Visitor(None, None, who.csrf_anchor, False, who.roster), 200,
                            "You have signed out", "You have signed out of mashbot.")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


def _need_session(request: web.Request, who: Visitor) -> web.Response | None:
    if who.person is not None:
        return None
    return message_page(request, who, 401, "Sign in first", texts.WEB_SESSION_ENDED, show_sign_in=True,
                        csrf=csrf_for(request, who, "sign-in"))


# --- raising -------------------------------------------------------------------------------


def _intake(request: web.Request, who: Visitor, values: Mapping[str, Any], errors: Mapping[str, str],
            form_error: str | None = None) -> dict[str, Any]:
    service = page_of(request).service
    person = who.person
    default_area = person.areas[0] if person is not None and len(person.areas) == 1 else None
    form = form_for_policy(service.policy, default_area=default_area)
    shown = refill(values, errors)
    for f in form.fields:
        if f.default is not None and f.id not in shown:
            shown[f.id] = f.default
    return {"form": form, "values": shown, "errors": errors, "form_error": form_error,
            "error_list": [(f.id, f.label, errors[f.id]) for f in form.fields if f.id in errors],
            "complaint_text": service.policy.complaint_text, "complaint_fields": COMPLAINT_FIELDS,
            "complaint_heading": texts.COMPLAINT_ROUTE_HEADING, "complaint_hint": texts.COMPLAINT_ROUTE_HINT,
            "csrf": csrf_for(request, who, "raise")}


async def raise_form(request: web.Request) -> web.Response:
    who = await visitor(request)
    refused = _need_session(request, who)
    return refused or render(request, who, "raise.html", **_intake(request, who, {}, {}))


async def raise_submit(request: web.Request) -> web.StreamResponse:
    who = await visitor(request)
    form = await read_form(request)
    refused = _need_session(request, who)
    if refused is not None:
        return refused
    assert who.person is not None
    if not same_site(request) or not csrf_ok(request, who, "raise", form.get("csrf")):
        return _refused_post(request, who)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    raised = await acting.raise_challenge(page_of(request).service, who.person, values, channel=acting.WEB)
    if raised.errors or raised.pressed is None:
        return render(request, who, "raise.html", 400, **_intake(request, who, values, raised.errors))
    done = raised.pressed
    if not done.committed:
        return render(request, who, "raise.html", 400, **_intake(request, who, values, {}, done.reply))
    if done.challenge is None:  # a complaint: counted, not recorded
        return message_page(request, who, 200, texts.COMPLAINT_ROUTE_HEADING, done.reply)
    return await _challenge(request, who, done.challenge.reference, flash=("success", done.reply))


# --- a challenge and its actions -----------------------------------------------------------


def _reference(request: web.Request) -> str:
    return request.match_info["reference"].strip().upper()[:20]


async def challenge_page(request: web.Request) -> web.Response:
    who = await visitor(request)
    refused = _need_session(request, who)
    return refused or await _challenge(request, who, _reference(request))


async def _challenge(request: web.Request, who: Visitor, reference: str, status: int = 200, *,
                     flash: tuple[str, str] | None = None, open_verb: str | None = None,
                     errors: Mapping[str, str] | None = None, values: Mapping[str, str] | None = None) -> web.Response:
    assert who.person is not None
    looked = (await acting.look(page_of(request).service, who.person, reference)
              if _REFERENCE.fullmatch(reference) else None)
    if looked is None:
        return message_page(request, who, 404, "Challenge not found",
                            f"There is no challenge {reference} of yours. Check the reference (it looks like "
                            "CH-7K2M9Q), or open it from your list.")
    return render(request, who, "challenge.html", status, card=looked.card, timeline=looked.timeline, flash=flash,
                  open_verb=open_verb, action_errors=errors or {}, action_values=values or {},
                  csrf=csrf_for(request, who, f"act:{reference}"))


async def challenge_action(request: web.Request) -> web.StreamResponse:
    who = await visitor(request)
    form = await read_form(request)
    refused = _need_session(request, who)
    if refused is not None:
        return refused
    assert who.person is not None
    reference = _reference(request)
    if not same_site(request) or not csrf_ok(request, who, f"act:{reference}", form.get("csrf")):
        return _refused_post(request, who)
    verb = request.match_info["verb"]
    values = {k: v for k, v in form.items() if isinstance(v, str) and k not in ("csrf", "version")}
    try:
        version = int(str(form.get("version", "")))
    except ValueError:
        return await _challenge(request, who, reference, 400,
                                flash=("error", "This button has no version; reload the page."))
    looked = await acting.look(page_of(request).service, who.person, reference)
    action = looked.card.action(verb) if looked is not None else None
    if action is not None:
        errors = acting.check_inputs(action, values)
        if errors:
            return await _challenge(request, who, reference, 400, open_verb=verb, errors=errors, values=values)
    done = await acting.press(page_of(request).service, who.person, verb, reference, version, values,
                              channel=acting.WEB)
    if not done.committed and done.field is not None and action is not None:
        errors = {done.field: done.reply}
        shown = {k: v for k, v in refill(values, errors).items() if isinstance(v, str)}
        return await _challenge(request, who, reference, 400, open_verb=verb, errors=errors, values=shown)
    status = 200 if done.committed else 409 if done.level == "warning" else 400
    return await _challenge(request, who, reference, status, flash=(done.level, done.reply))
