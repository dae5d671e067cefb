"""The front desk against in-memory ports: the one visibility rule, a press, the intake."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot import texts
from bot.challenge import State
from bot.errors import NotFound
from dialogs.desk import Desk, Payload, Tone
from tests.fakes import FakeUnitOfWork
from tests.ladder_harness import Ladder, local, person, staff

NOW = local("2027-01-04 10:00")


def desk_of(ladder: Ladder, now: datetime = NOW) -> Desk:
    return Desk(ladder.bot, lambda: FakeUnitOfWork(ladder.store), lambda: now)


def people() -> list:
    return [*staff(), person("stranger-pm", "practice_manager", areas=("Central",)),
            person("nobody", side="partner"), person("digest-only", "senior_manager")]


@pytest.fixture
def ladder() -> Ladder:
    return Ladder(people=people())


def who(ladder: Ladder, pid: str):
    found = ladder.store.roster.get(pid)
    assert found is not None
    return found


@pytest.mark.parametrize(("pid", "sees"), [
    ("practitioner", True),  # raised it
    ("pm-east-1", True),  # in the pool reviewing it
    ("team-manager", True),  # above in the ladder
    ("senior-manager", True),  # above, and reads the digest
    ("head-of-service", True),
    ("digest-only", True),  # reads the digest only: no stage of the ladder is theirs
    ("stranger-pm", False),  # MASH staff, another area, not involved
    ("pm-central-1", False),
    ("nobody", False),
    ("loc-tm-east", False),
])
async def test_only_the_involved_those_above_and_digest_readers_may_look_a_challenge_up(
        ladder: Ladder, pid: str, sees: bool) -> None:
    ch = await ladder.raise_(NOW, area="East")
    desk = desk_of(ladder)
    if sees:
        found = await desk.lookup(who(ladder, pid), ch.reference.lower())
        assert found.card.reference == ch.reference and found.timeline
    else:
        with pytest.raises(NotFound) as refused:
            await desk.lookup(who(ladder, pid), ch.reference)
        # the same words as for a reference that does not exist
        assert str(refused.value) == texts.NOT_FOUND.format(reference=ch.reference)


async def test_an_unknown_reference_is_not_found(ladder: Ladder) -> None:
    with pytest.raises(NotFound, match="There is no challenge CH-NOPE"):
        await desk_of(ladder).lookup(who(ladder, "pm-east-1"), "CH-NOPE")


async def test_a_press_applies_once_and_returns_the_card_as_it_now_stands(ladder: Ladder) -> None:
    ch = await ladder.raise_(NOW, area="East")
    desk = desk_of(ladder)
    ava = who(ladder, "pm-east-1")
    payload = Payload(ch.reference, "accept", ch.version, ava.id)
    commits = ladder.store.commits
    pressed = await desk.press(ava, payload)
    assert pressed.committed and pressed.tone is Tone.DONE
    assert ladder.store.commits == commits + 1
    assert ladder.get(ch.reference).state is State.ACCEPTED
    assert pressed.card is not None and pressed.card.action("record_outcome") is not None
    again = await desk.press(ava, payload)
    assert not again.committed and again.tone is Tone.STALE
    assert again.reply.startswith("You already did this")


async def test_a_press_that_needs_input_asks_for_it_and_changes_nothing(ladder: Ladder) -> None:
    ch = await ladder.raise_(NOW, area="East")
    ava = who(ladder, "pm-east-1")
    pressed = await desk_of(ladder).press(ava, Payload(ch.reference, "escalate", ch.version, ava.id))
    assert pressed.form is not None and not pressed.committed
    assert ladder.get(ch.reference).version == ch.version


async def test_a_refused_input_names_its_field(ladder: Ladder) -> None:
    ch = await ladder.raise_(NOW, area="East")
    ava = who(ladder, "pm-east-1")
    pressed = await desk_of(ladder).press(ava, Payload(ch.reference, "escalate", ch.version, ava.id),
                                          {"reason": "Call 07700 900123 about it"})
    assert pressed.tone is Tone.REFUSED and pressed.field == "reason" and not pressed.committed
    missing = await desk_of(ladder).press(ava, Payload(ch.reference, "escalate", ch.version, ava.id), {"reason": ""})
    assert missing.field == "reason"


async def test_a_forwarded_card_is_refused_and_someone_elses_card_says_whose_it_is(ladder: Ladder) -> None:
    ch = await ladder.raise_(NOW, area="East")
    ben = who(ladder, "pm-east-2")
    pressed = await desk_of(ladder).press(ben, Payload(ch.reference, "accept", ch.version, "pm-east-1"))
    assert pressed.tone is Tone.REFUSED and "only they can use its buttons" in pressed.reply
    stranger = who(ladder, "stranger-pm")
    mine = await desk_of(ladder).press(stranger, Payload(ch.reference, "accept", ch.version, stranger.id))
    assert mine.tone is Tone.REFUSED and not mine.committed


async def test_the_intake_raises_refuses_per_field_or_takes_the_complaint_route(ladder: Ladder) -> None:
    desk = desk_of(ladder)
    tara = who(ladder, "practitioner")
    answers = {"case_reference": "LCS123456", "area": "East", "raised_by": "professional",
               "agency": "Police", "decision_challenged": ladder.policy.levels_of_need[0],
               "requested_outcome": "A Child and Family assessment", "reason_category": "level_of_need",
               "reason_text": "Risk from repeated missing episodes not weighed."}
    raised = await desk.raise_challenge(tara, answers)
    assert raised.challenge is not None and raised.committed and not raised.complaint
    refused = await desk.raise_challenge(tara, answers | {"case_reference": ""})
    assert "case_reference" in refused.errors and not refused.committed
    complaint = await desk.raise_challenge(tara, {"case_reference": "LCS123456", "area": "East",
                                                  "reason_category": "complaint"})
    assert complaint.complaint and complaint.challenge is None




async def test_a_digest_reader_sees_it_though_no_stage_is_theirs(ladder: Ladder) -> None:
    from bot.buttons import may_act_as_reviewer

    ch = await ladder.raise_(NOW, area="East")
    assert not may_act_as_reviewer(ch, ladder.store.roster, "digest-only")
    assert (await desk_of(ladder).lookup(who(ladder, "digest-only"), ch.reference)).card.actions == ()
