"""The working-day clock (DESIGN §3 "Time").

Pure: it never reads the clock. Every instant comes in as an aware datetime and every
instant goes out as an aware UTC datetime; local dates and wall-clock times only exist
inside, in the calendar's zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Final, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:  # the policy builds calendars, so it imports this module
    from bot.policy import Policy

Region = Literal["England", "Wales", "Scotland", "NorthernIreland"]

# `holidays` needs the subdivision: plain "GB" drops Easter Monday and the August bank
# holiday for England (INTEGRATION.md "holidays").
_SUBDIV: Final[dict[str, str]] = {
    "England": "ENG",
    "Wales": "WLS",
    "Scotland": "SCT",
    "NorthernIreland": "NIR",
}

# Spelled out rather than %a/%b so the text does not depend on the process locale.
_DAY_NAMES: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)

# A calendar whose next working day is further away than this is misconfigured (for
# example every weekday closed by `closures`); fail loudly instead of looping forever.
_MAX_SEARCH_DAYS: Final = 3660


@dataclass(frozen=True)
class OfficeDay:
    """Office hours of one weekday, as local wall-clock times."""

    opens: time
    closes: time

    def __post_init__(self) -> None:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError(
                "OfficeDay times are local wall-clock times; pass naive times"
            )
        if self.closes <= self.opens:
            raise ValueError(
                f"OfficeDay closes ({self.closes}) must be after opens ({self.opens})"
            )


def _require_aware(at: datetime, name: str = "at") -> datetime:
    """Reject naive datetimes: without a zone the local date is unknown."""
    if not isinstance(at, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(at).__name__}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive datetime {at!r}")
    return at


def _require_date(d: date) -> date:
    """Reject datetimes where a local date is meant: their zone may differ."""
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(
            f"expected a date, got {type(d).__name__}; use local(at).date()"
        )
    return d


def _load_zone(zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {zone!r}") from exc


class WorkingCalendar:
    """Working days and office hours of one policy: zone, hours, region, closures."""

    zone: ZoneInfo

    def __init__(
        self,
        *,
        zone: str,
        office_hours: Mapping[int, OfficeDay | None],
        holiday_region: Region,
        closures: Iterable[date] = (),
    ) -> None:
        self.zone = _load_zone(zone)
        if holiday_region not in get_args(Region):
            raise ValueError(
                f"unknown holiday region {holiday_region!r}; "
                f"expected one of {get_args(Region)}"
            )
        self._subdiv = _SUBDIV[holiday_region]
        self._hours = self._check_hours(office_hours)
        self._closures = frozenset(_require_date(d) for d in closures)
        # One plain dict per year: building a `holidays` object is the expensive part,
        # and a dict lookup keeps loops over many working days cheap.
        self._holiday_cache: dict[int, dict[date, str]] = {}
        # Calendars are immutable and shared, so answers per date can be remembered.
        self._working_cache: dict[date, bool] = {}
        self._next_cache: dict[date, date] = {}

    @staticmethod
    def _check_hours(
        office_hours: Mapping[int, OfficeDay | None],
    ) -> dict[int, OfficeDay]:
        unknown = set(office_hours) - set(range(7))
        if unknown:
            raise ValueError(
                f"office_hours keys must be 0 (Monday)..6 (Sunday), got {unknown}"
            )
        hours = {k: v for k, v in office_hours.items() if v is not None}
        for weekday, day in hours.items():
            if not isinstance(day, OfficeDay):
                raise TypeError(f"office_hours[{weekday}] must be an OfficeDay or None")
        if not hours:
            raise ValueError(
                "office_hours has no open weekday; nothing could ever fall due"
            )
        return hours

    def _holidays_of(self, year: int) -> dict[date, str]:
        cached = self._holiday_cache.get(year)
        if cached is None:
            # Imported on first use: loading `holidays` is a noticeable part of start-up,
            # and nothing before the first date sum needs it.
            import holidays

            found = holidays.country_holidays("GB", subdiv=self._subdiv, years=year)
            cached = dict(found.items())
            self._holiday_cache[year] = cached
        return cached

    # --- dates -------------------------------------------------------------------

    def holiday_name(self, d: date) -> str | None:
        """The bank holiday name on local date `d` in this region, or None."""
        d = _require_date(d)
        return self._holidays_of(d.year).get(d)

    def is_working_day(self, d: date) -> bool:
        """True for a weekday with office hours, not a bank holiday, not a closure."""
        d = _require_date(d)
        known = self._working_cache.get(d)
        if known is None:
            known = self._working_cache[d] = (
                d.weekday() in self._hours
                and d not in self._closures
                and d not in self._holidays_of(d.year)
            )
        return known

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after local date `d`."""
        d = _require_date(d)
        found = self._next_cache.get(d)
        if found is not None:
            return found
        start = d
        for _ in range(_MAX_SEARCH_DAYS):
            d += timedelta(days=1)
            if self.is_working_day(d):
                self._next_cache[start] = d
                return d
        raise ValueError(
            f"no working day within {_MAX_SEARCH_DAYS} days; check closures"
        )

    def _office_day(self, d: date) -> OfficeDay:
        if not self.is_working_day(d):
            raise ValueError(f"{d.isoformat()} is not a working day")
        return self._hours[d.weekday()]

    def _instant(self, d: date, wall: time) -> datetime:
        # Attaching the ZoneInfo to the wall-clock time lets zoneinfo pick the right
        # offset for that date (GMT or BST), so 17:00 stays 17:00 local across DST.
        return datetime.combine(d, wall, tzinfo=self.zone).astimezone(UTC)

    def opening_of(self, d: date) -> datetime:
        """UTC instant the office opens on working day `d` (ValueError otherwise)."""
        return self._instant(d, self._office_day(d).opens)

    def closing_of(self, d: date) -> datetime:
        """UTC instant the office closes on working day `d` (ValueError otherwise)."""
        return self._instant(d, self._office_day(d).closes)

    # --- instants ----------------------------------------------------------------

    def local(self, at: datetime) -> datetime:
        """`at` expressed in the calendar's zone."""
        return _require_aware(at).astimezone(self.zone)

    def working_days_after(self, start: datetime, n: int) -> datetime:
        """Close of office hours on the n-th working day after `start`'s local date.

        DESIGN §3: the time of day of `start` does not matter, only its local date.
        """
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"n must be an int, got {type(n).__name__}")
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        d = self.local(_require_aware(start, "start")).date()
        for _ in range(n):
            d = self.next_working_day(d)
        return self.closing_of(d)

    def hours_after(self, start: datetime, hours: float) -> datetime:
        """`start` plus plain elapsed hours (24/7), in UTC so DST cannot skew it."""
        # Adding a timedelta to a ZoneInfo-aware datetime is wall-clock arithmetic and
        # would be an hour off across a DST change; in UTC it is elapsed time.
        return _require_aware(start, "start").astimezone(UTC) + timedelta(hours=hours)

    def working_hours_after(self, start: datetime, hours: float) -> datetime:
        """`start` plus `hours` counted only inside office hours of working days: a limit
        that stands still overnight, at weekends and on bank holidays."""
        if hours <= 0:
            raise ValueError(f"hours must be positive, got {hours}")
        at = _require_aware(start, "start").astimezone(UTC)
        left = timedelta(hours=hours)
        d = self.local(at).date()
        if not self.is_working_day(d):
            d = self.next_working_day(d)
        for _ in range(_MAX_SEARCH_DAYS):
            begin, closes = max(at, self.opening_of(d)), self.closing_of(d)
            if begin < closes:
                if left <= closes - begin:
                    return begin + left
                left -= closes - begin
            d = self.next_working_day(d)
        raise ValueError(f"no end within {_MAX_SEARCH_DAYS} working days; check the limit")

    def is_open(self, at: datetime) -> bool:
        """True if `at` is in office hours (opens <= t < closes) of a working day."""
        d = self.local(at).date()
        if not self.is_working_day(d):
            return False
        return self.opening_of(d) <= at < self.closing_of(d)

    def next_opening_after(self, at: datetime) -> datetime:
        """The first office opening strictly after `at`, as a UTC instant."""
        d = self.local(at).date()
        if self.is_working_day(d) and self.opening_of(d) > at:
            return self.opening_of(d)
        return self.opening_of(self.next_working_day(d))

    def working_days_left(self, now: datetime, due: datetime) -> int:
        """Working days from now's local date (exclusive) to due's (inclusive).

        0 when due falls on today's local date; negative when due's date is past,
        counting the working days after it up to and including today. Only local dates
        matter: a due at 17:00 today is 0 both before and after 17:00, and a Friday due
        is still 0 on the Saturday after (callers compare instants to tell overdue).
        """
        today = self.local(_require_aware(now, "now")).date()
        due_day = self.local(_require_aware(due, "due")).date()
        if due_day >= today:
            return self._count_working_days(today, due_day)
        return -self._count_working_days(due_day, today)

    def _count_working_days(self, after: date, upto: date) -> int:
        """Working days in the half-open date range (after, upto]."""
        days = (upto - after).days
        return sum(
            1
            for i in range(1, days + 1)
            if self.is_working_day(after + timedelta(days=i))
        )

    # --- words -------------------------------------------------------------------

    def describe(self, at: datetime) -> str:
        """Local time in words, no year: "Tue 5 Jan, 17:00"."""
        t = self.local(at)
        return (
            f"{_DAY_NAMES[t.weekday()]} {t.day} {_MONTH_NAMES[t.month - 1]}, {t:%H:%M}"
        )

    def describe_with_year(self, at: datetime) -> str:
        """Local time in words with the year: "Tue 5 Jan 2027, 17:00"."""
        t = self.local(at)
        return (
            f"{_DAY_NAMES[t.weekday()]} {t.day} {_MONTH_NAMES[t.month - 1]} {t.year}, "
            f"{t:%H:%M}"
        )


_CALENDARS: dict[tuple[object, ...], WorkingCalendar] = {}
# Policies are frozen: the calendar found for one policy object holds for its life. Keyed by
# id() with the object kept alive beside it, so an id is never reused while it is in the map;
# thousands of challenges loaded from one snapshot share one object.
_BY_POLICY: dict[int, tuple[Policy, WorkingCalendar]] = {}


def calendar_of(policy: Policy) -> WorkingCalendar:
    """The policy's calendar, built once per distinct calendar (zone, hours, region, closures)."""
    known = _BY_POLICY.get(id(policy))
    if known is not None and known[0] is policy:
        return known[1]
    hours = tuple(sorted((day, spec.opens, spec.closes) for day, spec in policy.office_hours.items() if spec))
    key = (policy.zone, policy.holiday_region, hours, policy.closure_days)
    cal = _CALENDARS.get(key)
    if cal is None:
        cal = _CALENDARS[key] = policy.calendar()
    if len(_BY_POLICY) < 1024:  # policy objects are few (one per snapshot parsed, per pack loaded)
        _BY_POLICY[id(policy)] = (policy, cal)
    return cal
