"""Coventry's non-urgent RAG times count office hours only; Red runs 24/7 (pinned time)."""

from __future__ import annotations

import pytest

from bot.ladder import calendar_of
from bot.policy import Limit, LimitUnit
from tests.ladder_harness import Ladder, local, pack


def when(at: object) -> str:
    from datetime import datetime

    assert isinstance(at, datetime)
    return at.astimezone(local("2027-01-01 00:00").tzinfo).strftime("%a %d %b %H:%M")


async def test_amber_raised_friday_at_four_is_not_escalated_before_monday() -> None:
    lad = Ladder("coventry")
    ch = await lad.raise_(local("2027-01-08 16:00"), rag="Amber")
    # Fri 16:00-16:30, Mon and Tue 08:30-17:00, then 6.5 office hours on Wednesday
    assert when(ch.due_at) == "Wed 13 Jan 15:00"
    for moment in ("2027-01-08 23:59", "2027-01-09 16:00", "2027-01-10 23:00", "2027-01-11 08:29"):
        await lad.tick(local(moment))
        assert lad.get(ch.reference).stage == 0, moment
    assert "escalated_timeout" not in lad.store.kinds(ch.reference)
    await lad.tick(local("2027-01-13 14:59"))
    assert lad.get(ch.reference).stage == 0
    await lad.tick(local("2027-01-13 15:00"))
    assert lad.get(ch.reference).stage == 1
    assert lad.store.kinds(ch.reference).count("escalated_timeout") == 1


async def test_green_and_blue_skip_the_weekend_and_red_still_runs_through_the_night() -> None:
    lad = Ladder("coventry")
    green = await lad.raise_(local("2027-01-04 10:00"), rag="Green")
    assert when(green.due_at) == "Thu 14 Jan 14:30"  # 72 office hours, not Thu 7 Jan
    blue = await lad.raise_(local("2027-01-08 16:00"), rag="Blue")
    assert when(blue.due_at) == "Wed 13 Jan 15:00"
    red = await lad.raise_(local("2027-01-08 20:00"), rag="Red", urgent=True, urgent_reason="Immediate risk")
    assert when(red.due_at) == "Sat 09 Jan 00:00"


def test_working_hours_skip_bank_holidays_and_describe_themselves() -> None:
    cal = calendar_of(pack("coventry"))
    # Thu 24 Dec 2026 16:00 + 4 office hours: 1 h on Thursday, Christmas, Boxing Day (Mon 28
    # substitute) and the weekend are skipped, then 3 h from Tue 29 Dec 08:30
    assert when(cal.working_hours_after(local("2026-12-24 16:00"), 4)) == "Tue 29 Dec 11:30"
    assert when(cal.working_hours_after(local("2027-01-09 12:00"), 1)) == "Mon 11 Jan 09:30"
    assert Limit(amount=24, unit=LimitUnit.WORKING_HOURS).describe() == "24 working hours"
    with pytest.raises(ValueError):
        cal.working_hours_after(local("2027-01-04 10:00"), 0)


def test_the_coventry_pack_marks_the_working_hours_as_assumed() -> None:
    policy = pack("coventry")
    assert {r: lim.unit.value for r, lim in policy.rag_limits.items()} == {
        "Red": "hours", "Amber": "working_hours", "Green": "working_hours", "Blue": "working_hours"}
    from pathlib import Path

    text = (Path(__file__).parents[2] / "bot" / "packs" / "coventry.yaml").read_text()
    assert "ASSUMED: Amber, Green and Blue count office\n# hours only" in text
