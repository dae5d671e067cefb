"""Every free-text input a card offers refuses personal identifiers, through the same path
every channel takes (buttons.action_command, then the core), and nothing is stored.

The inputs are found from the cards themselves, so a new long-text input on a card is
checked here without being listed by hand.
"""

from __future__ import annotations

import pytest

from bot import views
from bot.buttons import ActionView, Verb
from bot.fields import FieldKind
from bot.challenge import Outcome
from bot.commands import Accept, RecordOutcome
from bot.errors import InvalidCommand
from tests.ladder_harness import Ladder, local

MON = local("2027-01-04 10:00")
NINO = "see NI number QQ 12 34 56 C"
REFUSAL = "a National Insurance number: 'QQ…' (at word 4)"
# The Stage 3 form's family details are personal by design: emailed to CSAP, never kept.
NOT_CHECKED = {(Verb.SEND_STAGE3_FORM, name) for name in ("meeting_date",)}
# A discussion's time is not free text: only "YYYY-MM-DD HH:MM" is taken, anything else refused.
NOT_CHECKED |= {(Verb.BOOK_DISCUSSION, "when")}
FILLED = {"outcome": Outcome.DECISION_UPHELD.value, "category": "training_need", "scope": "multi_agency"}


async def open_challenge(urgent: bool = False) -> tuple[Ladder, str]:
    lad = Ladder()
    extra = {"urgent": True, "urgent_reason": "Life-threatening"} if urgent else {}
    return lad, (await lad.raise_(MON, **extra)).reference


async def accepted() -> tuple[Ladder, str]:
    lad, ref = await open_challenge()
    await lad.act(Accept, ref, "pm-east-1", MON)
    return lad, ref


async def outcome_proposed() -> tuple[Ladder, str]:
    lad, ref = await accepted()
    await lad.act(RecordOutcome, ref, "pm-east-1", MON, outcome=Outcome.DECISION_REVISED,
                  rationale="New information changes the level")
    return lad, ref


async def awaiting_joint_agreement() -> tuple[Ladder, str]:
    lad, ref = await accepted()
    await lad.act(RecordOutcome, ref, "pm-east-1", MON, outcome=Outcome.ASSESSMENT_CANCELLED,
                  rationale="needs met at level 2", level="2")
    return lad, ref


# (how to get there, whose card)
SCENES = {
    "open, reviewer": (open_challenge, "pm-east-1"),
    "open, challenger": (open_challenge, "practitioner"),
    "urgent, reviewer": (lambda: open_challenge(urgent=True), "pm-east-1"),
    "accepted, owner": (accepted, "pm-east-1"),
    "outcome proposed, challenger": (outcome_proposed, "practitioner"),
    "joint agreement, locality senior manager": (awaiting_joint_agreement, "loc-sm-east"),
}


def text_inputs(action: ActionView) -> list[str]:
    return [i.id for i in action.inputs if i.kind in (FieldKind.LONG_TEXT, FieldKind.TEXT)
            and (action.verb, i.id) not in NOT_CHECKED and not i.id.startswith("family_")]


async def card(scene: str) -> tuple[Ladder, str, str, list[ActionView]]:
    make, viewer = SCENES[scene]
    lad, ref = await make()
    ch = lad.get(ref)
    view = views.card_for(ch, lad.store.roster, viewer, MON, lad.store.events)
    return lad, ref, viewer, list(view.actions)


@pytest.mark.parametrize("scene", SCENES)
async def test_every_free_text_input_on_the_card_refuses_an_identifier_and_stores_nothing(scene: str) -> None:
    lad, ref, viewer, actions = await card(scene)
    checked = []
    for action in actions:
        for name in text_inputs(action):
            values = {i.id: FILLED.get(i.id, "Thresholds not applied") for i in action.inputs if i.required}
            values[name] = NINO
            before = (lad.store.challenges[ref], len(lad.store.events), len(lad.store.outbox))
            with pytest.raises(InvalidCommand) as refused:
                command = views.action_command(action.verb, actor_id=viewer, reference=ref,
                                               version=action.version, values=values)
                await lad.bot.handle(command, MON)
            assert REFUSAL in str(refused.value), (action.verb, name, str(refused.value))
            assert "use the case reference instead" in str(refused.value)
            assert (lad.store.challenges[ref], len(lad.store.events), len(lad.store.outbox)) == before
            checked.append((action.verb.value, name))
    assert checked, f"no free-text input on the {scene} card"


async def test_the_scenes_reach_every_free_text_input_the_cards_offer() -> None:
    reached = set()
    for scene in SCENES:
        _, _, _, actions = await card(scene)
        reached |= {(a.verb.value, name) for a in actions for name in text_inputs(a)}
    assert reached == {
        ("escalate", "reason"), ("mark_urgent", "reason"), ("withdraw", "reason"), ("tell_csap", "detail"),
        ("add_lesson", "text"), ("record_outcome", "rationale"), ("escalate_outcome", "reason"),
        ("joint_refuse", "reason"), ("mark_urgent", "protective_action"),
    }
