"""What a Slack command, button press or modal submission does: convert, delegate, reply.

The listeners (app.py) ack a button or a command at once and run `press` / `command` in a
background task; a modal's submission is acked with what it must say (its errors, or the
result) and its follow-up runs in the background. Nothing talks to the Web API before
the ack. Everything goes to the front desk (dialogs/desk.py), which applies the rules;
this module only converts Slack's payloads and renders the desk's answers. The presser's
card is updated in place from the desk's answer; the DMs and other cards that follow a
change go through the outbox (sender.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.bootstrap import Service
from bot import texts
from adapters.slack import web_errors
from adapters.slack.directory import Directory
from adapters.slack.once import Outcome, SubmitOnce, intake_key
from adapters.slack.sender import CardSync, SlackSender, external_id
from bot import views
from bot.challenge import State
from bot.errors import NotFound
from bot.roster import Person, Roster
from cards import slack as blocks
from cards.actions import BadAction, verify
from dialogs.desk import Payload, Pressed
from dialogs.intake import COMPLAINT, form_for_policy, refill, validate_for_policy

log = logging.getLogger("mashbot.slack")

Ack = Callable[..., Awaitable[Any]]
Respond = Callable[..., Awaitable[Any]]

class SlackBusy(Exception):
    """Slack could not tell who someone is just now (rate limited, down)."""


@dataclass
class Interactions:
    service: Service
    web: AsyncWebClient
    directory: Directory
    secret: bytes
    sync: CardSync
    sender: SlackSender
    kick: Callable[[], None]
    spawn: Callable[[Coroutine[Any, Any, None]], None]
    once: SubmitOnce
    admin_contact: str | None = None

    # -- shared steps --------------------------------------------------------------------------
    async def _roster(self) -> Roster:
        return await self.service.desk.roster()

    async def _person(self, user: str, roster: Roster | None = None) -> Person | None:
        """The roster person behind a Slack user; SlackBusy when Slack cannot say just now."""
        try:
            return await self.directory.person_for(user, roster if roster is not None else await self._roster())
        except web_errors.FAILURES as exc:
            log.warning("could not look a Slack user up: %s", web_errors.error_of(exc))
            raise SlackBusy from None

    async def _look_up(self, user: str) -> None:
        try:
            await self._person(user)
        except SlackBusy:
            pass  # already logged; the next press asks again

    def unknown(self, user: str) -> str:
        return texts.SLACK_UNKNOWN_PERSON.format(who=self.admin_contact or texts.SLACK_DEFAULT_ADMIN, user_id=user)

    async def _say(self, respond: Respond, text: str, **extra: Any) -> None:
        """An ephemeral reply (only the person sees it), after the ack; a failure is logged."""
        try:
            await respond(text=text, response_type="ephemeral", replace_original=False, **extra)
        except Exception as exc:  # noqa: BLE001 - the reply is a courtesy; its content is not logged
            log.warning("Slack ephemeral reply failed: %s", type(exc).__name__)

    async def _show(self, pressed: Pressed, message: tuple[str, str] | None) -> None:
        """After a committed press: the presser's card as the desk built it, in place at once
        when the pressed message is known (chat.update); else, or when that fails, through the
        outbox (retried). Other people's cards follow the change's messages (CardSync)."""
        if pressed.card is not None and message is not None:
            try:
                if await self.sender.update(external_id(*message), blocks.card_message(pressed.card, self.secret)):
                    self.sync.shown(pressed.card.reference, pressed.card.version, pressed.card.viewer_id)
                    self.kick()
                    return
            except web_errors.FAILURES as exc:
                log.info("could not update the pressed Slack card at once: %s", web_errors.error_of(exc))
        if pressed.challenge is not None:
            await self.sync.queue(pressed.challenge.reference, pressed.challenge.version, force=True)
        self.kick()

    # -- /challenge (after the ack; help is answered in the ack itself) -----------------------
    async def command(self, body: dict[str, Any], respond: Respond) -> None:
        text = str(body.get("text") or "").strip()
        word, _, rest = text.partition(" ")
        user = str(body.get("user_id", ""))
        try:
            person = await self._person(user)
        except SlackBusy:
            await self._say(respond, texts.SLACK_BUSY)
            return
        if person is None:
            await self._say(respond, self.unknown(user))
        elif not word:
            await self._open_intake(str(body.get("trigger_id", "")), person, respond)
        elif word.lower() == "list":
            await self._list(person, respond)
        elif word.lower() == "status":
            await self._status(person, rest.strip().upper(), respond)
        else:
            await self._say(respond, texts.SLACK_NOT_UNDERSTOOD.format(text=blocks.escape(text[:100])))

    async def _open_intake(self, trigger_id: str, person: Person, respond: Respond) -> None:
        area = person.areas[0] if len(person.areas) == 1 else None
        view = blocks.intake_modal(form_for_policy(self.service.policy, default_area=area))
        await self._open(trigger_id, view, respond)

    async def _open(self, trigger_id: str, view: dict[str, Any], respond: Respond) -> None:
        """views.open; Slack's trigger lasts 3 s, so a failure is told to the person, not retried."""
        try:
            await self.web.views_open(trigger_id=trigger_id, view=view)
        except web_errors.FAILURES as exc:
            log.warning("views.open failed: %s", web_errors.error_of(exc))
            await self._say(respond, texts.SLACK_FORM_FAILED)

    async def _list(self, person: Person, respond: Respond) -> None:
        cards = [c for c in await self.service.desk.inbox(person, active_only=True) if c.active]
        groups: dict[str, list[views.CardView]] = {"needs": [], "mine": [], "following": []}
        for card in cards:
            if card.kind is views.CardKind.CHALLENGER:
                groups["needs" if card.state == State.OUTCOME_PROPOSED.value else "mine"].append(card)
            else:
                acting = any(a.verb not in views.SHARED_VERBS for a in card.actions)
                groups["needs" if acting else "following"].append(card)
        await self._say(respond, blocks.LIST_TITLES["needs"], blocks=blocks.list_blocks(groups))

    async def _status(self, person: Person, reference: str, respond: Respond) -> None:
        if not reference:
            await self._say(respond, texts.SLACK_STATUS_NEEDS_REFERENCE)
            return
        try:
            found = await self.service.desk.lookup(person, reference)
        except NotFound as exc:
            await self._say(respond, str(exc))
            return
        await self._say(respond, found.card.title, blocks=blocks.status_blocks(found.card, found.timeline))

    # -- the intake modal ----------------------------------------------------------------------
    async def intake_reason(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        """The reason was just chosen: a complaint turns the modal into the complaint route
        before anything else is filled in; another reason turns it back into the challenge."""
        view = body.get("view") if isinstance(body.get("view"), dict) else None
        if view is None or not view.get("id"):
            return
        option = action.get("selected_option")
        chosen = option.get("value") if isinstance(option, dict) else None
        state = blocks.submitted_values(view.get("state", {}).get("values", {}))
        policy = self.service.policy
        try:  # keep the area already chosen
            form = form_for_policy(policy, default_area=str(state.get("area") or "") or None)
        except ValueError:
            form = form_for_policy(policy)
        complaint = policy.complaint_text if chosen == COMPLAINT else None
        new = blocks.intake_modal(form, str(view.get("private_metadata", "")), complaint_text=complaint)
        try:
            await self.web.views_update(view_id=str(view["id"]), hash=view.get("hash"), view=new)
        except web_errors.FAILURES as exc:
            # The person can still submit: validation sends a complaint down its route then.
            log.info("views.update of the intake failed: %s", web_errors.error_of(exc))

    async def submit_intake(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Field errors and the result go in the ack. Someone mashbot has not matched yet must
        be looked up in Slack, which may outlast Slack's 3 s: then the ack says "one moment"
        and the result replaces it (views.update) once the lookup and the raise are done."""
        user = str(body["user"]["id"])
        values = blocks.submitted_values(view["state"]["values"])
        checked = validate_for_policy(values, self.service.policy)
        if checked.answers is None:
            await _refuse(ack, view, values, checked.errors)
            return
        key = intake_key(user, view.get("id"), values)
        person = await self.directory.known(user, await self._roster())
        if person is None and not self.directory.stranger(user):
            await ack(response_action="update", view=blocks.done_modal(texts.SLACK_CHECKING_TITLE, texts.SLACK_CHECKING))
            self.spawn(self._submit_later(user, str(view.get("id") or ""), values, key))
            return
        outcome = await self._submit(person, user, values, key)
        if outcome.errors is not None:
            await _refuse(ack, view, values, outcome.errors)
        else:
            await ack(response_action="update", view=blocks.done_modal(outcome.title, outcome.text))

    async def _submit(self, person: Person | None, user: str, values: Mapping[str, Any],
                      key: str) -> Outcome:
        if person is None:
            return Outcome(texts.SLACK_NOT_DONE_TITLE, self.unknown(user))
        return await self.once.run(key, lambda: self._raise(person, values))

    async def _raise(self, person: Person, values: Mapping[str, Any]) -> Outcome:
        raised = await self.service.desk.raise_challenge(person, values)
        if raised.errors:
            return Outcome(texts.SLACK_NOT_DONE_TITLE, raised.reply, errors=raised.errors)
        if not raised.committed:
            return Outcome(texts.SLACK_NOT_DONE_TITLE, raised.reply)
        self.kick()
        return Outcome(texts.SLACK_RAISED_TITLE if raised.challenge else texts.SLACK_COMPLAINT_TITLE, raised.reply)

    async def _submit_later(self, user: str, view_id: str, values: Mapping[str, Any],
                            key: str) -> None:
        try:
            outcome = await self._submit(await self._person(user), user, values, key)
        except SlackBusy:
            outcome = Outcome(texts.SLACK_NOT_DONE_TITLE, texts.SLACK_BUSY)
        try:
            await self.web.views_update(view_id=view_id, view=blocks.done_modal(outcome.title, outcome.text))
        except web_errors.FAILURES as exc:
            # Closed meanwhile, or Slack is failing: a raised challenge still comes as a DM.
            log.info("could not show an intake's result in its form: %s", web_errors.error_of(exc))

    # -- a card button (after the ack) ---------------------------------------------------------
    async def press(self, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        user = str(body["user"]["id"])
        token = str(action.get("value") or "")
        try:
            payload = Payload.of(verify(token, self.secret))
        except BadAction as exc:
            log.warning("refused a Slack button: %s", exc)
            await self._say(respond, texts.SLACK_BAD_BUTTON)
            return
        try:
            person = await self._person(user)
        except SlackBusy:
            await self._say(respond, texts.SLACK_BUSY)
            return
        if person is None:
            await self._say(respond, self.unknown(user))
            return
        pressed = await self.service.desk.press(person, payload)
        if pressed.form is not None and pressed.card is not None:
            await self._open(str(body.get("trigger_id", "")), blocks.action_modal(pressed.card, pressed.form, token),
                             respond)
            return
        if pressed.committed:
            await self._show(pressed, _message_of(body))
        if pressed.reply:
            await self._say(respond, pressed.reply)

    # -- an action's modal (Escalate, Record outcome, Delegate, ...) ---------------------------
    async def submit_action(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user = str(body["user"]["id"])
        try:
            payload = Payload.of(verify(str(view.get("private_metadata", "")), self.secret))
        except BadAction:
            await ack(response_action="update", view=blocks.done_modal(texts.SLACK_NOT_DONE_TITLE, texts.SLACK_BAD_BUTTON))
            return
        roster = await self._roster()
        person = await self.directory.known(user, roster)
        if person is None and not self.directory.stranger(user):
            # Asking Slack may outlast the ack's 3 s: ask after it, so the next press is known.
            await ack(response_action="update", view=blocks.done_modal(texts.SLACK_NOT_DONE_TITLE, texts.SLACK_CHECKING_AGAIN))
            self.spawn(self._look_up(user))
            return
        if person is None:
            await ack(response_action="update", view=blocks.done_modal(texts.SLACK_NOT_DONE_TITLE, self.unknown(user)))
            return
        values = {k: v if isinstance(v, str) else None
                  for k, v in blocks.submitted_values(view["state"]["values"]).items()}
        pressed = await self.service.desk.press(person, payload, values)
        if pressed.field is not None and values:
            block = pressed.field if pressed.field in values else next(iter(values))
            await _refuse(ack, view, values, {block: pressed.reply})
            return
        if not pressed.committed:
            await ack(response_action="update", view=blocks.done_modal(texts.SLACK_NOT_DONE_TITLE, pressed.reply))
            return
        await ack(response_action="update", view=blocks.done_modal(texts.SLACK_DONE_TITLE, pressed.reply or texts.SLACK_DONE_TITLE))
        self.spawn(self._show(pressed, None))


async def _refuse(ack: Ack, view: Mapping[str, Any], values: Mapping[str, Any], errors: Mapping[str, str]) -> None:
    """A refused modal: the errors on their inputs. An answer holding a personal detail is not
    put back (Slack's "errors" answer would keep it as typed): the modal is shown again with
    that input emptied and the error under it."""
    kept = refill(values, errors)
    cleared = [k for k in errors if isinstance(values.get(k), str) and str(values[k]).strip() and k not in kept]
    if cleared:
        await ack(response_action="update", view=blocks.refused_modal(view, errors, cleared))
    else:
        await ack(response_action="errors", errors=dict(errors))


def _message_of(body: Mapping[str, Any]) -> tuple[str, str] | None:
    """The (channel, ts) of the message whose button was pressed, when Slack says."""
    container = body.get("container")
    if not isinstance(container, dict):
        return None
    channel, ts = container.get("channel_id"), container.get("message_ts")
    return (channel, ts) if isinstance(channel, str) and isinstance(ts, str) and channel and ts else None
