"""The urgent heads-up goes to the people the next stage will be assigned to, cover included.

"The next level gets a heads-up at once ... you will be contacted if there is none": a Team
Manager on leave is not contacted, so the heads-up goes where the stage then goes.
Driven through the handlers with pinned time.
"""

from __future__ import annotations

from bot.commands import MarkUrgent
from bot.roster import Away
from tests.ladder_harness import Ladder, local, person, staff

MON = local("2027-01-04 10:00")
ON_LEAVE = (Away(start=MON.date(), end=local("2027-01-08 17:00").date()),)


def team_manager_on_leave(delegate: str | None) -> list[object]:
    people = [p for p in staff() if p.id != "team-manager"]
    people.append(person("team-manager", "mash_team_manager", delegate=delegate, away=ON_LEAVE))
    people.append(person("deputy-tm", "practice_manager", areas=("Central",)))
    return people


async def test_with_the_team_manager_on_leave_the_heads_up_and_the_stage_go_to_their_cover() -> None:
    lad = Ladder(people=team_manager_on_leave("deputy-tm"))  # type: ignore[arg-type]
    ch = await lad.raise_(MON, urgent=True, urgent_reason="Immediate risk at home tonight")
    warned = lad.sent("heads_up")
    assert warned == ["deputy-tm"]  # not the Team Manager, who is on leave
    await lad.tick(ch.due_at)  # nobody answered within the urgent hours
    escalated = lad.get(ch.reference)
    assert escalated.stage == 1 and list(escalated.reviewers) == warned


async def test_with_the_team_manager_on_leave_and_no_delegate_the_senior_manager_is_warned_and_takes_it() -> None:
    lad = Ladder(people=team_manager_on_leave(None))  # type: ignore[arg-type]
    ch = await lad.raise_(MON, urgent=True, urgent_reason="Immediate risk at home tonight")
    warned = lad.sent("heads_up")
    assert warned == ["senior-manager"]
    await lad.tick(ch.due_at)
    escalated = lad.get(ch.reference)
    assert escalated.stage == 2 and list(escalated.reviewers) == warned


async def test_marking_urgent_later_warns_the_cover_of_the_team_manager_on_leave() -> None:
    lad = Ladder(people=team_manager_on_leave("deputy-tm"))  # type: ignore[arg-type]
    ch = await lad.raise_(MON)
    await lad.act(MarkUrgent, ch.reference, "practitioner", local("2027-01-04 11:00"), reason="New information",
                  protective_action="Strategy discussion requested")
    assert lad.sent("heads_up") == ["deputy-tm"]


async def test_a_challenger_who_covers_the_next_level_is_not_warned_about_their_own_challenge() -> None:
    lad = Ladder(people=team_manager_on_leave("practitioner"))  # type: ignore[arg-type]
    ch = await lad.raise_(MON, urgent=True, urgent_reason="Immediate risk at home tonight")
    assert "practitioner" not in lad.sent("heads_up")
    await lad.tick(ch.due_at)
    assert "practitioner" not in lad.get(ch.reference).reviewers
