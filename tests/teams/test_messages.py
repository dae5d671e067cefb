"""Typed commands in a personal chat, identity, and saved conversation references."""

from __future__ import annotations

import json

from bot import texts
from cards import adaptive
from tests.teams.support import (
    AVA,
    BEN,
    STRANGER,
    TARA,
    TENANT,
    Teams,
    card_text,
    conversation_update,
    installation_update,
    message,
    verbs,
)

GOOD_INTAKE = {
    "intake.case_reference": "LCS123456",
    "intake.area": "East",
    "intake.raised_by": "professional",
    "intake.agency": "Police — Public Protection Unit",
    "intake.decision_challenged": "Level 2 – Additional support",
    "intake.requested_outcome": "A Child and Family assessment",
    "intake.reason_category": "level_of_need",
    "intake.reason_text": "Repeated missing episodes were not weighed.",
    "intake.urgent": "no",
    "intake.cp_or_looked_after": "no",
}


async def stored_reference(teams: Teams, person_id: str) -> dict | None:
    async with teams.service.database.uow(read_only=True) as uow:
        raw = await uow.conversations.get(person_id, "teams")
    return json.loads(raw) if raw else None


async def test_help_answers_in_the_personal_chat_as_a_reply(teams: Teams) -> None:
    replies = await teams.say(TARA, "help")
    assert len(replies) == 1 and "challenge (or /challenge)" in card_text(replies[0])
    posted = teams.connector.to(TARA.conversation)
    assert posted[0].kind == "reply" and posted[0].reply_to  # POST …/activities/{activityId}


async def test_slash_challenge_and_challenge_both_send_the_intake_form(teams: Teams) -> None:
    for typed in ("/challenge", "challenge", "Challenge"):
        (first,) = await teams.say(TARA, typed)
        # The reason comes first, alone: a complaint is told its route before typing the rest.
        assert first["version"] == "1.5" and verbs(first) == ["intake"]
        assert [e["id"] for e in first["body"] if "id" in e] == ["intake.reason_category"]
        assert adaptive.problems(first) == []
        card = (await teams.press(TARA, first, "intake", **{"intake.reason_category": "level_of_need"}))["value"]
        assert verbs(card) == ["intake"]
        ids = [e["id"] for e in card["body"] if "id" in e]
        assert "intake.case_reference" in ids and "intake.urgent" in ids
        area = next(e for e in card["body"] if e.get("id") == "intake.area")
        assert area.get("value") == "East"  # Tara works in one area: it is preselected
        reason = next(e for e in card["body"] if e.get("id") == "intake.reason_category")
        assert reason.get("value") == "level_of_need" and texts.TEAMS_FIX_ANSWERS not in card_text(card)
        assert adaptive.problems(card) == []


async def test_choosing_a_complaint_first_offers_the_complaints_route_at_once(teams: Teams) -> None:
    (first,) = await teams.say(TARA, "challenge")
    route = (await teams.press(TARA, first, "intake", **{"intake.reason_category": "complaint"}))["value"]
    assert [e["id"] for e in route["body"] if "id" in e] == ["intake.case_reference", "intake.area",
                                                              "intake.reason_category"]
    assert texts.COMPLAINT_ROUTE_HEADING in card_text(route)
    done = (await teams.press(TARA, route, "intake", **{"intake.case_reference": "LCS123456",
                                                        "intake.area": "East",
                                                        "intake.reason_category": "complaint"}))["value"]
    assert card_text(done).startswith(texts.TEAMS_COMPLAINT_TITLE) and verbs(done) == []
    async with teams.service.database.uow(read_only=True) as uow:
        assert await uow.challenges.listing(active_only=False) == []  # only a count is kept


async def test_the_intake_shows_each_error_on_the_card_and_refuses_identifiers(teams: Teams) -> None:
    (form,) = await teams.say(TARA, "challenge")
    bad = {**GOOD_INTAKE, "intake.case_reference": "Jane Smith",
           "intake.reason_text": "Mum's number is 07700 900123", "intake.agency": ""}
    body = await teams.press(TARA, form, "intake", **bad)
    assert body["statusCode"] == 200 and body["type"] == adaptive.CONTENT_TYPE
    card = body["value"]
    words = card_text(card)
    assert texts.TEAMS_FIX_ANSWERS in words
    assert "This looks like a name" in words
    assert "phone" in words.lower()
    assert "Enter your agency and team." in words
    reference = next(e for e in card["body"] if e.get("id") == "intake.case_reference")
    assert "value" not in reference  # a refused name is not put back into the input
    assert "Jane Smith" not in json.dumps(card) and "07700 900123" not in json.dumps(card)
    async with teams.service.database.uow(read_only=True) as uow:
        assert await uow.challenges.listing(active_only=False) == []


async def test_a_valid_intake_raises_the_challenge_and_answers_with_the_challengers_card(teams: Teams) -> None:
    (form,) = await teams.say(TARA, "/challenge")
    body = await teams.press(TARA, form, "intake", **GOOD_INTAKE)
    card = body["value"]
    assert card["body"][0]["items"][0]["text"].startswith("Your challenge CH-")
    assert "Withdraw" in [a["title"] for a in card["actions"]]
    assert card["refresh"]["userIds"] == [TARA.user_id]
    again = await teams.press(TARA, form, "intake", **GOOD_INTAKE)  # the same form pressed twice
    assert texts.TEAMS_INTAKE_ALREADY_SENT in card_text(again["value"])
    async with teams.service.database.uow(read_only=True) as uow:
        assert len(await uow.challenges.listing(active_only=False)) == 1


async def test_a_complaint_closes_the_intake_with_the_complaints_route(teams: Teams) -> None:
    (form,) = await teams.say(TARA, "challenge")
    body = await teams.press(TARA, form, "intake", **{"intake.case_reference": "LCS123456",
                                                      "intake.area": "East",
                                                      "intake.reason_category": "complaint"})
    card = body["value"]
    assert card_text(card).startswith(texts.TEAMS_COMPLAINT_TITLE)
    assert verbs(card) == []


async def test_status_and_list_show_only_the_persons_own_challenges(teams: Teams) -> None:
    (form,) = await teams.say(TARA, "challenge")
    raised = (await teams.press(TARA, form, "intake", **GOOD_INTAKE))["value"]
    reference = raised["body"][0]["items"][0]["text"].split()[2]
    (card,) = await teams.say(TARA, f"status {reference.lower()}")
    assert reference in card_text(card) and "withdraw" in verbs(card)
    (ava_card,) = await teams.say(AVA, f"status {reference}")
    assert "accept" in verbs(ava_card)  # one of the East Practice Managers
    listing = await teams.say(AVA, "list")
    assert reference in card_text(listing[0]) and "accept" in verbs(listing[1])
    (nothing,) = await teams.say(BEN, "status CH-ZZZZZZ")
    assert texts.NOT_FOUND.format(reference="CH-ZZZZZZ") in card_text(nothing)
    (usage,) = await teams.say(BEN, "status")
    assert texts.TEAMS_STATUS_USAGE in card_text(usage)


async def test_an_unknown_word_gets_help_without_echoing_what_was_typed(teams: Teams) -> None:
    (card,) = await teams.say(TARA, "my postcode is PR1 2AB")
    assert texts.TEAMS_NOT_UNDERSTOOD in card_text(card) and "PR1" not in json.dumps(card)


async def test_someone_not_on_the_roster_is_told_to_ask_the_administrator(teams: Teams) -> None:
    replies = await teams.say(STRANGER, "challenge")
    assert replies == [texts.UNKNOWN_PERSON]
    assert await stored_reference(teams, "stranger") is None


async def test_a_group_chat_is_refused_and_no_reference_is_kept(teams: Teams) -> None:
    response = await teams.post(message(TARA, teams.url, "challenge", conversation_type="groupChat"))
    assert response.status == 201
    (posted,) = teams.connector.posted
    assert posted.text == texts.TEAMS_PERSONAL_ONLY
    assert await stored_reference(teams, "tara.nolan") is None


async def test_first_message_saves_the_reference_with_the_tenant(teams: Teams) -> None:
    await teams.say(TARA, "hello")
    stored = await stored_reference(teams, "tara.nolan")
    assert stored is not None and stored["tenant_id"] == TENANT
    assert stored["reference"]["conversation"]["id"] == TARA.conversation
    assert stored["reference"]["user"]["id"] == TARA.user_id
    assert stored["reference"]["serviceUrl"] == teams.url
    assert "activityId" not in stored["reference"]


async def test_a_person_without_an_entra_id_in_the_roster_is_matched_by_email_once(teams: Teams) -> None:
    await teams.say(BEN, "help")
    assert teams.connector.member_lookups == [BEN.user_id]
    assert (await stored_reference(teams, "ben.hartley")) is not None
    await teams.say(BEN, "help")  # known now by the stored reference: no second lookup
    assert teams.connector.member_lookups == [BEN.user_id]


async def test_installing_the_app_or_opening_the_chat_saves_the_reference(teams: Teams) -> None:
    await teams.install(AVA)
    assert (await stored_reference(teams, "ava.okafor")) is not None
    assert teams.connector.posted == []  # installationUpdate: saved silently
    response = await teams.post(conversation_update(BEN, teams.url))
    assert response.status == 201
    assert (await stored_reference(teams, "ben.hartley")) is not None
    (welcome,) = teams.connector.to(BEN.conversation)
    assert welcome.text == texts.TEAMS_WELCOME


async def test_removing_the_app_forgets_the_reference(teams: Teams) -> None:
    await teams.install(AVA)
    response = await teams.post(installation_update(AVA, teams.url, action="remove"))
    assert response.status == 201
    assert await stored_reference(teams, "ava.okafor") is None
