"""The whole ladder through HTTP only: activities in at /api/messages, cards out through the
fake connector (replies, proactive sends, in-place updates); stale and double presses."""

from __future__ import annotations

import json
from typing import Any

from adapters.dispatcher import EMAILED_INSTEAD
from adapters.scheduler import queue_digests
from bot import texts
from bot.challenge import State
from cards import adaptive
from tests.teams.support import AVA, BEN, ELLEN, FARID, GWEN, TARA, Teams, TeamsUser, card_text, verbs
from tests.teams.test_messages import GOOD_INTAKE

TAKEN_AT = "Taken by Ava Okafor at Thu 24 Dec, 10:00"


async def raise_as_tara(teams: Teams) -> str:
    (form,) = await teams.say(TARA, "challenge")
    card = (await teams.press(TARA, form, "intake", **GOOD_INTAKE))["value"]
    return str(card["body"][0]["items"][0]["text"].split()[2])


def last_card(teams: Teams, user: TeamsUser) -> dict[str, Any]:
    card = teams.connector.last_card(user.conversation)
    assert adaptive.problems(card) == []
    return card


async def decide(teams: Teams, user: TeamsUser, rationale: str) -> None:
    card = last_card(teams, user)
    body = await teams.press(user, card, "accept")
    assert "record_outcome" in verbs(body["value"]), card_text(body["value"])
    body = await teams.press(user, body["value"], "record_outcome", outcome="decision_upheld", rationale=rationale)
    assert "Outcome recorded" in card_text(body["value"]) or body["value"]["body"], body
    await teams.dispatch()


async def test_the_full_ladder_from_practice_manager_to_head_of_service(teams: Teams) -> None:
    for user in (AVA, BEN, ELLEN, FARID, GWEN):
        await teams.install(user)
    reference = await raise_as_tara(teams)
    report = await teams.dispatch()
    assert report.failed == 0 and teams.email.sent == []  # everyone is reachable in Teams

    ava_card, ben_card = last_card(teams, AVA), last_card(teams, BEN)
    assert teams.connector.to(AVA.conversation)[-1].kind == "send"  # proactive: no reply-to
    assert "accept" in verbs(ava_card) and "accept" in verbs(ben_card)
    assert "needs review at Practice Manager" in card_text(ava_card)
    assert ava_card["refresh"]["userIds"] == [AVA.user_id]

    taken = await teams.press(AVA, ava_card, "accept")
    assert taken["type"] == adaptive.CONTENT_TYPE
    assert TAKEN_AT in card_text(taken["value"]) and "record_outcome" in verbs(taken["value"])
    await teams.dispatch()

    (update,) = teams.connector.to(BEN.conversation, "update")
    first_to_ben = teams.connector.to(BEN.conversation, "send")[0]
    assert update.activity_id == first_to_ben.activity_id  # Ben's card changed in place
    assert TAKEN_AT in card_text(update.card) and "accept" not in verbs(update.card)
    assert "This stage is with Ava Okafor; nothing is needed from you, and this card will not change again." \
        in card_text(update.card)
    assert "refresh" not in update.card
    assert "accepted your challenge" in card_text(last_card(teams, TARA))

    await decide(teams, AVA, "Threshold applied correctly")
    for stage, reviewer, rationale in ((1, ELLEN, "Reviewed with the partner"), (2, FARID, "Senior review held"),
                                       (3, GWEN, "Final decision")):
        tara_card = last_card(teams, TARA)
        assert "accept_outcome" in verbs(tara_card)
        body = await teams.press(TARA, tara_card, "escalate_outcome", reason="We still disagree about the level")
        assert (await teams.challenge(reference)).stage == stage, card_text(body["value"])
        await teams.dispatch()
        assert "accept" in verbs(last_card(teams, reviewer))
        await decide(teams, reviewer, rationale)

    final = last_card(teams, TARA)
    assert "escalate_outcome" not in verbs(final)  # Stage 3's decision is final
    closed = await teams.press(TARA, final, "accept_outcome")
    assert (await teams.challenge(reference)).state is State.CLOSED
    assert "refresh" not in closed["value"] and set(verbs(closed["value"])) <= {"add_lesson"}
    assert [m.kind for m, _ in teams.email.sent if m.kind == "csap_form"] == ["csap_form"]  # Stage 3 form by email


async def test_a_stale_card_answers_already_actioned_with_the_current_card(teams: Teams) -> None:
    for user in (AVA, BEN):
        await teams.install(user)
    reference = await raise_as_tara(teams)
    await teams.dispatch()
    ben_card = last_card(teams, BEN)
    await teams.press(AVA, last_card(teams, AVA), "accept")
    body = await teams.press(BEN, ben_card, "accept")
    card = body["value"]
    assert texts.ALREADY_ACTIONED.format(name="Ava Okafor", at="Thu 24 Dec, 10:00") in card_text(card)
    assert "accept" not in verbs(card)
    challenge = await teams.challenge(reference)
    assert challenge.owner_id == "ava.okafor" and challenge.version == 2


async def test_a_double_press_is_applied_once(teams: Teams) -> None:
    await teams.install(AVA)
    reference = await raise_as_tara(teams)
    await teams.dispatch()
    card = last_card(teams, AVA)
    first = await teams.press(AVA, card, "accept")
    second = await teams.press(AVA, card, "accept")
    assert TAKEN_AT in card_text(first["value"])
    assert "You already did this at" in card_text(second["value"])  # not "Already actioned by <yourself>"
    async with teams.service.database.uow(read_only=True) as uow:
        kinds = [e.kind for e in await uow.events.for_challenge(reference)]
    assert kinds.count("accepted") == 1


async def test_a_forwarded_card_is_for_its_addressee_only(teams: Teams) -> None:
    await teams.install(AVA)
    reference = await raise_as_tara(teams)
    await teams.dispatch()
    body = await teams.press(BEN, last_card(teams, AVA), "accept")  # Ava's card, pressed by Ben
    assert body == {"statusCode": 200, "type": "application/vnd.microsoft.activity.message",
                    "value": "This card was sent to someone else (Ava Okafor); only they can use its buttons."}
    assert (await teams.challenge(reference)).owner_id is None


async def test_a_forged_or_edited_card_payload_is_refused(teams: Teams) -> None:
    await teams.install(AVA)
    await raise_as_tara(teams)
    await teams.dispatch()
    card = last_card(teams, AVA)
    action = next(a for a in card["actions"] if a.get("verb") == "accept")
    token = action["data"]["mashbot"]
    action["data"]["mashbot"] = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    body = await teams.press(AVA, card, "accept")
    assert body["statusCode"] == 400 and body["type"] == "application/vnd.microsoft.error"
    action["data"]["mashbot"] = token
    action["verb"] = "record_outcome"  # a valid token under another verb
    body = await teams.press(AVA, card, "record_outcome")
    assert body["statusCode"] == 400


async def test_a_missing_input_or_identifier_is_said_on_the_card_and_the_identifier_not_echoed(
        teams: Teams) -> None:
    await teams.install(AVA)
    await raise_as_tara(teams)
    await teams.dispatch()
    accepted = (await teams.press(AVA, last_card(teams, AVA), "accept"))["value"]
    body = await teams.press(AVA, accepted, "record_outcome", outcome="decision_upheld", rationale="")
    assert "Give the rationale for the outcome." in card_text(body["value"])
    body = await teams.press(AVA, accepted, "record_outcome", outcome="decision_upheld",
                             rationale="Spoke to mum on 07700 900123")
    card = body["value"]
    assert "phone" in card_text(card).lower()
    show = next(a for a in card["actions"] if a["title"] == "Record outcome")
    rationale = next(i for i in show["card"]["body"] if i.get("id") == "record_outcome.rationale")
    assert "value" not in rationale  # the refused phone number is not put back into the input
    assert "07700 900123" not in json.dumps(card)
    outcome = next(i for i in show["card"]["body"] if i.get("id") == "record_outcome.outcome")
    assert outcome["value"] == "decision_upheld"  # the rest is kept


async def test_an_identifier_is_named_masked_on_the_readers_card_and_not_put_back(teams: Teams) -> None:
    await teams.install(AVA)
    await raise_as_tara(teams)
    await teams.dispatch()
    accepted = (await teams.press(AVA, last_card(teams, AVA), "accept"))["value"]
    typed = "Mum is Sarah Jones, NINO QQ987654C"
    card = (await teams.press(AVA, accepted, "record_outcome", outcome="decision_upheld", rationale=typed))["value"]
    assert ("Rationale: This looks like a name: 'Sa…' (at word 3) and a National Insurance number: 'QQ…' "
            "(at word 6). Please remove them") in card_text(card)
    show = next(a for a in card["actions"] if a["title"] == "Record outcome")
    rationale = next(i for i in show["card"]["body"] if i.get("id") == "record_outcome.rationale")
    assert typed not in str(rationale)  # not put back, even into the reader's own input
    assert "Sarah" not in card_text(card) and "987654" not in card_text(card)


async def test_refresh_returns_the_current_card_for_its_viewer(teams: Teams) -> None:
    for user in (AVA, BEN):
        await teams.install(user)
    await raise_as_tara(teams)
    await teams.dispatch()
    ben_card = last_card(teams, BEN)
    await teams.press(AVA, last_card(teams, AVA), "accept")
    body = await teams.press(BEN, ben_card, "refresh")
    assert TAKEN_AT in card_text(body["value"]) and "accept" not in verbs(body["value"])


async def test_without_a_reference_the_card_goes_by_email_and_the_digest_says_so(teams: Teams) -> None:
    await teams.install(AVA)  # Ben never opened mashbot in Teams and has no Entra id in the roster
    reference = await raise_as_tara(teams)
    await teams.dispatch()
    assert [m.kind for m in teams.email.to("ben.hartley")] == ["review_requested"]
    assert teams.connector.to(BEN.conversation) == []
    await teams.press(AVA, last_card(teams, AVA), "accept")
    await teams.dispatch()
    assert [m.kind for m in teams.email.to("ben.hartley")] == ["review_requested", "taken"]

    await teams.install(FARID)
    run = await queue_digests(teams.service.database, teams.service.policy, teams.service.now())
    assert "farid.khan" in run.queued and "gwen.talbot" in run.queued
    await teams.dispatch()
    digest_card = last_card(teams, FARID)
    assert card_text(digest_card).startswith("Professional challenges: daily digest")
    assert reference in card_text(digest_card)
    (emailed,) = teams.email.to("gwen.talbot", "digest")
    note = EMAILED_INSTEAD.format(channels="Teams")
    assert note in emailed.data["body"] and note in emailed.data["html"]


async def test_a_person_with_an_entra_id_but_no_chat_yet_gets_a_new_chat(teams: Teams) -> None:
    await teams.install(BEN)  # any stored reference gives the service URL and tenant
    await raise_as_tara(teams)  # Tara's message saved her reference too; Ava has said nothing
    await teams.dispatch()
    (created,) = teams.connector.created
    assert created["members"] == [{"id": AVA.aad}] and created["isGroup"] is False
    assert created["tenantID"] == created["channelData"]["tenant"]["id"]
    (sent,) = teams.connector.to("a:created-1")
    assert "accept" in verbs(sent.card)
    assert teams.email.to("ava.okafor") == []


async def test_a_removed_app_falls_back_to_email_and_forgets_the_chat(teams: Teams) -> None:
    await teams.install(AVA)
    teams.connector.fail["send"] = 403
    await raise_as_tara(teams)
    teams.connector.fail["create"] = 403
    report = await teams.dispatch()
    assert report.failed == 0
    assert [m.kind for m in teams.email.to("ava.okafor")] == ["review_requested"]
    async with teams.service.database.uow(read_only=True) as uow:
        assert await uow.conversations.get("ava.okafor", "teams") is None
