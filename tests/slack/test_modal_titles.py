"""Every Slack modal title and submit label fits Slack's 24 characters, uncut."""

from __future__ import annotations

from datetime import datetime

import pytest

from adapters.roster_files import demo_roster_path, load_roster_file
from bot import texts
from bot import views
from bot.challenge import Outcome
from bot.commands import Accept, Escalate, RecordOutcome
from cards import slack
from dialogs.intake import form_for_policy
from tests.ladder_harness import Ladder, local, pack

T0 = local("2026-12-24 10:00")
PACKS = ("lancashire", "north-tyneside", "solihull", "coventry")


async def every_card(ladder: Ladder, now: datetime) -> list[views.CardView]:
    """Cards at each state of a challenge that climbs the whole ladder, for everyone."""
    raised = await ladder.raise_(now, actor_id="tara.nolan", urgent=True, urgent_reason="Immediate risk.",
                                 **({"rag": "Red"} if ladder.policy.rag_limits else {}))
    ref = raised.reference
    roster = ladder.store.roster
    cards: list[views.CardView] = []
    for _ in ladder.policy.stages:
        ch = ladder.get(ref)
        cards += [views.card_for(ch, roster, p.id, now) for p in roster.people]
        owner = ch.reviewers[0]
        await ladder.act(Accept, ref, owner, now)
        cards += [views.card_for(ladder.get(ref), roster, p.id, now) for p in roster.people]
        await ladder.act(RecordOutcome, ref, owner, now, outcome=Outcome(ladder.policy.outcomes[1]),
                         rationale="Reviewed.", record_made=(ladder.policy.record_kinds or (None,))[0])
        cards += [views.card_for(ladder.get(ref), roster, p.id, now) for p in roster.people]
        if ladder.get(ref).stage == ladder.policy.last_stage:
            break
        await ladder.act(Escalate, ref, "tara.nolan", now, reason="Still disagree.")
    return cards


@pytest.mark.parametrize("name", PACKS)
async def test_every_modal_title_fits_slack(name: str) -> None:
    ladder = Ladder(name, people=load_roster_file(demo_roster_path()))
    cards = await every_card(ladder, T0)
    titles: set[str] = set()
    for card in cards:
        for action in card.actions:
            if not action.needs_input:
                continue
            modal = slack.action_modal(card, action, "token")
            titles |= {modal["title"]["text"], modal["submit"]["text"]}
    form = form_for_policy(pack(name))
    intake = slack.intake_modal(form)
    titles |= {intake["title"]["text"], intake["submit"]["text"]}
    titles |= {slack.done_modal(t, "x")["title"]["text"] for t in (
        texts.SLACK_RAISED_TITLE, texts.SLACK_COMPLAINT_TITLE, texts.SLACK_NOT_DONE_TITLE, texts.SLACK_DONE_TITLE)}
    assert {"Escalate", "Record outcome", "Withdraw"} <= titles
    too_long = sorted(t for t in titles if len(t) > slack.MAX_TITLE or t.endswith("…"))
    assert too_long == [], f"cut by Slack: {too_long}"
