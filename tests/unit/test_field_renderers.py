"""Every attribute of a form field reaches the person in every channel.

One `bot.fields.Field` describes an intake question or an input a button asks for; Slack
(cards/slack.py), Teams (cards/adaptive.py), the console (adapters/console templates) and
the /web page (adapters/web_page templates) render it. For each attribute the test renders a field twice, differing only in that
attribute, through each renderer's intake form and action dialog, and the two must differ
(and show the value where it is words). A new Field attribute fails the test until it has a
variant here -- and then until every renderer shows it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest
from jinja2 import Environment, StrictUndefined, select_autoescape

from adapters import pages

from bot import views
from bot.buttons import ActionView, Verb
from bot.fields import Choice, Field, FieldKind
from cards import adaptive, slack
from dialogs.intake import TOGGLE_ON, IntakeForm
from tests.ladder_harness import Ladder, local

MON = local("2027-01-04 10:00")
SECRET = b"contract-secret"
COLOUR = Field("colour", "Colour of the probe", FieldKind.CHOICE, True,
               choices=(Choice("red", "Red"), Choice("blue", "Blue")))
TICK = Field("tick", "Tick the probe", FieldKind.TOGGLE, False)
BASE = Field("probe", "Probe question", FieldKind.TEXT, False)
A, B = Choice("alpha", "Alpha answer"), Choice("beta", "Beta answer")
CHOICE = dataclasses.replace(BASE, kind=FieldKind.CHOICE, choices=(A, B))

# attribute -> (the field without it, the field with it, words that must then be shown)
VARIANTS: dict[str, tuple[Field, Field, tuple[str, ...]]] = {
    "id": (BASE, dataclasses.replace(BASE, id="other_probe"), ("other_probe",)),
    "label": (BASE, dataclasses.replace(BASE, label="Quokka label"), ("Quokka label",)),
    "kind": (BASE, dataclasses.replace(BASE, kind=FieldKind.LONG_TEXT), ()),
    "required": (BASE, dataclasses.replace(BASE, required=True), ()),
    "help": (BASE, dataclasses.replace(BASE, help="Wombat help text."), ("Wombat help text.",)),
    "choices": (dataclasses.replace(CHOICE, choices=(A,)), CHOICE, ("Beta answer", "beta")),
    "max_length": (BASE, dataclasses.replace(BASE, max_length=123), ("123",)),
    "shown_when": (BASE, dataclasses.replace(BASE, shown_when=("colour", "blue")), ()),
    "default": (CHOICE, dataclasses.replace(CHOICE, default="beta"), ()),
}
# every pair of kinds must look different too, not just text and long text
KINDS = [dataclasses.replace(CHOICE, kind=kind) for kind in FieldKind]


def test_every_field_attribute_has_a_variant_here() -> None:
    assert {f.name for f in dataclasses.fields(Field)} == set(VARIANTS)


@pytest.fixture(scope="module")
def card_view() -> views.CardView:
    import asyncio

    async def build() -> views.CardView:
        lad = Ladder()
        ch = await lad.raise_(MON)
        return views.card_for(lad.get(ch.reference), lad.store.roster, "pm-east-1", MON)

    return asyncio.run(build())


def _form(field: Field) -> IntakeForm:
    return IntakeForm("Probe form", "Send", (COLOUR, TICK, field))


def _action(view: views.CardView, field: Field) -> tuple[views.CardView, ActionView]:
    action = ActionView(Verb.ESCALATE, "Probe action", view.reference, view.version,
                        inputs=(COLOUR, TICK, field), submit_label="Send")
    return dataclasses.replace(view, actions=(action,)), action


def _console(field: Field) -> str:
    env = Environment(loader=pages.loader("adapters.console"), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(static="/static", TOGGLE_ON=TOGGLE_ON)
    template = env.from_string('{% from "_control.html" import control %}'
                               "{% for f in fields %}{{ control('p-', f, none, none) }}{% endfor %}")
    return template.render(fields=[COLOUR, TICK, field])


def _web_page(field: Field) -> str:
    from adapters.web_page.common import templates

    template = templates().from_string('{% from "_control.html" import control %}'
                                       "{% for f in fields %}{{ control('p-', f, none, none) }}{% endfor %}")
    return template.render(fields=[COLOUR, TICK, field])


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


Renderer = Callable[[views.CardView, Field], str]
RENDERERS: dict[str, Renderer] = {
    "slack intake modal": lambda view, f: _dump(slack.intake_modal(_form(f))),
    "slack action modal": lambda view, f: _dump(slack.action_modal(*_action(view, f), token="t")),
    "teams intake card": lambda view, f: _dump(adaptive.intake_card(_form(f), secret=SECRET, for_id="pm-east-1",
                                                                    toggle_on=TOGGLE_ON)),
    "teams card action": lambda view, f: _dump(adaptive.challenge_card(_action(view, f)[0], secret=SECRET)),
    "console form": lambda view, f: _console(f),
    "web page form": lambda view, f: _web_page(f),
}


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("attribute", VARIANTS)
def test_the_renderer_shows_the_attribute(renderer: str, attribute: str, card_view: views.CardView) -> None:
    render = RENDERERS[renderer]
    without, with_it, words = VARIANTS[attribute]
    plain, shown = render(card_view, without), render(card_view, with_it)
    assert plain != shown, f"{renderer} ignores Field.{attribute}"
    for word in words:
        assert word in shown, f"{renderer} does not show {word!r} for Field.{attribute}"


@pytest.mark.parametrize("renderer", RENDERERS)
def test_the_renderer_tells_every_kind_of_field_apart(renderer: str, card_view: views.CardView) -> None:
    rendered = [RENDERERS[renderer](card_view, f) for f in KINDS]
    assert len(set(rendered)) == len(KINDS), f"{renderer} renders two kinds of field alike"


@pytest.mark.parametrize("renderer", RENDERERS)
def test_a_field_shown_only_after_another_answer_says_which(renderer: str, card_view: views.CardView) -> None:
    after_choice = RENDERERS[renderer](card_view, dataclasses.replace(BASE, shown_when=("colour", "blue")))
    after_tick = RENDERERS[renderer](card_view, dataclasses.replace(BASE, shown_when=("tick", TOGGLE_ON)))
    if renderer.startswith(("console", "web page")):  # the page hides it until then (its script)
        assert 'data-shown-when="p-colour=blue"' in after_choice and 'data-shown-when="p-tick=yes"' in after_tick
    else:  # cards cannot hide an input until another is answered, so they say when it is needed
        assert "Only when colour of the probe is “blue”." in after_choice
        assert "Only when “Tick the probe” is ticked." in after_tick
