"""`status REF` in Teams answers by the one visibility rule (tests/channels/visibility.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.channels.visibility import WHO, not_found
from tests.teams.fake_connector import FakeConnector
from tests.teams.support import AVA, ELLEN, FARID, TARA, Teams, TeamsUser, card_text, verbs
from tests.teams.test_messages import GOOD_INTAKE

CALLUM = TeamsUser("callum", "Callum Reid", "0c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e", "callum.reid@example.org")
MARTIN = TeamsUser("martin", "Martin Quayle", "8ea4b68c-1ed0-49ba-b4d7-f41d4381cc7d", "martin.quayle@example.org")
USERS = {"tara.nolan": TARA, "ava.okafor": AVA, "ellen.marsh": ELLEN, "farid.khan": FARID,
         "callum.reid": CALLUM, "martin.quayle": MARTIN}


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fake = FakeConnector(members={CALLUM.user_id: CALLUM.member()})
    await fake.start()
    yield fake
    await fake.close()


async def test_status_answers_each_person_as_every_channel_does(teams: Teams) -> None:
    (form,) = await teams.say(TARA, "challenge")
    raised = (await teams.press(TARA, form, "intake", **GOOD_INTAKE))["value"]
    reference = raised["body"][0]["items"][0]["text"].split()[2]
    for person, (why, sees) in WHO.items():
        (card,) = await teams.say(USERS[person], f"status {reference}")
        if sees:
            assert reference in card_text(card) and not_found(reference) not in card_text(card), why
        else:
            assert not_found(reference) in card_text(card) and verbs(card) == [], why
