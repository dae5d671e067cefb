"""The transition table is the rule: every command has a row, a command outside its row's
states is refused with the state named, and no card offers a button the table would refuse."""

from __future__ import annotations

import pytest

from bot import commands, transitions, views
from bot.challenge import Challenge, Outcome, State
from bot.commands import Accept, AcceptOutcome, ChallengeCommand, Delegate, Escalate, RecordOutcome, Withdraw
from bot.errors import InvalidCommand
from tests.ladder_harness import Ladder, local

MON = local("2027-01-04 10:00")
VIEWERS = ("practitioner", "pm-east-1", "pm-east-2", "team-manager", "senior-manager", "county-manager",
           "loc-sm-east")


def test_every_command_has_a_row_in_the_table() -> None:
    for cls in ChallengeCommand.__subclasses__():
        assert cls.__name__ in {t.what for t in transitions.TRANSITIONS}, cls.__name__
    assert commands.Escalate.__name__ in {transitions.REVIEWER_ESCALATE.what, transitions.CHALLENGER_ESCALATE.what}


async def in_every_state(lad: Ladder) -> list[Challenge]:
    opened = await lad.raise_(MON)
    accepted = await lad.raise_(MON)
    await lad.act(Accept, accepted.reference, "pm-east-1", MON)
    proposed = await lad.raise_(MON)
    await lad.act(Accept, proposed.reference, "pm-east-1", MON)
    await lad.act(RecordOutcome, proposed.reference, "pm-east-1", MON, outcome=Outcome.DECISION_UPHELD,
                  rationale="Thresholds applied correctly")
    joint = await lad.raise_(MON)
    await lad.act(Accept, joint.reference, "pm-east-1", MON)
    await lad.act(RecordOutcome, joint.reference, "pm-east-1", MON, outcome=Outcome.ASSESSMENT_CANCELLED,
                  rationale="Support in place", level="2")
    closed = await lad.raise_(MON)
    await lad.act(Accept, closed.reference, "pm-east-1", MON)
    await lad.act(RecordOutcome, closed.reference, "pm-east-1", MON, outcome=Outcome.DECISION_REVISED,
                  rationale="Agreed")
    await lad.act(AcceptOutcome, closed.reference, "practitioner", MON)
    withdrawn = await lad.raise_(MON)
    await lad.act(Withdraw, withdrawn.reference, "practitioner", MON, reason="")
    found = [lad.get(c.reference) for c in (opened, accepted, proposed, joint, closed, withdrawn)]
    assert {c.state for c in found} == set(State)
    return found


async def test_no_card_offers_a_button_the_table_refuses_in_that_state() -> None:
    lad = Ladder()
    for challenge in await in_every_state(lad):
        for viewer in VIEWERS:
            card = views.card_for(challenge, lad.store.roster, viewer, MON)
            for action in card.actions:
                values = {i.id: (i.choices[0].value if i.choices else "Without personal details") for i in action.inputs}
                cmd = views.action_command(action.verb, actor_id=viewer, reference=challenge.reference,
                                           version=challenge.version, values=values)
                rule = transitions.rule_for(challenge, cmd)
                assert challenge.state in rule.from_states, (challenge.state, viewer, action.verb)


@pytest.mark.parametrize(("command", "actor", "fields"), [
    (Accept, "pm-east-1", {}),
    (Delegate, "pm-east-1", {"to_id": "pm-east-2"}),
    (Escalate, "pm-east-1", {"reason": "Needs a manager"}),
    (AcceptOutcome, "practitioner", {}),
    (Withdraw, "practitioner", {"reason": ""}),
])
async def test_a_command_outside_its_rows_states_is_refused_naming_the_state(
        command: type[ChallengeCommand], actor: str, fields: dict[str, str]) -> None:
    lad = Ladder()
    for challenge in await in_every_state(lad):
        rule = transitions.rule_for(challenge, command(actor_id=actor, reference=challenge.reference,
                                                       version=challenge.version, **fields))
        if challenge.state in rule.from_states:
            continue
        with pytest.raises(InvalidCommand, match=challenge.state.value.replace("_", " ")):
            await lad.act(command, challenge.reference, actor, MON, **fields)
        assert lad.get(challenge.reference).version == challenge.version
