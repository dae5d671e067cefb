"""A pinned-time harness that drives the core's handlers against in-memory ports."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from bot.challenge import Challenge
from bot.commands import ChallengeCommand, RaiseChallenge
from bot.handlers import Mashbot, Result, TickReport
from bot.policy import Policy
from bot.roster import Person, Roster
from tests.fakes import FakeStore, FakeUnitOfWork

LONDON = ZoneInfo("Europe/London")
PACKS = Path(__file__).resolve().parent.parent / "bot" / "packs"


def local(text: str) -> datetime:
    """'2027-01-04 10:00' as an aware Europe/London instant."""
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def pack(name: str) -> Policy:
    return Policy.model_validate(yaml.safe_load((PACKS / f"{name}.yaml").read_text()))


def person(pid: str, *roles: str, areas: tuple[str, ...] = (), side: str = "MASH", **extra: Any) -> Person:
    return Person(id=pid, name=pid.replace("-", " ").title(), email=f"{pid}@example.org", roles=roles,
                  areas=areas, side=side, **extra)  # type: ignore[arg-type]


def staff() -> list[Person]:
    return [
        person("pm-east-1", "practice_manager", areas=("East",)),
        person("pm-east-2", "practice_manager", areas=("East",)),
        person("pm-central-1", "practice_manager", areas=("Central",)),
        person("pm-central-2", "practice_manager", areas=("Central",)),
        person("pm-north-1", "practice_manager", areas=("North",)),
        person("pm-cssh-1", "practice_manager", areas=("CSSH",)),
        person("pm-cssh-2", "practice_manager", areas=("CSSH",)),
        person("pm-cssh-3", "practice_manager", areas=("CSSH",)),
        person("team-manager", "mash_team_manager"),
        person("senior-manager", "mash_senior_manager", "senior_manager"),
        person("head-of-service", "head_of_service_mash"),
        person("strategic-head", "strategic_head_of_service"),
        person("loc-hos", "locality_head_of_service", side="locality"),
        person("county-manager", "mash_county_manager"),
        person("loc-tm-east", "locality_team_manager", areas=("East",), side="locality"),
        person("loc-sm-east", "locality_senior_manager", areas=("East",), side="locality"),
        person("loc-pm-east", "locality_practice_manager", areas=("East",), side="locality"),
        person("practitioner", "practitioner", side="partner"),
        person("csap-team", "csap_mailbox"),
        person("iro-mailbox", "iro_mailbox"),
        person("edt", "edt_mailbox"),
        person("lscp", "lscp_business_manager"),
        person("front-door", "front_door_service_manager"),
        person("assistant-director", "assistant_director"),
    ]


class Ladder:
    """One service under test: a fake store, the policy, numbered references."""

    def __init__(self, policy: str | Policy = "lancashire", people: list[Person] | None = None) -> None:
        self.policy = pack(policy) if isinstance(policy, str) else policy
        self.store = FakeStore(Roster(people or staff()))
        numbers = itertools.count(1)
        self.bot = Mashbot(uow=lambda: FakeUnitOfWork(self.store), policy=self.policy,
                           new_reference=lambda: f"CH-{next(numbers):04d}")

    async def raise_(self, now: datetime, **overrides: Any) -> Challenge:
        fields: dict[str, Any] = dict(
            actor_id="practitioner", case_reference="LCS123456", area=self.policy.areas[0],
            decision_challenged="Level 2 – Additional support", requested_outcome="Level 3 assessment",
            reason_category="level_of_need", reason_text="Risk from repeated missing episodes not weighed.",
        )
        fields.update(overrides)
        if fields.get("urgent") and "protective_action" not in overrides:
            fields["protective_action"] = "Strategy discussion requested with the police"
        result = await self.bot.raise_challenge(RaiseChallenge(**fields), now)
        assert result.challenge is not None
        return result.challenge

    def get(self, reference: str) -> Challenge:
        return self.store.challenge(reference)

    async def act(self, command: type[ChallengeCommand], reference: str, actor: str, now: datetime,
                  version: int | None = None, **fields: Any) -> Result:
        current = self.get(reference).version if version is None else version
        return await self.bot.handle(command(actor_id=actor, reference=reference, version=current, **fields), now)

    async def tick(self, now: datetime) -> TickReport:
        return await self.bot.tick(now)

    def sent(self, kind: str | None = None, to: str | None = None) -> list[str]:
        return [m.to if kind else m.kind for m in self.store.sent(kind, to)]

    def with_policy(self, policy: Policy) -> None:
        self.bot = replace(self.bot, policy=policy)
