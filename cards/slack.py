"""Slack Block Kit renderer: bot/views.py's card view models and the dialogs/ intake → JSON.

Pure: no I/O, no clock, no SDK. Every button's `value` is a signed, person-bound, versioned
payload (cards/actions.py). The content is the view models' — this module only lays it out
within Block Kit's limits (50 blocks a message, 3,000 characters a section, 75 a button,
24 a modal title) and escapes mrkdwn.

Block ids: an intake field's block id is its field id, and an action input's block id is its
input id, so validation errors (field id → message) are Slack's `response_action=errors`
as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bot import texts
from bot.timeline import TimelineEntry
from bot.views import (
    ActionInput,
    ActionView,
    CardView,
    Style,
    Urgency,
    Verb,
)
from cards.actions import ActionPayload, sign
from bot.fields import FieldKind
from dialogs.intake import COMPLAINT, COMPLAINT_FIELDS, TOGGLE_ON, IntakeField, IntakeForm

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_FIELD = 2000
MAX_BUTTON = 75
MAX_OPTION = 75
MAX_TITLE = 24
MAX_HEADER = 150
MAX_LABEL = 2000
MAX_OPTIONS = 100
MAX_FALLBACK = 3000

ACTION_PREFIX = "mashbot:"  # action_id of every card button: "mashbot:<verb>"
INTAKE_CALLBACK = "mashbot_intake"
ACTION_CALLBACK = "mashbot_action"

# The Slack-only words around the view models' content.
CLOSE = "Close"
CANCEL = "Cancel"
YES = "Yes"
DONE_TITLE = "mashbot"
SUPERSEDED = "Out of date: the latest card for {reference} is further down this conversation."
COMPLAINT_HEADING = "This is a complaint, not a challenge"
COMPLAINT_SUBMIT = "Use complaints route"
REASON_FIELD = "reason_category"  # its select is dispatched as soon as it is chosen
SHOWN_WHEN = "Only when {label} is “{value}”. "
SHOWN_WHEN_TICKED = "Only when “{label}” is ticked. "
CASE_NOTE_HEADING = "Case-note wording to copy"
CASE_NOTE_PREVIEW = "When a joint decision ends an assessment, the case note will read:"
OUTCOME_HEADING = "Outcome"
LIST_TITLES = {"needs": "Waiting for you", "mine": "Raised by you", "following": "Following"}
NOTHING_OPEN = "You have no open challenges and nothing is waiting for you."
TIMELINE_HEADING = "Timeline"
URGENCY_MARKS = {
    Urgency.BREACHED: ":red_circle:",
    Urgency.OVERDUE: ":red_circle:",
    Urgency.TIMED_OUT: ":red_circle:",
    Urgency.URGENT: ":rotating_light:",
    Urgency.DUE_TODAY: ":large_orange_circle:",
    Urgency.NORMAL: ":large_green_circle:",
    Urgency.DONE: ":white_check_mark:",
}


# --- text helpers ------------------------------------------------------------------------


def escape(text: str) -> str:
    """mrkdwn-safe text: Slack reads &, < and > as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str, limit: int = MAX_LABEL) -> dict[str, Any]:
    return {"type": "plain_text", "text": cut(text, limit), "emoji": True}


def mrkdwn(text: str, limit: int = MAX_SECTION) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": cut(text, limit)}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def context(*parts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(p) for p in parts if p][:10]}


def sections(text: str) -> list[Block]:
    """Long mrkdwn split on line ends into sections of at most MAX_SECTION characters."""
    chunks: list[str] = []
    current = ""
    for line in text.splitlines():
        pieces = [line[i:i + MAX_SECTION] for i in range(0, len(line), MAX_SECTION)] or [""]
        for piece in pieces:
            if current and len(current) + 1 + len(piece) > MAX_SECTION:
                chunks.append(current)
                current = piece
            else:
                current = f"{current}\n{piece}" if current else piece
    chunks.append(current)
    return [section(c) for c in chunks if c.strip()]


def _capped(blocks: list[Block]) -> list[Block]:
    """At most MAX_BLOCKS; the actions block (last) is kept when something has to go."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    tail = [blocks[-1]] if blocks[-1].get("type") == "actions" else []
    return blocks[: MAX_BLOCKS - len(tail)] + tail


def message(fallback: str, blocks: list[Block]) -> dict[str, Any]:
    """chat.postMessage / chat.update arguments: notification text plus the blocks."""
    return {"text": cut(fallback, MAX_FALLBACK), "blocks": _capped(blocks)}


# --- cards -------------------------------------------------------------------------------


def button_value(card: CardView, action: ActionView, secret: bytes) -> str:
    """The signed payload of one button: who it is for, which challenge, verb and version."""
    return sign(ActionPayload(action.verb.value, action.reference, action.version, card.viewer_id), secret)


def _button(card: CardView, action: ActionView, secret: bytes) -> Block:
    button: Block = {"type": "button", "action_id": ACTION_PREFIX + action.verb.value,
                     "text": plain(action.label, MAX_BUTTON), "value": button_value(card, action, secret)}
    if action.style is not Style.DEFAULT:
        button["style"] = action.style.value
    return button


def _facts(card: CardView) -> list[Block]:
    fields = [mrkdwn(f"*{escape(f.label)}*\n{escape(f.value)}", MAX_FIELD) for f in card.facts]
    return [{"type": "section", "fields": fields[i:i + 10]} for i in range(0, len(fields), 10)]


def _headline(headline: str | None, body: str | None) -> list[Block]:
    if not headline and not body:
        return []
    text = "\n".join(p for p in (f"*{escape(headline)}*" if headline else "", escape(body or "")) if p)
    return sections(text)


def _summary(card: CardView) -> str:
    return " · ".join(p for p in (
        f"{URGENCY_MARKS[card.urgency]} {escape(card.urgency_label)}", escape(card.state_label),
        escape(card.stage_position)) if p)


def card_blocks(card: CardView, secret: bytes, *, headline: str | None = None,
                body: str | None = None) -> list[Block]:
    """The card as a Block Kit message body, buttons signed for `card.viewer_id`."""
    blocks: list[Block] = [*_headline(headline, body), {"type": "header", "text": plain(card.title, MAX_HEADER)},
                           context(_summary(card))]
    blocks += _facts(card)
    blocks.append(section(escape(card.status)))
    if card.outcome:
        blocks.append(section(f"*{OUTCOME_HEADING}*\n{escape(card.outcome)}"))
    if card.case_note:
        blocks.append(section(f"*{CASE_NOTE_HEADING}*\n```{escape(card.case_note)}```"))
    if card.note:
        blocks.append(context(escape(card.note)))
    if card.actions:
        blocks.append({"type": "actions", "block_id": f"mashbot:{card.reference}:{card.version}",
                       "elements": [_button(card, a, secret) for a in card.actions][:25]})
    return blocks


def card_message(card: CardView, secret: bytes, *, headline: str | None = None,
                 body: str | None = None) -> dict[str, Any]:
    """A DM carrying the card (and, above it, what just happened)."""
    fallback = headline or card.title
    return message(fallback, card_blocks(card, secret, headline=headline, body=body))


def superseded_message(card: CardView, *, headline: str | None = None) -> dict[str, Any]:
    """An older DM card once a newer one is posted: where it stands, no buttons."""
    blocks = [*_headline(headline, None), section(f"*{escape(card.title)}*\n{escape(card.status)}"),
              context(escape(SUPERSEDED.format(reference=card.reference)))]
    return message(headline or card.title, blocks)


def notice_message(subject: str, body: str) -> dict[str, Any]:
    """A DM with no card (the digest, or a message about no single challenge)."""
    return message(subject, _headline(subject, None) + sections(escape(body)))


# --- lists and status (replies to /challenge) ----------------------------------------------


def _line(card: CardView) -> str:
    due = f" — {escape(card.due)}" if card.due else ""
    return (f"{URGENCY_MARKS[card.urgency]} *{escape(card.reference)}* ({escape(card.area)}, "
            f"{escape(card.stage_name)}){due}\n{escape(card.status)}")


def list_blocks(groups: Mapping[str, Sequence[CardView]]) -> list[Block]:
    """`/challenge list`: each group (needs / mine / following) as a heading and lines."""
    blocks: list[Block] = []
    for key, cards in groups.items():
        if not cards:
            continue
        blocks.append(section(f"*{escape(LIST_TITLES.get(key, key))}*"))
        blocks += sections("\n\n".join(_line(c) for c in cards))
    return _capped(blocks or [section(NOTHING_OPEN)])


def status_blocks(card: CardView, timeline: Iterable[TimelineEntry]) -> list[Block]:
    """`/challenge status REF`: the card (no buttons: those live on the DM) and its timeline."""
    blocks: list[Block] = [{"type": "header", "text": plain(card.title, MAX_HEADER)}, context(_summary(card))]
    blocks += _facts(card)
    blocks.append(section(escape(card.status)))
    if card.outcome:
        blocks.append(section(f"*{OUTCOME_HEADING}*\n{escape(card.outcome)}"))
    lines = [f"{escape(e.when)} — {escape(e.label)} ({escape(e.actor)})"
             + (f": {escape(e.detail)}" if e.detail else "") for e in timeline]
    if lines:
        blocks += sections(f"*{TIMELINE_HEADING}*\n" + "\n".join(lines))
    return _capped(blocks)


# --- modals --------------------------------------------------------------------------------


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": plain(label, MAX_OPTION), "value": value}


def _element(kind: FieldKind, element_id: str, options: Sequence[tuple[str, str]],
             max_length: int | None, initial: str | None) -> dict[str, Any]:
    if kind is FieldKind.CHOICE:
        element: dict[str, Any] = {"type": "static_select", "action_id": element_id,
                                   "options": [_option(v, label) for v, label in options][:MAX_OPTIONS]}
        chosen = next(((v, label) for v, label in options if v == initial), None)
        if chosen:
            element["initial_option"] = _option(*chosen)
        return element
    if kind is FieldKind.TOGGLE:
        return {"type": "checkboxes", "action_id": element_id, "options": [_option(TOGGLE_ON, YES)]}
    element = {"type": "plain_text_input", "action_id": element_id,
               "multiline": kind is FieldKind.LONG_TEXT}
    if max_length:
        element["max_length"] = max_length
    return element


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool, hint: str) -> Block:
    block: Block = {"type": "input", "block_id": block_id, "label": plain(label),
                    "element": element, "optional": optional}
    if hint.strip():
        block["hint"] = plain(hint.strip())
    return block


def _modal(callback_id: str, title: str, submit: str | None, blocks: list[Block], metadata: str) -> dict[str, Any]:
    view: dict[str, Any] = {"type": "modal", "callback_id": callback_id, "title": plain(title, MAX_TITLE),
                            "close": plain(CANCEL if submit else CLOSE, MAX_TITLE),
                            "blocks": _capped(blocks), "private_metadata": metadata}
    if submit:
        view["submit"] = plain(submit, MAX_TITLE)
    return view


def _action_input(item: ActionInput, inputs: Sequence[ActionInput]) -> Block:
    hint = item.help
    if item.shown_when:
        source, value = item.shown_when
        label = next((i.label for i in inputs if i.id == source), source)
        shown = next((o.label for i in inputs if i.id == source for o in i.choices if o.value == value), value)
        hint = SHOWN_WHEN.format(label=label.lower(), value=shown.lower()) + hint
    element = _element(item.kind, item.id, [(o.value, o.label) for o in item.choices], item.max_length, None)
    return _input(item.id, item.label, element, optional=not item.required, hint=hint)


def action_modal(card: CardView, action: ActionView, token: str) -> dict[str, Any]:
    """The modal a button opens to ask for its inputs; `token` is the button's signed payload."""
    blocks: list[Block] = [section(f"*{escape(card.title)}*\n{escape(card.status)}")]
    if action.help:
        blocks.append(context(escape(action.help)))
    blocks += [_action_input(i, action.inputs) for i in action.inputs]
    if action.verb is Verb.RECORD_OUTCOME and any(i.id == "level" for i in action.inputs):
        note = texts.DE_ESCALATION_NOTE.format(rationale="<your rationale>", level="<level>")
        blocks.append(context(f"{CASE_NOTE_PREVIEW} _{escape(note)}_"))
    return _modal(ACTION_CALLBACK, action.title or action.label, action.submit_label or action.label, blocks, token)


def _intake_input(field: IntakeField, form: IntakeForm, initial: str | None = None) -> Block:
    hint = field.help
    optional = not field.required or field.kind is FieldKind.TOGGLE
    if field.shown_when:
        source = form.field(field.shown_when[0])
        words = SHOWN_WHEN_TICKED if source.kind is FieldKind.TOGGLE else SHOWN_WHEN
        hint = words.format(label=source.label, value=field.shown_when[1]) + hint
    element = _element(field.kind, field.id, [(c.value, c.label) for c in field.choices], field.max_length,
                       initial if initial is not None else field.default)
    block = _input(field.id, field.label, element, optional=optional, hint=hint)
    if field.id == REASON_FIELD:
        block["dispatch_action"] = True  # choosing "complaint" turns the form into the complaint route at once
    return block


def intake_modal(form: IntakeForm, metadata: str = "", *, complaint_text: str | None = None) -> dict[str, Any]:
    """`/challenge`: the shared intake form as a modal; block ids are the form's field ids.

    With `complaint_text` (the reason chosen was a complaint) it is the complaint route: the
    procedure's words at once, and only what a complaint count needs.
    """
    if complaint_text is None:
        return _modal(INTAKE_CALLBACK, form.title, form.submit_label,
                      [_intake_input(f, form) for f in form.fields], metadata)
    asked = [_intake_input(f, form, COMPLAINT if f.id == REASON_FIELD else None)
             for f in form.fields if f.id in COMPLAINT_FIELDS]
    blocks = [section(f"*{escape(COMPLAINT_HEADING)}*\n{escape(complaint_text)}"), *asked]
    return _modal(INTAKE_CALLBACK, form.title, COMPLAINT_SUBMIT, blocks, metadata)


REFUSED_PREFIX = ":warning: "
CLEARED_SUFFIX = ":again"  # a new action id: Slack keeps what was typed only under the same ids


def refused_modal(view: Mapping[str, Any], errors: Mapping[str, str], cleared: Iterable[str]) -> dict[str, Any]:
    """A modal shown again after a refusal, the error under each input it is about, and the
    inputs in `cleared` (they held a personal detail) emptied rather than kept as typed --
    what `response_action="errors"` would do. Everything else stays as the person left it."""
    gone = set(cleared)
    shown: list[Block] = []
    for block in view.get("blocks", []):
        block = dict(block)
        block_id = block.get("block_id")
        if block.get("type") == "input" and block_id in gone:
            element = {k: v for k, v in block["element"].items() if not k.startswith("initial")}
            element["action_id"] = str(element["action_id"]) + CLEARED_SUFFIX
            block["element"] = element
        shown.append(block)
        if block.get("type") == "input" and block_id in errors:
            shown.append(context(REFUSED_PREFIX + escape(errors[str(block_id)])))
    kept = {k: v for k, v in view.items() if k in _VIEW_KEYS}  # what Slack accepts back in a view
    return {**kept, "blocks": _capped(shown)}


_VIEW_KEYS = ("type", "callback_id", "title", "submit", "close", "private_metadata", "clear_on_close",
              "notify_on_close", "external_id")


def done_modal(title: str, text: str) -> dict[str, Any]:
    """What a submitted modal turns into: the reply, and a Close button."""
    return _modal(INTAKE_CALLBACK + ":done", title or DONE_TITLE, None, sections(escape(text)), "")


# --- reading a submitted modal --------------------------------------------------------------


def submitted_values(state: Mapping[str, Any]) -> dict[str, str | bool | None]:
    """A view's `state.values` as {block id: value}: text, the chosen option, or a toggle."""
    found: dict[str, str | bool | None] = {}
    for block_id, actions in state.items():
        if not isinstance(actions, Mapping):
            continue
        for element in actions.values():
            if not isinstance(element, Mapping):
                continue
            kind = element.get("type")
            if kind == "checkboxes":
                chosen = element.get("selected_options") or []
                found[block_id] = any(isinstance(o, Mapping) and o.get("value") == TOGGLE_ON for o in chosen)
            elif kind in ("static_select", "radio_buttons"):
                option = element.get("selected_option")
                found[block_id] = option.get("value") if isinstance(option, Mapping) else None
            else:
                value = element.get("value")
                found[block_id] = value if isinstance(value, str) else None
    return found
