"""An emailed action link: GET shows what will happen (and never acts), POST from that page acts.

Mail scanners and link previews open every link, so only the POST, carrying the page's CSRF
value, does anything. A link works once, for its own person, on the challenge version it was
made for, until it expires; anything else gets a page saying why and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from adapters.console.guard import read_form
from adapters.web_page import acting, tokens
from adapters.web_page.common import Visitor, csrf_for, csrf_ok, message_page, page_of, render, same_site, visitor, when
from bot import texts
from bot.calendar import calendar_of
from bot.challenge import Challenge
from bot.errors import AlreadyActioned
from bot.handlers import check_fresh
from bot.roster import Person
from bot.views import ActionView, CardView
from storage import web_access


@dataclass(frozen=True)
class Usable:
    token: str
    stored: web_access.StoredLink
    challenge: Challenge
    card: CardView
    action: ActionView
    owner: Person


async def _check(request: web.Request, who: Visitor) -> Usable | web.Response:
    """The link if it may be used now by this browser; otherwise the page saying why."""
    page = page_of(request)
    service = page.service
    token = request.match_info["token"]

    def refuse(status: int, title: str, text: str) -> web.Response:
        return message_page(request, who, status, title, text, show_web=True)

    try:
        claim = tokens.read_token(token, page.secret, tokens.ACTION)
    except tokens.BadLink:
        return refuse(400, "This link does not work", texts.WEB_LINK_DAMAGED)
    async with service.database.uow(read_only=True) as uow:
        stored = await web_access.get_link(uow.session, tokens.digest(token))
        challenge = await uow.challenges.get(stored.reference) if stored and stored.reference else None
    if stored is None or challenge is None or stored.person_id != claim.person_id:
        return refuse(404, "This link does not work", texts.WEB_LINK_UNKNOWN)
    now = service.now()
    if who.person is not None and who.person.id != stored.person_id:
        return refuse(403, "This link is for someone else", texts.WEB_LINK_FOR_SOMEONE_ELSE.format(
            name=who.roster.name_of(stored.person_id), you=who.person.name))
    if who.person is None and who.known is not None and who.known.id != stored.person_id:
        return refuse(403, "This link is for someone else", texts.WEB_LINK_FOR_ANOTHER_BROWSER.format(
            name=who.roster.name_of(stored.person_id), you=who.known.name))
    if stored.used_at is not None:
        text = texts.WEB_LINK_USED.format(name=who.roster.name_of(stored.used_by), at=when(service, stored.used_at))
        if stored.result:
            text += f" {stored.result}"
        return refuse(409, "This link was already used", text)
    if stored.expires_at <= now:
        return refuse(410, "This link has expired", texts.WEB_LINK_EXPIRED)
    command_like = _Seen(stored.person_id, challenge.reference, int(stored.version or 0))
    try:
        check_fresh(challenge, command_like, who.roster, calendar_of(challenge.policy).describe)  # type: ignore[arg-type]
    except AlreadyActioned as exc:
        return refuse(409, "This challenge has moved on", f"{exc} Nothing was changed. Sign in to see it as it "
                                                          "stands.")
    owner = who.roster.get(stored.person_id)
    if owner is None:  # left the roster since the link was sent
        return refuse(403, "This link does not work", texts.WEB_LINK_UNKNOWN)
    looked = await acting.look(service, owner, challenge.reference)
    action = looked.card.action(str(stored.verb)) if looked is not None else None
    if looked is None or action is None:
        return refuse(409, "This can no longer be done", texts.WEB_LINK_NO_LONGER.format(why=texts.BAD_STATE.format(
            reference=challenge.reference, state=challenge.state.value.replace("_", " "))))
    return Usable(token, stored, challenge, looked.card, action, owner)


@dataclass(frozen=True)
class _Seen:
    """What check_fresh reads of a command: who, which challenge, which version they saw."""

    actor_id: str
    reference: str
    version: int


def _confirm_page(request: web.Request, who: Visitor, usable: Usable, status: int = 200, *,
                  errors: Mapping[str, str] | None = None, values: Mapping[str, str] | None = None) -> web.Response:
    return render(request, who, "act.html", status, card=usable.card, action=usable.action,
                  for_name=who.roster.name_of(usable.stored.person_id),
                  until=when(page_of(request).service, usable.stored.expires_at),
                  form_action=f"/web/act/{usable.token}", errors=errors or {}, values=values or {},
                  csrf=csrf_for(request, who, usable.stored.token_hash),
                  error_list=[(i.id, i.label, (errors or {})[i.id]) for i in usable.action.inputs
                              if i.id in (errors or {})])


async def confirm(request: web.Request) -> web.Response:
    """GET: what pressing will do, and the answers it needs. Changes nothing."""
    who = await visitor(request)
    usable = await _check(request, who)
    return usable if isinstance(usable, web.Response) else _confirm_page(request, who, usable)


async def act(request: web.Request) -> web.Response:
    """POST from the confirmation page: the action, once."""
    who = await visitor(request)
    form = await read_form(request)
    usable = await _check(request, who)
    if isinstance(usable, web.Response):
        return usable
    if not same_site(request) or not csrf_ok(request, who, usable.stored.token_hash, form.get("csrf")):
        return message_page(request, who, 403, "Open the link again",
                            "This form was not sent from the link's own page (or the page is out of date), so "
                            "nothing was done. Open the link from the email again and press the button there.")
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    errors = acting.check_inputs(usable.action, values)
    if errors:
        return _confirm_page(request, who, usable, 400, errors=errors, values=values)
    service = page_of(request).service
    person_id = usable.stored.person_id
    async with service.database.uow() as uow:
        won = await web_access.use_link(uow.session, usable.stored.token_hash, by=person_id, now=service.now())
        await uow.commit()
    if not won:  # another press of the same link got there first
        return await _again(request, who)
    done = await acting.press(service, usable.owner, usable.action.verb.value, usable.challenge.reference,
                              int(usable.stored.version or 0), values, channel=acting.EMAIL)
    async with service.database.uow() as uow:
        if not done.committed and done.field is not None:
            await web_access.release_link(uow.session, usable.stored.token_hash)  # they correct and send again
        else:
            await web_access.record_result(uow.session, usable.stored.token_hash, done.reply)
        await uow.commit()
    if not done.committed and done.field is not None:
        return _confirm_page(request, who, usable, 400, errors={done.field: done.reply}, values=values)
    title = "Done" if done.committed else "Not done"
    return message_page(request, who, 200 if done.committed else 409, title, done.reply, show_web=True,
                        reference=usable.challenge.reference)


async def _again(request: web.Request, who: Visitor) -> web.Response:
    usable = await _check(request, who)  # now says "already used by … at …"
    if isinstance(usable, web.Response):
        return usable
    return message_page(request, who, 409, "This link was already used", texts.WEB_LINK_EXPIRED)  # pragma: no cover - a race
