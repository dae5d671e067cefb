"""The roster: who holds which role for which area, who covers whom, who is away."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from bot import texts
from bot.roles import Role

AREAS = ("East", "Central", "North", "CSSH")  # Lancashire's, the default pack's areas
# Every area name a pack may use, as roles are known in bot/roles.py: Coventry and North
# Tyneside are one citywide / borough-wide MASH each, Solihull one LSCP area.
KNOWN_AREAS = (*AREAS, "Coventry", "North Tyneside", "Solihull")


class Side(StrEnum):
    MASH = "MASH"
    LOCALITY = "locality"
    PARTNER = "partner"


class Away(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Away:
        if self.end < self.start:
            raise ValueError(texts.ROSTER_AWAY_BACKWARDS.format(end=self.end, start=self.start))
        return self

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


class Person(BaseModel):
    """A member of staff (or a team mailbox) that mashbot may contact."""

    # Built when a roster is first read, not at import: EmailStr loads email_validator, a
    # noticeable part of `mashbot serve`'s start-up that /healthz does not need.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=64)
    name: str = Field(min_length=1, max_length=100)
    email: EmailStr
    roles: tuple[Role, ...] = ()
    job_title: str | None = Field(default=None, min_length=1, max_length=100)  # in words, for forms
    # A work telephone number, offered on the other party's card ("challenge should be by telephone").
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9][0-9 ()-]{5,24}$")
    areas: tuple[str, ...] = ()
    side: Side = Side.MASH
    slack_user_id: str | None = None
    teams_aad_id: str | None = None
    delegate: str | None = None
    away: tuple[Away, ...] = ()

    @field_validator("areas")
    @classmethod
    def _areas(cls, areas: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [a for a in areas if a not in KNOWN_AREAS]
        if unknown:
            raise ValueError(texts.ROSTER_UNKNOWN_AREAS.format(unknown=", ".join(unknown),
                                                               known=", ".join(KNOWN_AREAS)))
        return areas

    def is_away(self, day: date) -> bool:
        return any(period.covers(day) for period in self.away)

    def has_role(self, role: str, area: str | None = None) -> bool:
        """True when the person holds `role`; for an area role, in `area` (no areas = all)."""
        if role not in self.roles:
            return False
        return area is None or not self.areas or area in self.areas


class Roster:
    """An immutable, validated set of people with the lookups the ladder needs."""

    def __init__(self, people: Iterable[Person]) -> None:
        self.people: tuple[Person, ...] = tuple(people)
        self._by_id = {p.id: p for p in self.people}
        self._by_email = {p.email.lower(): p for p in self.people}

    def __len__(self) -> int:
        return len(self.people)

    def get(self, person_id: str | None) -> Person | None:
        return self._by_id.get(person_id) if person_id else None

    def by_email(self, email: str) -> Person | None:
        return self._by_email.get(email.strip().lower())

    def by_slack_id(self, slack_user_id: str) -> Person | None:
        return next((p for p in self.people if p.slack_user_id == slack_user_id), None)

    def by_teams_id(self, aad_id: str) -> Person | None:
        return next((p for p in self.people if p.teams_aad_id == aad_id), None)

    def name_of(self, person_id: str | None) -> str:
        person = self.get(person_id)
        return person.name if person else (person_id or "someone")

    def names(self, ids: Iterable[str], joiner: str = ", ") -> str:
        """Staff names for ids, e.g. 'Ava Okafor, Ben Hartley'; '—' for none."""
        return joiner.join(self.name_of(i) for i in ids) or "—"

    def with_role(self, role: str, area: str | None = None) -> list[Person]:
        """Everyone holding `role` (for `area` when given), in roster order."""
        return [p for p in self.people if p.has_role(role, area)]

    def problems(self, required_roles: Sequence[tuple[str, str | None]] = ()) -> list[str]:
        """What is wrong with this roster: dangling delegates, uncovered roles."""
        found: list[str] = []
        for person in self.people:
            if person.delegate and person.delegate not in self._by_id:
                found.append(texts.ROSTER_UNKNOWN_DELEGATE.format(person=person.id, delegate=person.delegate))
            if person.delegate == person.id:
                found.append(texts.ROSTER_OWN_DELEGATE.format(person=person.id))
        for role, area in required_roles:
            if not self.with_role(role, area):
                where = texts.ROSTER_FOR_AREA.format(area=area) if area else ""
                found.append(texts.ROSTER_ROLE_UNCOVERED.format(role=role, where=where))
        return found
