"""Adaptive Card 1.5 renderers (Teams): the shared view models and the intake form as card JSON.

Pure: view model (and what a person typed) in, a JSON-ready dict out. Every button is an
`Action.Execute` whose `data` carries one signed, person-bound, versioned token
(cards.actions) under `DATA_KEY`; the inputs an action asks for are named
`<verb>.<input id>`, so ids stay unique on a card that offers several actions with a
"reason". `read_action` is the inverse: the verb, the token and the inputs of a pressed
button, as Teams sends them in an `adaptiveCard/action` invoke.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot import texts, views
from bot.fields import Field, FieldKind, shown_when_words
from bot.views import ActionView, CardView, Style, Urgency
from cards.actions import ActionPayload, BadAction, sign
from dialogs.intake import TOGGLE_ON, IntakeForm

Card = dict[str, Any]

VERSION = "1.5"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MAX_BYTES = 28 * 1024  # Teams refuses bigger cards
MAX_REFRESH_USERS = 60
MAX_TOP_ACTIONS = 6  # what Teams shows; more go in an ActionSet in the body
DATA_KEY = "mashbot"
REFRESH = "refresh"  # the verb of a card's automatic refresh
INTAKE = "intake"  # the verb of the /challenge form's submit button
TOGGLE_OFF = "no"

_STYLES = {Style.PRIMARY: "positive", Style.DANGER: "destructive", Style.DEFAULT: "default"}
_BANNER_STYLES = {Urgency.BREACHED: "attention", Urgency.OVERDUE: "attention", Urgency.TIMED_OUT: "attention",
                  Urgency.URGENT: "warning",
                  Urgency.DUE_TODAY: "warning"}
NOTICE_COLOURS = ("good", "warning", "attention", "default")


# --- the pieces -----------------------------------------------------------------------------


def text(value: str, **style: Any) -> Card:
    return {"type": "TextBlock", "text": value, "wrap": True, **style}


def envelope(body: list[Card], actions: list[Card] | None = None, **extra: Any) -> Card:
    card: Card = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": body}
    if actions:
        card["actions"] = actions
    card.update(extra)
    return card


def notice_block(notice: str, colour: str = "good") -> Card:
    if colour not in NOTICE_COLOURS:
        raise ValueError(f"notice colour must be one of {', '.join(NOTICE_COLOURS)}")
    return text(notice, color=colour, weight="bolder")


def token_for(verb: str, reference: str, version: int, for_id: str, secret: bytes) -> str:
    return sign(ActionPayload(verb=verb, reference=reference, version=version, for_id=for_id), secret)


def execute(title: str, verb: str, token: str, style: str = "default") -> Card:
    action: Card = {"type": "Action.Execute", "title": title, "verb": verb, "data": {DATA_KEY: token}}
    if style != "default":
        action["style"] = style
    return action


def input_id(verb: str, name: str) -> str:
    return f"{verb}.{name}"


def _input(verb: str, spec: Field, value: str | None, siblings: Sequence[Field]) -> list[Card]:
    """An action's input, with its help: a text input's as its placeholder, any other's (and the
    words saying when it is needed -- Teams cannot hide an input until another is answered)
    in a line under it."""
    element: Card = {"id": input_id(verb, spec.id), "label": spec.label}
    hint = shown_when_words(spec, siblings) + spec.help
    below = hint
    if spec.kind is FieldKind.CHOICE:
        element |= {"type": "Input.ChoiceSet", "style": "compact", "placeholder": texts.TEAMS_CHOOSE,
                    "choices": [{"title": o.label, "value": o.value} for o in spec.choices]}
    elif spec.kind is FieldKind.TOGGLE:
        element = {"id": element["id"], "type": "Input.Toggle", "title": spec.label, "valueOn": TOGGLE_ON,
                   "valueOff": TOGGLE_OFF}
    else:
        element |= {"type": "Input.Text", "isMultiline": spec.kind is FieldKind.LONG_TEXT}
        if spec.help and not spec.shown_when:
            element["placeholder"], below = spec.help, ""
        if spec.max_length:
            element["maxLength"] = spec.max_length
    if spec.required and spec.kind is not FieldKind.TOGGLE:
        element |= {"isRequired": True,
                    "errorMessage": views.MISSING.get((verb, spec.id), texts.TEAMS_REQUIRED)}
    value = value if value is not None else spec.default
    if value:
        element["value"] = value
    return [element, *([text(below.strip(), isSubtle=True, size="small", spacing="none")] if below.strip() else [])]


def _action(view: CardView, act: ActionView, secret: bytes, values: Mapping[str, str]) -> Card:
    token = token_for(act.verb.value, view.reference, act.version, view.viewer_id, secret)
    style = _STYLES[act.style]
    if not act.needs_input:
        return execute(act.label, act.verb.value, token, style)
    body: list[Card] = [text(act.help, isSubtle=True)] if act.help else []
    body += [element for spec in act.inputs
             for element in _input(act.verb.value, spec, values.get(input_id(act.verb.value, spec.id)), act.inputs)]
    submit = execute(act.submit_label or act.label, act.verb.value, token, style)
    submit["associatedInputs"] = "auto"
    return {"type": "Action.ShowCard", "title": act.label,
            "card": {"type": "AdaptiveCard", "body": body, "actions": [submit]}}


# --- a challenge's card ----------------------------------------------------------------------


def challenge_card(view: CardView, *, secret: bytes, refresh_for: str | None = None,
                   notice: str | None = None, notice_colour: str = "good",
                   values: Mapping[str, str] | None = None) -> Card:
    """A reviewer's or challenger's card, its buttons signed for `view.viewer_id`.

    `refresh_for` (the viewer's Teams id) makes Teams fetch the current card when they open
    it while the challenge is active; `values` refills inputs after a refused press."""
    values = values or {}
    head: list[Card] = [text(view.title, weight="bolder", size="medium")]
    if view.urgency in _BANNER_STYLES:
        head.append(text(view.urgency_label, color="attention" if view.urgency in (
            Urgency.BREACHED, Urgency.OVERDUE, Urgency.TIMED_OUT) else "warning", weight="bolder", spacing="none"))
    body: list[Card] = [{"type": "Container", "style": _BANNER_STYLES.get(view.urgency, "emphasis"),
                         "bleed": True, "items": head}]
    if notice:
        body.append(notice_block(notice, notice_colour))
    body.append(text(view.status))
    if view.note:
        body.append(text(view.note, isSubtle=True))
    body.append({"type": "FactSet", "facts": [{"title": f.label, "value": f.value} for f in view.facts]})
    if view.outcome:
        body.append(text(texts.TEAMS_OUTCOME.format(outcome=view.outcome)))
    if view.case_note:
        body.append(text(texts.TEAMS_CASE_NOTE.format(case_note=view.case_note), isSubtle=True))
    main = [a for a in view.actions if a.verb not in views.SHARED_VERBS]
    shared = [a for a in view.actions if a.verb in views.SHARED_VERBS]
    top = [_action(view, a, secret, values) for a in main]
    rest = [_action(view, a, secret, values) for a in shared]
    if len(top) + len(rest) <= MAX_TOP_ACTIONS:
        top, rest = top + rest, []
    if rest:
        body += [text(texts.TEAMS_OTHER_ACTIONS, weight="bolder", spacing="large"), {"type": "ActionSet", "actions": rest}]
    extra: Card = {}
    if refresh_for and view.active and view.follows:  # a pool member who did not take it stops here
        token = token_for(REFRESH, view.reference, view.version, view.viewer_id, secret)
        extra["refresh"] = {"action": execute(texts.TEAMS_REFRESH, REFRESH, token), "userIds": [refresh_for]}
    return envelope(body, top, **extra)


def inbox_card(title: str, cards: Sequence[CardView], hint: str, limit: int = 20) -> Card:
    """A list of challenges, one short block each (no buttons: `status REF` opens one)."""
    body: list[Card] = [text(title, weight="bolder", size="medium")]
    for view in cards[:limit]:
        line = f"{view.reference} · {view.area} · {view.stage_name} · {view.state_label}"
        items = [text(line, weight="bolder"), text(view.status, isSubtle=True, spacing="none")]
        if view.due:
            items.append(text(view.due[:1].upper() + view.due[1:], spacing="none",
                              color="attention" if view.urgency in (Urgency.OVERDUE, Urgency.BREACHED) else "default"))
        body.append({"type": "Container", "separator": True, "items": items})
    if len(cards) > limit:
        body.append(text(f"… and {len(cards) - limit} more.", isSubtle=True))
    body.append(text(hint, isSubtle=True))
    return envelope(body)


def message_card(title: str, lines: Iterable[str], *, notice: str | None = None,
                 notice_colour: str = "good") -> Card:
    """Plain words (help, a notice, the digest), one TextBlock per line, cut to fit a card."""
    body: list[Card] = [text(title, weight="bolder", size="medium")]
    if notice:
        body.append(notice_block(notice, notice_colour))
    pending = list(lines)
    for index, line in enumerate(pending):
        if not line.strip():
            continue
        indented = line.startswith("  ")
        block = text(("• " + line.strip()) if indented else line.strip(), spacing="none" if indented else "medium")
        if not indented and index and pending[index - 1].strip() == "":
            block["weight"] = "bolder"
        body.append(block)
        if size(envelope(body)) > MAX_BYTES - 512:
            body.pop()
            body.append(text(texts.TEAMS_SHORTENED.format(count=len(pending) - index), isSubtle=True))
            break
    return envelope(body)


# --- the intake form -------------------------------------------------------------------------


def _field(spec: Field, value: str | None, toggle_on: str) -> Card:
    element: Card = {"id": input_id(INTAKE, spec.id)}
    label = spec.label + (" *" if spec.required else "")
    kind = str(spec.kind)
    if kind != "toggle":
        element["label"] = label
    if kind == "choice":
        element |= {"type": "Input.ChoiceSet", "style": "compact", "placeholder": texts.TEAMS_CHOOSE,
                    "choices": [{"title": c.label, "value": c.value} for c in spec.choices]}
    elif kind == "toggle":
        element |= {"type": "Input.Toggle", "title": spec.label, "valueOn": toggle_on, "valueOff": TOGGLE_OFF}
    else:
        element |= {"type": "Input.Text", "isMultiline": kind == "long_text"}
        if spec.max_length:
            element["maxLength"] = spec.max_length
    value = value if value is not None else spec.default
    if value:
        element["value"] = value
    return element


def intake_card(form: IntakeForm, *, secret: bytes, for_id: str, toggle_on: str,
                values: Mapping[str, str] | None = None, errors: Mapping[str, str] | None = None,
                form_error: str | None = None, intro: str | None = None, nonce: str = "") -> Card:
    """The /challenge form as a card; after a refused submit, the answers come back with the
    error under each field (validation stays in dialogs: nothing is `isRequired` here, since
    a complaint needs only three answers). `nonce` travels in the signed token so the one
    form raises one challenge however often it is pressed."""
    values, errors = values or {}, errors or {}
    body: list[Card] = [text(form.title, weight="bolder", size="medium")]
    if intro:
        body.append(text(intro, isSubtle=True))
    if form_error:
        body.append(notice_block(form_error, "attention"))
    elif errors:
        body.append(notice_block(texts.TEAMS_FIX_ANSWERS, "attention"))
    for spec in form.fields:
        body.append(_field(spec, values.get(spec.id), toggle_on))
        hint = shown_when_words(spec, form.fields) + spec.help
        if hint.strip():
            body.append(text(hint.strip(), isSubtle=True, size="small", spacing="none"))
        if spec.id in errors:
            body.append(text(errors[spec.id], color="attention", spacing="none"))
    token = token_for(INTAKE, nonce, 0, for_id, secret)
    return envelope(body, [execute(form.submit_label, INTAKE, token, "positive")])


# --- reading a press -------------------------------------------------------------------------


@dataclass(frozen=True)
class Press:
    """An `Action.Execute` as Teams sends it: verb, token and the inputs it carried."""

    verb: str
    token: str
    inputs: dict[str, str]
    automatic: bool  # a refresh Teams made by itself, not a person's press


def read_action(value: Any) -> Press:
    """The press in an `adaptiveCard/action` invoke's value; BadAction when it is not ours."""
    if not isinstance(value, Mapping):
        raise BadAction("malformed action")
    action = value.get("action")
    if not isinstance(action, Mapping) or action.get("type") != "Action.Execute":
        raise BadAction("not an Action.Execute")
    verb, data = action.get("verb"), action.get("data")
    if not isinstance(verb, str) or not isinstance(data, Mapping) or not isinstance(data.get(DATA_KEY), str):
        raise BadAction("malformed action")
    prefix = f"{verb}."
    inputs = {key[len(prefix):]: str(v) if not isinstance(v, str) else v
              for key, v in data.items() if isinstance(key, str) and key.startswith(prefix) and v is not None}
    return Press(verb, data[DATA_KEY], inputs, value.get("trigger") == "automatic")


# --- the rules we rely on ----------------------------------------------------------------------


def size(card: Card) -> int:
    """Bytes of the card as sent (compact JSON, UTF-8)."""
    return len(json.dumps(card, separators=(",", ":"), ensure_ascii=False).encode())


def _walk_actions(card: Card) -> Iterable[Card]:
    for action in card.get("actions", []):
        yield action
        if action.get("type") == "Action.ShowCard":
            yield from _walk_actions(action["card"])
    for element in _elements(card):
        if element.get("type") == "ActionSet":
            for action in element["actions"]:
                yield action
                if action.get("type") == "Action.ShowCard":
                    yield from _walk_actions(action["card"])


def _elements(card: Card) -> Iterable[Card]:
    stack = list(card.get("body", []))
    while stack:
        element = stack.pop(0)
        yield element
        stack.extend(element.get("items", []))


def _inputs(card: Card) -> Iterable[Card]:
    for element in _elements(card):
        if str(element.get("type", "")).startswith("Input."):
            yield element
    for action in card.get("actions", []) + [a for el in _elements(card) if el.get("type") == "ActionSet"
                                             for a in el["actions"]]:
        if action.get("type") == "Action.ShowCard":
            yield from _inputs(action["card"])


def problems(card: Card) -> list[str]:
    """What breaks the Adaptive Card 1.5 rules mashbot relies on ([] when none)."""
    found: list[str] = []
    if card.get("type") != "AdaptiveCard" or card.get("version") != VERSION:
        found.append(f"not an AdaptiveCard of version {VERSION}")
    actions = list(_walk_actions(card))
    refresh = card.get("refresh")
    if refresh is not None:
        actions.append(refresh.get("action", {}))
        if len(refresh.get("userIds", [])) > MAX_REFRESH_USERS:
            found.append(f"refresh.userIds holds more than {MAX_REFRESH_USERS} ids")
    for action in actions:
        kind = action.get("type")
        if kind not in ("Action.Execute", "Action.ShowCard"):
            found.append(f"action {action.get('title')!r} is {kind}, not Action.Execute")
        elif kind == "Action.Execute" and (not action.get("verb") or not action.get("data", {}).get(DATA_KEY)):
            found.append(f"Action.Execute {action.get('title')!r} lacks a verb or its signed data")
    if len(card.get("actions", [])) > MAX_TOP_ACTIONS:
        found.append(f"more than {MAX_TOP_ACTIONS} top-level actions")
    ids = [element.get("id") for element in _inputs(card)]
    if any(not i for i in ids):
        found.append("an input has no id")
    duplicates = sorted({i for i in ids if i and ids.count(i) > 1})
    if duplicates:
        found.append(f"input ids repeat: {', '.join(duplicates)}")
    if size(card) > MAX_BYTES:
        found.append(f"card is {size(card)} bytes, over {MAX_BYTES}")
    return found
