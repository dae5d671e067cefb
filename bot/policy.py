"""Policy packs: the ladder, its clocks and its duties, as data.

A pack is validated on load; a running challenge keeps a snapshot of the pack it was
raised under, so editing a pack never moves a running deadline.
"""

from __future__ import annotations

import re
from datetime import date, time
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from bot import texts
from bot.calendar import OfficeDay, WorkingCalendar
from bot.roles import Role
from bot.roster import AREAS, KNOWN_AREAS

# The Senior Managers' digest is sent at this time, in the policy's zone, on its office days.
DIGEST_TIME = time(8, 30)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LimitUnit(StrEnum):
    WORKING_DAYS = "working_days"
    HOURS = "hours"  # clock hours, 24/7
    WORKING_HOURS = "working_hours"  # only hours inside office hours of working days count

    @property
    def in_hours(self) -> bool:
        return self is not LimitUnit.WORKING_DAYS


class Limit(_Model):
    """A time limit: N working days (office close on the N-th working day) or N clock hours."""

    amount: float = Field(gt=0)
    unit: LimitUnit

    @model_validator(mode="after")
    def _whole_working_days(self) -> Limit:
        if self.unit is LimitUnit.WORKING_DAYS and self.amount != int(self.amount):
            raise ValueError(texts.POLICY_WHOLE_DAYS)
        return self

    def describe(self) -> str:
        n = int(self.amount) if self.amount == int(self.amount) else self.amount
        if self.unit is LimitUnit.WORKING_DAYS:
            return texts.LIMIT_WORKING_DAYS.format(n=n, s="s" if n != 1 else "")
        if self.unit is LimitUnit.WORKING_HOURS:
            return texts.LIMIT_WORKING_HOURS.format(n=n, s="s" if n != 1 else "")
        return texts.LIMIT_HOURS.format(n=n, s="s" if n != 1 else "")


class Scope(StrEnum):
    AREA = "area"
    GLOBAL = "global"


class Duty(StrEnum):
    CSAP_FORM = "csap_form"  # Stage 3 Monitoring Information form to the CSAP mailbox
    NEW_DECISION = "new_decision"  # every review makes a new decision (North Tyneside)
    # "where such senior officers have become involved ... the CSAP Team must be made aware"
    CSAP_SENIOR_NOTICE = "csap_senior_notice"
    # "The agency which found it necessary to escalate an issue to such a high level in another
    # organisation should advise the other organisation of their intention to do so"
    ADVISE_OTHER_ORGANISATION = "advise_other_organisation"


class Nudges(_Model):
    daily_until_accepted: bool = True
    due_day: bool = True


class StageSpec(_Model):
    name: str = Field(min_length=1)
    role: Role
    scope: Scope = Scope.GLOBAL
    counterpart: Role | None = None
    limit: Limit
    urgent_limit: Limit = Limit(amount=4, unit=LimitUnit.HOURS)
    nudges: Nudges = Nudges()
    duties: tuple[Duty, ...] = ()
    counts_to_cap: bool = True
    # The stage's counterpart and its reviewer decide together: the outcome waits for the
    # counterpart's agreement (Lancashire: Senior Managers "work together", Heads of Service
    # "work together to make a final decision").
    joint: bool = False
    # Entered only when someone escalates to it, never by a time-out ("consideration should be
    # given to progressing ... up to Strategic Head of Service or Director level").
    optional: bool = False
    description: str = ""

    @model_validator(mode="after")
    def _joint_needs_counterpart(self) -> StageSpec:
        if self.joint and self.counterpart is None:
            raise ValueError("a joint stage needs a counterpart (the role that decides with the reviewer)")
        return self


class OfficeHoursSpec(_Model):
    opens: time
    closes: time

    @model_validator(mode="after")
    def _closes_after_opens(self) -> OfficeHoursSpec:
        if self.closes <= self.opens:
            raise ValueError(texts.POLICY_CLOSES_BEFORE_OPENS.format(closes=self.closes, opens=self.opens))
        return self


class Notifications(_Model):
    """Who is told what, by roster role."""

    csap: Role | None = None
    # Who must add the agreed case note to the child's record (area-scoped: the locality's).
    case_note: Role | None = None
    iro: Role | None = None
    edt: Role | None = None
    lessons_learned: Role | None = None
    # Solihull: "imminent significant harm ... speak directly to their line manager, or designated
    # safeguarding lead who will follow the Emergency Resolution Protocol" -- who is told at once.
    emergency_protocol: tuple[Role, ...] = ()
    # Solihull's "Learning Lessons": the reviewer is asked at close whether there is a lesson.
    lessons_at_close: bool = False
    breach: tuple[Role, ...] = ()
    digest: tuple[Role, ...] = ()
    iro_when_cp_or_looked_after: bool = False
    edt_outside_office_hours: bool = False
    # The EDT's phone number, shown on urgent cards out of hours (its mailbox is read only at
    # the start of each shift).
    edt_phone: str | None = None


class JointAgreement(_Model):
    """An outcome that cancels an assessment needs both of these roles to agree.

    `when_assessment_ends` lists outcomes that need the same agreement when the reviewer
    says a Child & Family assessment is under way (a de-escalation then ends it).
    """

    outcome: str = "assessment_cancelled"
    roles: tuple[Role, ...] = ("mash_county_manager", "locality_senior_manager")
    when_assessment_ends: tuple[str, ...] = ()

    def needed(self, outcome: str, assessment_under_way: bool | None) -> bool:
        """True when this outcome is not final until every role has agreed."""
        return outcome == self.outcome or (outcome in self.when_assessment_ends and bool(assessment_under_way))


class PackSource(_Model):
    """Where a pack's rules come from, and until when its source document is in date."""

    documents: tuple[str, ...] = Field(min_length=1)
    version: str = texts.POLICY_VERSION_NOT_STATED
    approved: date | None = None
    review_by: date | None = None
    expires: date | None = None

    def warnings(self, today: date) -> list[str]:
        """What the person running the service must know about the source document's dates."""
        found: list[str] = []
        if self.expires is not None and self.expires < today:
            found.append(texts.POLICY_SOURCE_EXPIRED.format(day=self.expires))
        if self.review_by is None:
            found.append(texts.POLICY_NO_REVIEW_DATE)
        elif self.review_by < today:
            found.append(texts.POLICY_REVIEW_PASSED.format(day=self.review_by))
        return found


class Policy(_Model):
    """One policy pack (Lancashire, North Tyneside, Solihull, Coventry or a service's own)."""

    name: str = Field(pattern=r"^[a-z0-9-]+$")
    title: str
    source: PackSource | None = None
    zone: str = "Europe/London"
    holiday_region: Literal["England", "Wales", "Scotland", "NorthernIreland"] = "England"
    closure_days: tuple[date, ...] = ()
    office_hours: dict[str, OfficeHoursSpec | None]
    areas: tuple[str, ...] = AREAS  # the MASH areas a challenge is raised in
    stages: tuple[StageSpec, ...] = Field(min_length=1)
    # The number the procedure gives its first stage: Lancashire's seed puts the Practice
    # Manager step before "Stage 1", so its pack says 0 and every screen counts from there.
    first_stage_number: int = Field(default=1, ge=0, le=1)
    overall_cap: Limit | None = None
    rag_limits: dict[str, Limit] = {}
    rag_updated_by: Role | None = None  # who may change the RAG rating of a running challenge
    levels_of_need: tuple[str, ...] = Field(min_length=1)
    outcomes: tuple[str, ...] = ("decision_revised", "decision_upheld", "de_escalated", "assessment_cancelled")
    de_escalation_levels: tuple[str, ...] = ("1", "2")
    raised_by: tuple[str, ...] = ("professional",)
    # Challengers who are told only that a decision was made, never the actions decided or
    # the rationale (North Tyneside: parents, carers, the network and the child).
    decision_only_for: tuple[str, ...] = ()
    notifications: Notifications = Notifications()
    joint_agreement: JointAgreement | None = None
    # Whose challenges involve the stages' counterparts, by the challenger's roster side: a
    # locality challenge has the locality's managers on the other side; a partner agency's own
    # managers are not on the roster.
    counterparts_for: tuple[Literal["MASH", "locality", "partner"], ...] = ("locality",)
    case_reference_pattern: str = r"[A-Z]{0,4}[0-9]{4,12}"
    case_reference_hint: str = texts.POLICY_CASE_REFERENCE_HINT
    record_location: str
    # The records the outcome may be written to, asked at the outcome and audited
    # (North Tyneside: a new Contact Record or a Case Note on Liquidlogic); none = not asked.
    record_kinds: tuple[str, ...] = ()
    # What `policy show` must say about where the pack's values come from.
    notes: tuple[str, ...] = ()
    complaint_text: str
    retention_days: int = Field(default=730, gt=0)
    # How long an emailed action link works (never past the stage's due time).
    link_expiry_working_days: int = Field(default=5, gt=0, le=30)

    @field_validator("office_hours")
    @classmethod
    def _weekdays(cls, value: dict[str, OfficeHoursSpec | None]) -> dict[str, OfficeHoursSpec | None]:
        unknown = [k for k in value if k not in WEEKDAYS]
        if unknown:
            raise ValueError(texts.POLICY_UNKNOWN_WEEKDAYS.format(unknown=", ".join(unknown),
                                                known=", ".join(WEEKDAYS)))
        if not any(value.values()):
            raise ValueError(texts.POLICY_NO_OFFICE_HOURS)
        return value

    @field_validator("areas")
    @classmethod
    def _areas(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [a for a in value if a not in KNOWN_AREAS]
        if unknown:
            raise ValueError(texts.POLICY_UNKNOWN_AREAS.format(unknown=", ".join(unknown),
                                                known=", ".join(KNOWN_AREAS)))
        if not value or len(set(value)) != len(value):
            raise ValueError(texts.POLICY_AREAS_ONCE)
        return value

    @field_validator("case_reference_pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(texts.POLICY_BAD_PATTERN.format(error=exc)) from exc
        return value

    @field_validator("outcomes")
    @classmethod
    def _outcomes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [v for v in value if v not in OUTCOME_NAMES]
        if unknown:
            raise ValueError(texts.POLICY_UNKNOWN_OUTCOMES.format(unknown=", ".join(unknown),
                                                known=", ".join(OUTCOME_NAMES)))
        return value

    @field_validator("raised_by")
    @classmethod
    def _raised_by(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [v for v in value if v not in RAISED_BY]
        if unknown:
            raise ValueError(texts.POLICY_UNKNOWN_CHALLENGER_TYPES.format(unknown=", ".join(unknown),
                                                known=", ".join(RAISED_BY)))
        return value

    @field_validator("decision_only_for")
    @classmethod
    def _decision_only_for(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [v for v in value if v not in RAISED_BY]
        if unknown:
            raise ValueError(texts.POLICY_UNKNOWN_CHALLENGER_TYPES.format(unknown=", ".join(unknown),
                                                known=", ".join(RAISED_BY)))
        return value

    @field_validator("joint_agreement")
    @classmethod
    def _joint_outcome_listed(cls, value: JointAgreement | None, info: ValidationInfo) -> JointAgreement | None:
        outcomes = info.data.get("outcomes")
        if value is None or outcomes is None:
            return value
        for outcome in (value.outcome, *value.when_assessment_ends):
            if outcome not in outcomes:
                raise ValueError(texts.POLICY_OUTCOME_NOT_IN_PACK.format(outcome=outcome))
        return value

    @field_validator("zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(texts.POLICY_UNKNOWN_ZONE.format(zone=value)) from exc
        return value

    def review_warnings(self, today: date) -> list[str]:
        """Warnings about the pack's source document on `today` (expired, review overdue)."""
        if self.source is None:
            return [texts.POLICY_NO_SOURCE]
        return self.source.warnings(today)

    def calendar(self) -> WorkingCalendar:
        """The working-day calendar this pack defines."""
        hours = {
            WEEKDAYS.index(day): OfficeDay(spec.opens, spec.closes)
            for day, spec in self.office_hours.items()
            if spec is not None
        }
        return WorkingCalendar(
            zone=self.zone,
            office_hours=hours,
            holiday_region=self.holiday_region,
            closures=self.closure_days,
        )

    @property
    def last_stage(self) -> int:
        return len(self.stages) - 1

    @property
    def last_required_stage(self) -> int:
        """The last stage a time-out can reach: optional steps above it need an escalation."""
        index = self.last_stage
        while index > 0 and self.stages[index].optional:
            index -= 1
        return index

    def stage(self, index: int) -> StageSpec:
        return self.stages[index]

    def stage_number(self, index: int) -> int:
        """The procedure's own number of a stage (0 = the step before Stage 1)."""
        return self.first_stage_number + index

    def stage_label(self, index: int) -> str:
        """"Stage 2 of 3" in the procedure's numbering, or "before Stage 1"."""
        number = self.stage_number(index)
        if number == 0:
            return "before Stage 1"
        top = self.stage_number(self.last_required_stage)
        if index > self.last_required_stage:
            return f"beyond Stage {top}, optional"
        return f"Stage {number} of {top}"

    def cap_starts_at_stage(self) -> int | None:
        """Index of the first stage counted by the overall cap (Stage 1 in Lancashire)."""
        for index, stage in enumerate(self.stages):
            if stage.counts_to_cap:
                return index
        return None


OUTCOME_NAMES = ("decision_revised", "decision_upheld", "de_escalated", "assessment_cancelled", "new_decision")
RAISED_BY = ("professional", "parent", "carer", "network", "child")  # bot.challenge.ChallengerType
