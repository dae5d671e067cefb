"""cards/slack.py: Block Kit from the channel-neutral view models, golden-file tested.

Regenerate the golden files after an intended change with `MASHBOT_UPDATE_GOLDEN=1 pytest
tests/slack/test_cards.py` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from adapters.roster_files import demo_roster_path, load_roster_file
from bot import texts, views
from bot.challenge import Outcome
from bot.commands import Accept, JointAgreementAnswer, RecordOutcome
from bot.views import Verb
from cards import slack
from cards.actions import verify
from dialogs.intake import form_for_policy
from tests.ladder_harness import Ladder, local

GOLDEN = Path(__file__).parent / "golden"
SECRET = b"golden-secret"
T0 = local("2026-12-24 10:00")


def golden(name: str, data: Any) -> None:
    path = GOLDEN / f"{name}.json"
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("MASHBOT_UPDATE_GOLDEN") == "1" or not path.exists():
        path.write_text(text, encoding="utf-8")
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(text), f"{path.name} differs from the golden file"


@pytest.fixture
def ladder() -> Ladder:
    return Ladder("lancashire", people=load_roster_file(demo_roster_path()))


async def raised(ladder: Ladder) -> str:
    challenge = await ladder.raise_(T0, actor_id="tara.nolan")
    return challenge.reference


def within_limits(blocks: list[dict[str, Any]]) -> None:
    assert len(blocks) <= slack.MAX_BLOCKS
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict):
            assert len(text["text"]) <= slack.MAX_SECTION
        for element in block.get("elements", []):
            if element.get("type") == "button":
                assert len(element["text"]["text"]) <= slack.MAX_BUTTON
                assert len(element["value"]) <= 2000


async def test_a_practice_managers_card_on_a_new_challenge(ladder: Ladder) -> None:
    ref = await raised(ladder)
    card = views.card_for(ladder.get(ref), ladder.store.roster, "ava.okafor", T0)
    blocks = slack.card_blocks(card, SECRET, headline="Challenge CH-0001 needs a Practice Manager",
                               body="Please Accept or Escalate.")
    golden("reviewer_card_open", blocks)
    within_limits(blocks)
    text = json.dumps(blocks, ensure_ascii=False)
    for fact in ("*Asks for*\\nLevel 3 assessment", "*Reason*\\nLevel of need / threshold",
                 "*Why they disagree*\\nRisk from repeated missing episodes not weighed.", "before Stage 1"):
        assert fact in text
    actions = next(b for b in blocks if b["type"] == "actions")
    assert [e["action_id"] for e in actions["elements"]][:3] == ["mashbot:accept", "mashbot:escalate",
                                                                 "mashbot:delegate"]
    payload = verify(actions["elements"][0]["value"], SECRET)
    assert (payload.verb, payload.reference, payload.version, payload.for_id) == ("accept", ref, 1, "ava.okafor")
    assert actions["elements"][0]["style"] == "primary"


async def test_the_challengers_card_after_an_outcome_offers_accept_escalate_withdraw(ladder: Ladder) -> None:
    ref = await raised(ladder)
    await ladder.act(Accept, ref, "ava.okafor", T0)
    await ladder.act(RecordOutcome, ref, "ava.okafor", T0, outcome=Outcome.DE_ESCALATED,
                     rationale="the family engaged with early help & agreed a plan", level="1",
                     assessment_under_way=True)
    for approver in ("joy.adebayo", "quentin.ashby"):  # ending the assessment needs both
        await ladder.act(JointAgreementAnswer, ref, approver, T0, agree=True)
    card = views.card_for(ladder.get(ref), ladder.store.roster, "tara.nolan", T0)
    blocks = slack.card_blocks(card, SECRET)
    golden("challenger_card_outcome", blocks)
    within_limits(blocks)
    text = json.dumps(blocks)
    assert "early help &amp; agreed" in text  # mrkdwn is escaped
    assert texts.SLACK_CASE_NOTE_HEADING in text and "de-escalate the case to level 1" in text
    assert [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]][:4] == [
        "mashbot:accept_outcome", "mashbot:escalate_outcome", "mashbot:book_discussion", "mashbot:withdraw"]


async def test_an_out_of_date_card_keeps_its_status_and_loses_its_buttons(ladder: Ladder) -> None:
    ref = await raised(ladder)
    await ladder.act(Accept, ref, "ava.okafor", T0)
    card = views.card_for(ladder.get(ref), ladder.store.roster, "ben.hartley", T0)
    message = slack.superseded_message(card)
    golden("superseded_card", message)
    assert "Taken by Ava Okafor at Thu 24 Dec, 10:00." in json.dumps(message)
    assert all(b["type"] != "actions" for b in message["blocks"])


def test_the_intake_modal_renders_the_shared_form_with_the_area_preselected() -> None:
    ladder = Ladder("lancashire")
    form = form_for_policy(ladder.policy, default_area="East")
    view = slack.intake_modal(form)
    golden("intake_modal", view)
    assert [b["block_id"] for b in view["blocks"]] == [f.id for f in form.fields]
    area = next(b for b in view["blocks"] if b["block_id"] == "area")
    assert area["element"]["initial_option"]["value"] == "East"
    assert len(view["title"]["text"]) <= slack.MAX_TITLE and len(view["submit"]["text"]) <= slack.MAX_TITLE
    # What a challenge needs is required, so no "(optional)" sits beside it: a complaint takes
    # its own short route as soon as the reason is chosen (dispatch_action).
    assert {b["block_id"] for b in view["blocks"] if not b["optional"]} == {
        f.id for f in form.fields if f.required}
    assert "Needed for a challenge" not in json.dumps(view)
    reason = next(b for b in view["blocks"] if b["block_id"] == "reason_category")
    assert reason["dispatch_action"] is True
    route = slack.intake_modal(form, complaint_text=ladder.policy.complaint_text)
    assert [b["block_id"] for b in route["blocks"] if b["type"] == "input"] == [
        "case_reference", "area", "reason_category"]
    assert ladder.policy.complaint_text.split(".")[0] in json.dumps(route, ensure_ascii=False)
    assert len(route["submit"]["text"]) <= slack.MAX_TITLE


async def test_the_record_outcome_modal_asks_for_the_outcome_rationale_and_level(ladder: Ladder) -> None:
    ref = await raised(ladder)
    await ladder.act(Accept, ref, "ava.okafor", T0)
    card = views.card_for(ladder.get(ref), ladder.store.roster, "ava.okafor", T0)
    action = card.action(Verb.RECORD_OUTCOME)
    assert action is not None
    view = slack.action_modal(card, action, "signed-token")
    golden("record_outcome_modal", view)
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == ["outcome", "rationale", "level",
                                                                                 "assessment_under_way"]
    assert view["private_metadata"] == "signed-token" and view["callback_id"] == slack.ACTION_CALLBACK
    assert "a joint decision has been made to de-escalate the case" in json.dumps(view)
    assert len(view["title"]["text"]) <= slack.MAX_TITLE


async def test_the_escalate_modal_requires_a_reason(ladder: Ladder) -> None:
    ref = await raised(ladder)
    card = views.card_for(ladder.get(ref), ladder.store.roster, "ava.okafor", T0)
    action = card.action(Verb.ESCALATE)
    assert action is not None
    view = slack.action_modal(card, action, "t")
    golden("escalate_modal", view)
    reason = next(b for b in view["blocks"] if b.get("block_id") == "reason")
    assert reason["optional"] is False and reason["element"]["multiline"] is True


async def test_the_list_groups_what_waits_for_you(ladder: Ladder) -> None:
    ref = await raised(ladder)
    cards = [views.card_for(ladder.get(ref), ladder.store.roster, "ava.okafor", T0)]
    blocks = slack.list_blocks({"needs": cards, "mine": [], "following": []})
    golden("list", blocks)
    assert slack.list_blocks({"needs": []}) == [slack.section(texts.SLACK_NOTHING_OPEN)]


def test_submitted_values_reads_text_choices_and_toggles() -> None:
    state = {
        "case_reference": {"case_reference": {"type": "plain_text_input", "value": "LCS1"}},
        "area": {"area": {"type": "static_select", "selected_option": {"value": "East"}}},
        "rag": {"rag": {"type": "static_select", "selected_option": None}},
        "urgent": {"urgent": {"type": "checkboxes", "selected_options": [{"value": "yes"}]}},
        "cp_or_looked_after": {"cp_or_looked_after": {"type": "checkboxes", "selected_options": []}},
        "agency": {"agency": {"type": "plain_text_input", "value": None}},
    }
    assert slack.submitted_values(state) == {"case_reference": "LCS1", "area": "East", "rag": None, "urgent": True,
                                             "cp_or_looked_after": False, "agency": None}


def test_long_text_is_split_and_cut_to_block_kit_limits() -> None:
    text = "\n".join("x" * 1000 for _ in range(200))
    blocks = slack.notice_message("Digest", text)["blocks"]
    within_limits(blocks)
    assert len(blocks) == slack.MAX_BLOCKS
    assert slack.escape("<a & b>") == "&lt;a &amp; b&gt;"
    assert slack.cut("abcdef", 4) == "abc…"
