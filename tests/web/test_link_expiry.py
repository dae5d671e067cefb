"""How long an emailed link works: the policy's working days, never past the stage's due time."""

from __future__ import annotations

from bot.challenge import State
from bot.policy import Policy
from tests.clock.support import LANCASHIRE, challenge, local
from adapters.web_page.mail_links import link_expiry


def test_a_link_works_for_five_working_days_over_christmas_unless_the_stage_is_due_sooner() -> None:
    now = local("2026-12-24 14:00")
    long_stage = challenge("CH-AAAAAA", stage=1, due="2027-01-08 17:00")
    assert link_expiry(long_stage, now) == local("2027-01-05 17:00")  # DESIGN §3's worked example
    short_stage = challenge("CH-BBBBBB", stage=0, due="2026-12-29 17:00")
    assert link_expiry(short_stage, now) == local("2026-12-29 17:00")


def test_the_answer_window_bounds_the_challengers_links_and_the_policy_sets_the_days() -> None:
    now = local("2026-12-24 14:00")
    answering = challenge("CH-CCCCCC", stage=1, due="2026-12-29 17:00", state=State.OUTCOME_PROPOSED,
                          answer_due_at=local("2026-12-31 17:00"))
    assert link_expiry(answering, now) == local("2026-12-31 17:00")
    two_days: Policy = LANCASHIRE.model_copy(update={"link_expiry_working_days": 2})
    quick = challenge("CH-DDDDDD", stage=1, due="2027-01-08 17:00", policy=two_days)
    assert link_expiry(quick, now) == local("2026-12-30 17:00")  # Christmas and Boxing Day skipped


def test_a_stage_already_overdue_keeps_the_policys_period() -> None:
    now = local("2026-12-24 14:00")
    breached = challenge("CH-EEEEEE", stage=3, due="2026-12-20 17:00", breached=True)
    assert link_expiry(breached, now) == local("2027-01-05 17:00")
