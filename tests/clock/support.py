"""Helpers for the clock tests: the Lancashire pack, a roster in the database, a service."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from adapters.settings import Settings
from bot.challenge import Challenge, Outcome, OutcomeRecord, State
from bot.handlers import Mashbot
from bot.policy import Policy
from bot.roster import Person, Roster
from storage.database import Database
from tests.ladder_harness import local, pack, person, staff

LANCASHIRE = pack("lancashire")


def roster_people() -> list[Person]:
    """The ladder harness's staff plus an area-scoped Senior Manager for North."""
    return [*staff(), person("sm-north", "senior_manager", areas=("North",))]


def challenge(reference: str, *, area: str = "East", stage: int = 0, due: str | datetime,
              state: State = State.OPEN, raised: str = "2026-12-14 10:00", policy: Policy = LANCASHIRE,
              **extra: Any) -> Challenge:
    """A fictional challenge as stored: the case reference and the reason are 'secret' markers
    that must never reach a digest or an email."""
    due_at = due if isinstance(due, datetime) else local(due)
    raised_at = local(raised)
    return Challenge(**{
        "reference": reference, "case_reference": "LCS999999", "area": area, "challenger_id": "practitioner",
        "decision_challenged": "SECRET-DECISION", "requested_outcome": "SECRET-REQUEST",
        "reason_category": "level_of_need", "reason_text": "SECRET-REASON", "policy": policy,
        "raised_at": raised_at, "stage_started_at": raised_at, "due_at": due_at, "state": state, "stage": stage,
        "reviewers": ("team-manager",), **extra,
    })


def closed(reference: str, at: str, *, by: str = "team-manager", kind: Outcome = Outcome.DECISION_UPHELD,
           **extra: Any) -> Challenge:
    when = local(at)
    return challenge(reference, state=State.CLOSED, due=when, closed_at=when,
                     outcome=OutcomeRecord(kind=kind, rationale="SECRET-RATIONALE", stage=1, by=by, at=when),
                     **extra)


async def import_roster(database: Database, people: list[Person] | None = None) -> Roster:
    async with database.uow() as uow:
        await uow.people.replace(people or roster_people(), source="tests", now=local("2026-12-01 09:00"))
        await uow.commit()
    return Roster(people or roster_people())


def numbered(prefix: str = "CH-") -> Any:
    counter = iter(range(1, 10**6))
    return lambda: f"{prefix}{next(counter):05d}"


def core(database: Database, policy: Policy = LANCASHIRE, prefix: str = "CH-") -> Mashbot:
    return Mashbot(uow=database.uow, policy=policy, new_reference=numbered(prefix))


def settings(database_url: str, **extra: Any) -> Settings:
    values = {"MASHBOT_DATABASE_URL": database_url, "MASHBOT_POLICY": "lancashire"}
    values.update(extra)
    return Settings(**values)


def later(at: datetime, **delta: float) -> datetime:
    return at + timedelta(**delta)
