"""Links that let an email's reader act: one per action their card offers, minted at send time.

The email sender is wrapped (`LinkingSender`): before a message that asks its reader to act
goes out, the challenge as it now stands is read, the card the reader would see in chat is
built, and each of its actions becomes a signed, single-use link bound to the reader, the
challenge's version and the action. Only the links' hashes are stored; the message copy that
carries them is never written back to the outbox.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters import bootstrap
from adapters.dispatcher import Sender
from adapters.web_page import tokens
from bot import texts, views
from bot.calendar import calendar_of
from bot.challenge import Challenge, Message, State
from bot.roster import Person
from storage import web_access

log = logging.getLogger("mashbot.web.links")

# The messages that ask their reader to decide or answer something.
ACTING_KINDS = frozenset({
    "review_requested", "nudge", "due_today", "overdue", "delegated", "escalated", "joint_refused",
    "outcome_recorded", "decision_made", "joint_agreement_request", "family_details_request",
})
LINKS_KEY = "action_links"


def link_expiry(challenge: Challenge, now: datetime) -> datetime:
    """The policy's working days from now, and never past the stage's (or answer's) due time.
    A stage already past its due time (the final stage, breached) has no due time to bound it."""
    cal = calendar_of(challenge.policy)
    limit = cal.working_days_after(now, challenge.policy.link_expiry_working_days)
    due = challenge.answer_due_at if challenge.state is State.OUTCOME_PROPOSED else challenge.due_at
    return min(limit, due) if due is not None and due > now else limit


@dataclass
class LinkMaker:
    service: bootstrap.Service
    secret: bytes
    base_url: str  # the public https URL, without a trailing slash

    async def links_for(self, message: Message, person: Person) -> dict[str, Any]:
        """The data an email needs to carry its links (empty when it asks for nothing)."""
        if message.kind not in ACTING_KINDS or not message.reference:
            return {}
        now = self.service.now()
        async with self.service.database.uow() as uow:
            roster = await uow.people.roster()
            challenge = await uow.challenges.get(message.reference)
            if challenge is None or not challenge.is_active or roster.get(person.id) is None:
                return {}
            card = views.card_for(challenge, roster, person.id, now)
            if not card.actions:
                return {}
            expires = link_expiry(challenge, now)
            links = []
            for action in card.actions:
                claim = tokens.new_claim(tokens.ACTION, person.id, expires, reference=challenge.reference,
                                         version=challenge.version, verb=action.verb.value)
                token = tokens.make_token(claim, self.secret)
                await web_access.add_link(uow.session, web_access.StoredLink(
                    tokens.digest(token), tokens.ACTION, person.id, challenge.reference, challenge.version,
                    action.verb.value, now, claim.expires_at, None, None, None))
                links.append({"label": action.label, "url": f"{self.base_url}/web/act/{token}"})
            await uow.commit()
        until = calendar_of(challenge.policy).describe(expires)
        return {LINKS_KEY: links, "links_until": until, "web_url": f"{self.base_url}/web"}


class LinkingSender:
    """An email Sender whose acting messages carry their action links."""

    def __init__(self, inner: Sender, maker: LinkMaker) -> None:
        self.inner = inner
        self.maker = maker
        self.channel = inner.channel

    async def send(self, message: Message, person: Person, *, key: str) -> str | None:
        try:
            extra = await self.maker.links_for(message, person)
        except Exception as exc:  # noqa: BLE001 - the email still goes, without links; never lost
            log.warning("action links for a %s email could not be made (%s)", message.kind, type(exc).__name__)
            extra = {}
        if extra:
            message = message.model_copy(update={"data": {**message.data, **extra}})
        return await self.inner.send(message, person, key=key)

    def __getattr__(self, name: str) -> Any:  # the inner sender's settings (config, sender, …)
        return getattr(self.inner, name)


def link_lines(data: Mapping[str, Any]) -> tuple[list[str], str]:
    """The plain-text lines and the HTML of an email's action links (none: nothing)."""
    links = data.get(LINKS_KEY)
    if not isinstance(links, list) or not links:
        return [], ""
    intro = texts.WEB_MAIL_LINKS_INTRO.format(until=data.get("links_until", ""))
    text = [intro, *(f"- {link['label']}: {link['url']}" for link in links)]
    items = "".join(f'<li><a href="{html.escape(link["url"])}">{html.escape(link["label"])}</a></li>'
                    for link in links)
    body = f"<p>{html.escape(intro)}</p><ul>{items}</ul>"
    if data.get("web_url"):
        line = texts.WEB_MAIL_SIGN_IN_LINE.format(url=data["web_url"])
        text.append(line)
        body += f'<p>Or <a href="{html.escape(str(data["web_url"]))}">sign in to see the challenge</a>.</p>'
    return text, body


def with_action_links(service: bootstrap.Service, email: Sender | None) -> Sender | None:
    """The email sender, wrapped to add action links when the signed-in page is on."""
    from adapters.web_page import web_page_enabled

    if email is None or not web_page_enabled(service.settings):
        return email
    assert service.settings.secret is not None and service.settings.public_url is not None
    maker = LinkMaker(service, service.settings.secret.get_secret_value().encode(),
                      service.settings.public_url.strip().rstrip("/"))
    return LinkingSender(email, maker)
