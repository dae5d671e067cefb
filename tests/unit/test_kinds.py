"""Event and message kinds are enums whose values are the strings stored in the database."""

from __future__ import annotations

from bot import texts
from bot.kinds import EventKind, MessageKind
from tests.ladder_harness import Ladder, local


def test_every_message_kind_has_its_words_and_every_worded_message_a_kind() -> None:
    worded = set(texts.MESSAGES) | {MessageKind.DIGEST}  # the digest is composed by bot.digest
    assert {k.value for k in MessageKind} == worded


def test_every_event_kind_has_a_label_for_the_timeline() -> None:
    assert {k.value for k in EventKind} <= set(texts.EVENT_LABELS) | {EventKind.ESCALATED_TIMEOUT.value}


async def test_stored_events_and_messages_carry_the_plain_strings_they_always_had() -> None:
    lad = Ladder()
    ch = await lad.raise_(local("2027-01-04 10:00"))
    [raised] = [e for e in lad.store.events if e.reference == ch.reference]
    assert raised.kind == "raised" and raised.model_dump(mode="json")["kind"] == "raised"
    assert sorted({m.kind for m in lad.store.outbox}) == ["raised", "review_requested"]
    assert all(type(m.model_dump(mode="json")["kind"]) is str for m in lad.store.outbox)
