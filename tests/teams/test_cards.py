"""cards/adaptive.py: Adaptive Card 1.5 from the channel-neutral view models, golden-file tested,
and every card checked against the Adaptive Card rules mashbot relies on.

Regenerate the golden files after an intended change with
`MASHBOT_UPDATE_GOLDEN=1 pytest tests/teams/test_cards.py` and review the diff.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.teams import chat
from bot import texts
from bot import views
from bot.challenge import Outcome
from bot.commands import Accept, RecordOutcome
from bot.digest import build_digests, render_text
from cards import adaptive
from cards.actions import verify
from dialogs.intake import TOGGLE_ON, form_for_policy, validate_for_policy
from tests.ladder_harness import Ladder, local, pack

GOLDEN = Path(__file__).parent / "golden"
SECRET = b"golden-secret"
NOW = local("2026-12-24 10:00")
TEAMS_USER = "29:1golden-user"
MAX_BYTES = 28 * 1024


def golden(name: str, card: dict[str, Any]) -> None:
    check_rules(card)
    path = GOLDEN / f"{name}.json"
    text = json.dumps(card, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("MASHBOT_UPDATE_GOLDEN") == "1" or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(text), f"{path.name} differs from the golden file"


# --- the Adaptive Card 1.5 rules mashbot relies on, checked independently of the renderer ---------


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def check_rules(card: dict[str, Any]) -> None:
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    nodes = list(_walk(card))
    actions = [n for n in nodes if str(n.get("type", "")).startswith("Action.")]
    assert {a["type"] for a in actions} <= {"Action.Execute", "Action.ShowCard"}, "only Action.Execute buttons"
    for action in (a for a in actions if a["type"] == "Action.Execute"):
        assert action["verb"] and action["data"]["mashbot"], action
        verify(action["data"]["mashbot"], SECRET)  # signed, and by us
    ids = [n["id"] for n in nodes if str(n.get("type", "")).startswith("Input.")]
    assert len(ids) == len(set(ids)), f"Input ids repeat: {ids}"
    assert len(json.dumps(card, separators=(",", ":"), ensure_ascii=False).encode()) <= MAX_BYTES
    if "refresh" in card:
        assert card["refresh"]["action"]["type"] == "Action.Execute" and len(card["refresh"]["userIds"]) <= 60
    assert adaptive.problems(card) == []


# --- a challenge at each point the cards show ----------------------------------------------------


@pytest.fixture
async def ladder() -> Ladder:
    return Ladder("lancashire")


async def test_reviewer_card_while_the_pool_decides(ladder: Ladder) -> None:
    challenge = await ladder.raise_(NOW)
    view = views.reviewer_card(challenge, ladder.store.roster, "pm-east-1", NOW)
    card = adaptive.challenge_card(view, secret=SECRET, refresh_for=TEAMS_USER, notice_colour="default",
                                   notice="A professional challenge CH-0001 (East) needs review.")
    golden("reviewer_card_open", card)
    facts = {f["title"]: f["value"] for b in card["body"] if b["type"] == "FactSet" for f in b["facts"]}
    assert facts["Asks for"] == "Level 3 assessment" and facts["Reason"] == "Level of need / threshold"
    assert facts["Why they disagree"] == "Risk from repeated missing episodes not weighed."
    assert facts["Your answer is due"].startswith("Tue 29 Dec, 17:00")
    assert [a["title"] for a in card["actions"]][:1] == ["Accept"]
    payload = verify(card["actions"][0]["data"]["mashbot"], SECRET)
    assert (payload.verb, payload.reference, payload.version, payload.for_id) == ("accept", "CH-0001", 1, "pm-east-1")


async def test_pool_members_card_after_someone_took_it(ladder: Ladder) -> None:
    challenge = await ladder.raise_(NOW)
    await ladder.act(Accept, challenge.reference, "pm-east-1", NOW)
    events = [e for e in ladder.store.events if e.reference == challenge.reference]
    view = views.reviewer_card(ladder.get(challenge.reference), ladder.store.roster, "pm-east-2", NOW, events)
    card = adaptive.challenge_card(view, secret=SECRET, refresh_for=TEAMS_USER, notice="Taken by Pm East 1.")
    golden("reviewer_card_taken", card)
    assert "Taken by Pm East 1 at Thu 24 Dec, 10:00." in json.dumps(card, ensure_ascii=False)
    assert "actions" not in card
    # No refresh: Teams stops fetching it, so later stages and rationales never reach them;
    # and the dispute's detail is for the one who took it.
    assert "refresh" not in card
    assert "will not change again" in json.dumps(card, ensure_ascii=False)
    assert "missing episodes" not in json.dumps(card, ensure_ascii=False)


async def test_owners_card_asks_for_the_outcome_in_a_show_card(ladder: Ladder) -> None:
    challenge = await ladder.raise_(NOW)
    await ladder.act(Accept, challenge.reference, "pm-east-1", NOW)
    view = views.reviewer_card(ladder.get(challenge.reference), ladder.store.roster, "pm-east-1", NOW)
    card = adaptive.challenge_card(view, secret=SECRET, refresh_for=TEAMS_USER, notice_colour="warning",
                                   notice="Already actioned by Pm East 1 at Thu 24 Dec, 10:00.",
                                   values={"record_outcome.rationale": "Threshold applied"})
    golden("reviewer_card_accepted", card)
    record = next(a for a in card["actions"] if a["title"] == "Record outcome")
    assert record["type"] == "Action.ShowCard"
    ids = [i["id"] for i in record["card"]["body"] if "id" in i]
    assert ids == ["record_outcome.outcome", "record_outcome.rationale", "record_outcome.level",
                   "record_outcome.assessment_under_way"]


async def test_challengers_card_after_an_outcome(ladder: Ladder) -> None:
    challenge = await ladder.raise_(NOW)
    await ladder.act(Accept, challenge.reference, "pm-east-1", NOW)
    await ladder.act(RecordOutcome, challenge.reference, "pm-east-1", NOW, outcome=Outcome.DECISION_UPHELD,
                     rationale="The threshold was applied correctly")
    view = views.challenger_card(ladder.get(challenge.reference), ladder.store.roster, "practitioner", NOW)
    card = adaptive.challenge_card(view, secret=SECRET, refresh_for=TEAMS_USER)
    golden("challenger_card_outcome", card)
    assert {"accept_outcome", "escalate_outcome", "withdraw"} <= {
        a["verb"] for a in (n for n in _walk(card)) if a.get("type") == "Action.Execute"}


async def test_urgent_reviewer_card_keeps_its_shared_actions_apart(ladder: Ladder) -> None:
    challenge = await ladder.raise_(NOW, urgent=True, urgent_reason="Immediate risk of harm tonight")
    view = views.reviewer_card(challenge, ladder.store.roster, "pm-east-1", NOW)
    card = adaptive.challenge_card(view, secret=SECRET, refresh_for=TEAMS_USER)
    golden("reviewer_card_urgent", card)
    assert card["body"][0]["style"] in ("warning", "attention")


async def test_intake_form_and_its_errors() -> None:
    policy = pack("lancashire")
    form = form_for_policy(policy, default_area="East")
    golden("intake_form", adaptive.intake_card(form, secret=SECRET, for_id="practitioner", toggle_on=TOGGLE_ON,
                                               intro=texts.TEAMS_INTAKE_INTRO, nonce="IN-golden"))
    values = {"case_reference": "Jane Smith", "area": "East", "reason_category": "level_of_need", "urgent": "yes"}
    result = validate_for_policy(values, policy)
    assert result.answers is None
    card = adaptive.intake_card(form, secret=SECRET, for_id="practitioner", toggle_on=TOGGLE_ON,
                                values=values, errors=result.errors, nonce="IN-golden")
    golden("intake_form_errors", card)
    assert "This looks like a name." in json.dumps(card, ensure_ascii=False)


async def test_coventry_intake_asks_for_the_rag_rating() -> None:
    form = form_for_policy(pack("coventry"))
    card = adaptive.intake_card(form, secret=SECRET, for_id="practitioner", toggle_on=TOGGLE_ON, nonce="IN-golden")
    check_rules(card)
    assert any(e.get("id") == "intake.rag" for e in card["body"])


async def test_help_list_and_digest_cards(ladder: Ladder) -> None:
    golden("help", chat.help_card())
    first = await ladder.raise_(NOW)
    await ladder.raise_(NOW, urgent=True, urgent_reason="Immediate risk of harm tonight")
    roster = ladder.store.roster
    cards = views.inbox([ladder.get(first.reference), ladder.get("CH-0002")], roster, "pm-east-1", NOW)
    golden("list", adaptive.inbox_card(texts.TEAMS_LIST_TITLE.format(count=len(cards)), cards,
                                       texts.TEAMS_LIST_HINT.format(reference=cards[0].reference)))
    policy = pack("lancashire")
    (digest, *_) = build_digests([ladder.get(first.reference), ladder.get("CH-0002")], roster, policy, NOW,
                                 local("2026-12-23 08:30"))
    golden("digest", adaptive.message_card(digest.subject, render_text(digest).splitlines()))


def test_a_long_digest_is_cut_to_fit_a_card() -> None:
    lines = ["Overdue (400)"] + [f"  CH-{n:04d}  East  Practice Manager — overdue since Tue 5 Jan, 17:00; with "
                                 f"Someone Long-Named" for n in range(400)]
    card = adaptive.message_card("digest", lines)
    check_rules(card)
    assert card["body"][-1]["text"].startswith("Shortened to fit a Teams card")


def test_reading_a_press_keeps_only_the_pressed_actions_inputs() -> None:
    value = {"action": {"type": "Action.Execute", "verb": "escalate",
                        "data": {"mashbot": "t.k", "escalate.reason": "Because", "withdraw.reason": "x"}},
             "trigger": "manual"}
    press = adaptive.read_action(value)
    assert (press.verb, press.token, press.inputs, press.automatic) == ("escalate", "t.k", {"reason": "Because"}, False)
    for bad in (None, {}, {"action": {"type": "Action.Submit"}}, {"action": {"type": "Action.Execute", "verb": "x"}}):
        with pytest.raises(ValueError):
            adaptive.read_action(bad)


def test_the_rule_checker_catches_what_teams_refuses() -> None:
    card = adaptive.envelope([{"type": "Input.Text", "id": "a"}, {"type": "Input.Text", "id": "a"}],
                             [{"type": "Action.Submit", "title": "Old"}], version="1.2")
    card["version"] = "1.2"
    found = adaptive.problems(card)
    assert any("version" in p for p in found) and any("Action.Submit" in p for p in found)
    assert any("repeat" in p for p in found)
