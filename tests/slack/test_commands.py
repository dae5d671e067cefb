"""`/challenge`, `/challenge help|list|status REF`, and the modals' validation errors shown on
their fields (`response_action=errors`)."""

from __future__ import annotations

import json

import pytest

from tests.slack.conftest import (
    AVA,
    TARA,
    Workspace,
    idle,
    idle_after,
    raise_challenge,
    refusal,
    view_text,
)
from dialogs.intake import refill


async def intake_view(ws: Workspace, user: str = TARA) -> dict:
    opened = len(ws.fake.called("views.open"))
    assert (await ws.command(user)).status == 200
    await ws.fake.wait_for(lambda: len(ws.fake.called("views.open")) > opened)
    return ws.opened_view()


async def submit_intake(ws: Workspace, **changes: str | bool) -> dict:
    from tests.slack.conftest import INTAKE

    view = await intake_view(ws)
    answer = await ws.submit(TARA, view, {**INTAKE, **changes})
    assert answer.status == 200
    return await answer.json()


async def test_slash_challenge_opens_the_intake_modal_with_the_area_preselected(workspace: Workspace) -> None:
    view = await intake_view(workspace)
    assert view["callback_id"] == "mashbot_intake"
    area = next(b for b in view["blocks"] if b["block_id"] == "area")
    assert area["element"]["initial_option"]["value"] == "East"  # Tara's area in the roster
    call = workspace.fake.called("views.open")[-1]
    assert call.args["trigger_id"].startswith("trigger-")


async def test_help_is_answered_in_the_ack_itself(workspace: Workspace) -> None:
    response = await workspace.command(TARA, "help")
    body = await response.json()
    assert body["response_type"] == "ephemeral" and "/challenge list" in body["text"]
    assert not workspace.fake.calls


async def test_an_unknown_subcommand_gets_the_help(workspace: Workspace) -> None:
    await workspace.command(TARA, "frobnicate <now>")
    reply = await workspace.fake.wait_for(lambda: workspace.fake.ephemerals())
    assert "I did not understand `frobnicate &lt;now&gt;`" in reply[0]


async def test_list_shows_what_waits_for_me_and_what_i_raised(workspace: Workspace) -> None:
    ref = await raise_challenge(workspace)
    await idle(workspace)
    await workspace.command(AVA, "list")
    await workspace.command(TARA, "list")
    replies = await workspace.fake.wait_for(lambda: len(workspace.fake.responses) >= 2 and workspace.fake.responses)
    by_ava, by_tara = (json.dumps(r["blocks"]) for r in sorted(replies, key=lambda r: "Waiting for you" not in
                                                                 json.dumps(r["blocks"][0])))
    assert "Waiting for you" in by_ava and ref in by_ava
    assert "Raised by you" in by_tara and ref in by_tara


async def test_status_shows_the_card_and_timeline_to_those_involved_only(workspace: Workspace) -> None:
    ref = await raise_challenge(workspace)
    await idle(workspace)
    await workspace.command(TARA, f"status {ref.lower()}")
    reply = await workspace.fake.wait_for(lambda: workspace.fake.responses)
    text = json.dumps(reply[0]["blocks"])
    assert ref in text and "Timeline" in text and "raised (Tara Nolan)" in text
    await workspace.command("U0DEMO008", f"status {ref}")  # Uma: a practitioner elsewhere
    await workspace.fake.wait_for(lambda: len(workspace.fake.responses) >= 2)
    assert workspace.fake.ephemerals()[1].startswith(f"There is no challenge {ref}")
    await workspace.command(TARA, "status")
    await workspace.fake.wait_for(lambda: len(workspace.fake.responses) >= 3)
    assert "Give the challenge reference" in workspace.fake.ephemerals()[2]


@pytest.mark.parametrize("changes, field, words", [
    ({"case_reference": "not a ref!"}, "case_reference", "not a case reference"),
    ({"case_reference": "Jane Smith"}, "case_reference", "looks like a name"),
    ({"reason_text": ""}, "reason_text", "Say briefly why you disagree"),
    ({"reason_text": "NHS number 943 476 5919 was missed"}, "reason_text", "NHS number"),
    ({"reason_text": "Lives at PR1 2HE"}, "reason_text", "postcode"),
    ({"reason_text": "Call 07700 900123"}, "reason_text", "phone"),
    ({"requested_outcome": "email jo@example.org"}, "requested_outcome", "email"),
    ({"reason_text": "Born 12/03/2015 so not weighed"}, "reason_text", "date of birth"),
    ({"reason_text": "Mum's NINO is QQ 12 34 56 C"}, "reason_text", "National Insurance number: 'QQ…' (at word 4)"),
    ({"agency": "Mum is Sarah Jones"}, "agency", "a name: 'Sa…' (at word 3)"),
    ({"requested_outcome": "email tom dot jones at gmail dot com"}, "requested_outcome", "email address: 'to…'"),
    ({"reason_text": "Family lives at 12 Elm Grove Avenue"}, "reason_text", "street address: '12…'"),
    ({"urgent": True, "urgent_reason": ""}, "urgent_reason", "Say why this is urgent"),
])
async def test_intake_errors_show_on_the_field(workspace: Workspace, changes: dict, field: str, words: str) -> None:
    body = await submit_intake(workspace, **changes)
    shown = refusal(body, field)
    assert words.lower() in shown.lower(), shown
    typed = changes[field]
    personal = field not in refill({field: typed}, {field: shown})  # what refill would not echo back
    # An answer holding a personal detail is emptied, not kept as typed; others stay for fixing.
    assert (body["response_action"] == "update") is personal
    assert not personal or typed not in json.dumps(body)


async def test_a_complaint_closes_the_intake_with_the_complaints_route(workspace: Workspace) -> None:
    body = await submit_intake(workspace, reason_category="complaint", reason_text="", agency="")
    assert body["response_action"] == "update"
    assert "complaint" in view_text(body["view"]).lower()
    await idle_after(workspace)
    assert not workspace.fake.called("chat.postMessage")


async def choose_reason(ws: Workspace, view: dict, value: str) -> dict:
    """Choose a reason in the open intake modal, as Slack sends a dispatched select."""
    import time

    from tests.slack.conftest import state_of

    updates = len(ws.fake.called("views.update"))
    body = ws.payload_body({
        "type": "block_actions", "user": {"id": TARA, "team_id": "T0TEST"}, "team": {"id": "T0TEST"},
        "api_app_id": "A0TEST", "trigger_id": "trigger-reason", "container": {"type": "view", "view_id": "V7"},
        "view": {"id": "V7", "hash": "h1", "type": "modal", "callback_id": view["callback_id"],
                 "private_metadata": view.get("private_metadata", ""), "blocks": view["blocks"],
                 "state": {"values": state_of(view, {"reason_category": value})}},
        "actions": [{"type": "static_select", "action_id": "reason_category", "block_id": "reason_category",
                     "selected_option": {"value": value, "text": {"type": "plain_text", "text": "x"}},
                     "action_ts": f"{time.time():.6f}"}]})
    assert (await ws.post(body)).status == 200
    await ws.fake.wait_for(lambda: len(ws.fake.called("views.update")) > updates)
    call = ws.fake.called("views.update")[-1]
    assert call.args["view_id"] == "V7" and call.args["hash"] == "h1"
    return dict(call.args["view"])


async def test_choosing_complaint_offers_the_complaints_route_before_the_rest_is_filled(
        workspace: Workspace) -> None:
    view = await intake_view(workspace)
    route = await choose_reason(workspace, view, "complaint")
    text = view_text(route)
    assert "This is a complaint, not a challenge" in text and "complaints procedure" in text.lower()
    assert [b["block_id"] for b in route["blocks"] if b["type"] == "input"] == [
        "case_reference", "area", "reason_category"]
    back = await choose_reason(workspace, route, "level_of_need")  # changed their mind
    assert "reason_text" in [b.get("block_id") for b in back["blocks"]]
    answer = await workspace.submit(TARA, route, {"case_reference": "LCS123456", "reason_category": "complaint"})
    assert (await answer.json())["response_action"] == "update"
    assert not workspace.fake.called("chat.postMessage")


async def test_an_escalation_without_a_reason_is_refused_on_the_field(workspace: Workspace) -> None:
    ref = await raise_challenge(workspace)
    await idle(workspace)
    opened = len(workspace.fake.called("views.open"))
    await workspace.press(AVA, workspace.fake.last_card(AVA), "escalate")
    await workspace.fake.wait_for(lambda: len(workspace.fake.called("views.open")) > opened)
    view = workspace.opened_view()
    body = await (await workspace.submit(AVA, view, {"reason": ""})).json()
    assert body == {"response_action": "errors", "errors": {"reason": "Give the reason for escalating."}}
    body = await (await workspace.submit(AVA, view, {"reason": "Call 07700 900123 first"})).json()
    assert "phone" in refusal(body, "reason").lower() and "07700 900123" not in json.dumps(body)
    assert (await workspace.challenge(ref)).version == 1


async def test_an_identifier_in_an_escalation_is_named_masked_on_the_field_and_never_posted(
        workspace: Workspace) -> None:
    ref = await raise_challenge(workspace)
    await idle(workspace)
    opened = len(workspace.fake.called("views.open"))
    await workspace.press(AVA, workspace.fake.last_card(AVA), "escalate")
    await workspace.fake.wait_for(lambda: len(workspace.fake.called("views.open")) > opened)
    posted = len(workspace.fake.called("chat.postMessage"))
    body = await (await workspace.submit(AVA, workspace.opened_view(), {"reason": "Dad's NI is AB 12 34 56 C"})).json()
    assert refusal(body, "reason") == (
        "Reason: This looks like a National Insurance number: 'AB…' (at word 4). "
        "Please remove it — mashbot must not hold personal details; use the case reference instead.")
    assert "AB 12 34 56 C" not in json.dumps(body)
    await idle_after(workspace)
    assert len(workspace.fake.called("chat.postMessage")) == posted
    assert (await workspace.challenge(ref)).version == 1


async def test_a_de_escalation_asks_about_the_assessment_and_claims_no_joint_decision_alone(
        workspace: Workspace) -> None:
    ref = await raise_challenge(workspace)
    await idle(workspace)
    await workspace.press(AVA, workspace.fake.last_card(AVA), "accept")
    await idle_after(workspace)
    opened = len(workspace.fake.called("views.open"))
    await workspace.press(AVA, workspace.fake.last_card(AVA), "record_outcome")
    await workspace.fake.wait_for(lambda: len(workspace.fake.called("views.open")) > opened)
    view = workspace.opened_view()
    assert "de-escalate the case to level" in json.dumps(view)
    body = await (await workspace.submit(AVA, view, {"outcome": "de_escalated", "rationale": "early help"})).json()
    assert body["response_action"] == "errors" and "level" in body["errors"], body
    body = await (await workspace.submit(AVA, view, {"outcome": "de_escalated", "rationale": "early help",
                                                     "level": "1"})).json()
    assert body["response_action"] == "errors", body
    assert "Child & Family assessment is under way" in json.dumps(body["errors"])
    assert (await workspace.challenge(ref)).outcome is None  # nothing stored on a refused form
    body = await (await workspace.submit(AVA, view, {"outcome": "de_escalated", "rationale": "early help",
                                                     "level": "1", "assessment_under_way": "no"})).json()
    assert body["response_action"] == "update"
    assert "joint decision" not in view_text(body["view"])
    await idle_after(workspace)
    assert "Case-note wording to copy" not in json.dumps(workspace.fake.last_card(AVA).blocks)
    assert (await workspace.challenge(ref)).outcome.level == "1"
