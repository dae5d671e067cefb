"""Tests for bot.calendar: the working-day clock of DESIGN §3."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.calendar import OfficeDay, Region, WorkingCalendar

LONDON = ZoneInfo("Europe/London")
NINE_TO_FIVE = OfficeDay(time(9, 0), time(17, 0))


def weekdays_9_to_5() -> dict[int, OfficeDay | None]:
    return {wd: NINE_TO_FIVE for wd in range(5)}


def make_calendar(
    region: Region = "England", closures: tuple[date, ...] = ()
) -> WorkingCalendar:
    return WorkingCalendar(
        zone="Europe/London",
        office_hours=weekdays_9_to_5(),
        holiday_region=region,
        closures=closures,
    )


ENGLAND = make_calendar()
COVENTRY = WorkingCalendar(
    zone="Europe/London",
    office_hours={
        0: OfficeDay(time(8, 30), time(17, 0)),
        1: OfficeDay(time(8, 30), time(17, 0)),
        2: OfficeDay(time(8, 30), time(17, 0)),
        3: OfficeDay(time(8, 30), time(17, 0)),
        4: OfficeDay(time(8, 30), time(16, 30)),
        5: None,
    },
    holiday_region="England",
)


def at_london(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=LONDON)


def assert_utc(value: datetime) -> None:
    assert value.tzinfo is UTC


# --- DESIGN §3 worked examples --------------------------------------------------


@pytest.mark.parametrize(
    ("start", "expected_local"),
    [
        (at_london(2026, 12, 24, 14, 0), datetime(2027, 1, 5, 17, 0)),
        (at_london(2026, 4, 2, 16, 55), datetime(2026, 4, 13, 17, 0)),
        (at_london(2026, 12, 18, 16, 55), datetime(2026, 12, 29, 17, 0)),
    ],
)
def test_design_worked_examples(start: datetime, expected_local: datetime) -> None:
    due = ENGLAND.working_days_after(start, 5)
    assert_utc(due)
    assert ENGLAND.local(due).replace(tzinfo=None) == expected_local


def test_worked_example_describes_as_in_design() -> None:
    due = ENGLAND.working_days_after(at_london(2026, 12, 24, 14, 0), 5)
    assert ENGLAND.describe(due) == "Tue 5 Jan, 17:00"
    assert ENGLAND.describe_with_year(due) == "Tue 5 Jan 2027, 17:00"


def test_start_given_in_utc_uses_its_london_date() -> None:
    # 23:30 UTC on 31 Mar 2026 is already 1 Apr in London (BST): count from 1 Apr.
    start = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    due = ENGLAND.working_days_after(start, 1)
    assert ENGLAND.local(due).replace(tzinfo=None) == datetime(2026, 4, 2, 17, 0)


# --- England bank holidays 2026-2028 (gov.uk, substitute days included) ---------

# Weekday bank holidays as gov.uk lists them for England and Wales.
ENGLAND_BANK_HOLIDAYS = {
    date(2026, 1, 1): "New Year's Day",
    date(2026, 4, 3): "Good Friday",
    date(2026, 4, 6): "Easter Monday",
    date(2026, 5, 4): "Early May bank holiday",
    date(2026, 5, 25): "Spring bank holiday",
    date(2026, 8, 31): "Summer bank holiday",
    date(2026, 12, 25): "Christmas Day",
    date(2026, 12, 28): "Boxing Day (substitute day)",
    date(2027, 1, 1): "New Year's Day",
    date(2027, 3, 26): "Good Friday",
    date(2027, 3, 29): "Easter Monday",
    date(2027, 5, 3): "Early May bank holiday",
    date(2027, 5, 31): "Spring bank holiday",
    date(2027, 8, 30): "Summer bank holiday",
    date(2027, 12, 27): "Christmas Day (substitute day)",
    date(2027, 12, 28): "Boxing Day (substitute day)",
    date(2028, 1, 3): "New Year's Day (substitute day)",
    date(2028, 4, 14): "Good Friday",
    date(2028, 4, 17): "Easter Monday",
    date(2028, 5, 1): "Early May bank holiday",
    date(2028, 5, 29): "Spring bank holiday",
    date(2028, 8, 28): "Summer bank holiday",
    date(2028, 12, 25): "Christmas Day",
    date(2028, 12, 26): "Boxing Day",
}


def all_days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def test_library_weekday_holidays_match_gov_uk_list() -> None:
    found = {
        d
        for d in all_days(date(2026, 1, 1), date(2028, 12, 31))
        if d.weekday() < 5 and ENGLAND.holiday_name(d) is not None
    }
    assert found == set(ENGLAND_BANK_HOLIDAYS)


@pytest.mark.parametrize("holiday", sorted(ENGLAND_BANK_HOLIDAYS))
def test_bank_holiday_is_not_a_working_day(holiday: date) -> None:
    assert not ENGLAND.is_working_day(holiday)
    assert ENGLAND.holiday_name(holiday)
    # The day before is a working day unless it is a weekend or itself a bank holiday
    # (27 Dec 2027 before 28 Dec 2027).
    before = holiday - timedelta(days=1)
    expected = before.weekday() < 5 and before not in ENGLAND_BANK_HOLIDAYS
    assert ENGLAND.is_working_day(before) is expected


def test_substitute_and_subdivision_holidays_by_name() -> None:
    # Substitute day: Boxing Day 2026 is a Saturday.
    assert ENGLAND.holiday_name(date(2026, 12, 28)) == "Boxing Day (observed)"
    # Only present with subdiv="ENG"; plain "GB" drops them.
    assert ENGLAND.holiday_name(date(2026, 4, 6)) == "Easter Monday"
    assert ENGLAND.holiday_name(date(2026, 8, 31)) == "Late Summer Bank Holiday"
    assert ENGLAND.holiday_name(date(2026, 4, 7)) is None


# --- regional differences ---------------------------------------------------------


def test_regions_differ() -> None:
    wales = make_calendar("Wales")
    scotland = make_calendar("Scotland")
    northern_ireland = make_calendar("NorthernIreland")

    # 2 January: Scotland only.
    assert not scotland.is_working_day(date(2026, 1, 2))
    assert ENGLAND.is_working_day(date(2026, 1, 2))
    # Easter Monday: not a bank holiday in Scotland.
    assert scotland.is_working_day(date(2026, 4, 6))
    assert not wales.is_working_day(date(2026, 4, 6))
    # Summer bank holiday: first Monday of August in Scotland, last Monday elsewhere.
    assert not scotland.is_working_day(date(2026, 8, 3))
    assert scotland.is_working_day(date(2026, 8, 31))
    assert ENGLAND.is_working_day(date(2026, 8, 3))
    assert not ENGLAND.is_working_day(date(2026, 8, 31))
    # St Andrew's Day (Scotland) and St Patrick's Day / Boyne substitute (NI).
    assert not scotland.is_working_day(date(2026, 11, 30))
    assert not northern_ireland.is_working_day(date(2026, 3, 17))
    assert ENGLAND.is_working_day(date(2026, 3, 17))
    assert not northern_ireland.is_working_day(date(2026, 7, 13))
    assert ENGLAND.is_working_day(date(2026, 7, 13))


# --- office hours -----------------------------------------------------------------


def test_coventry_friday_due_closes_at_half_past_four() -> None:
    due = COVENTRY.working_days_after(at_london(2026, 12, 4, 10, 0), 5)  # Fri -> Fri
    assert_utc(due)
    assert COVENTRY.describe_with_year(due) == "Fri 11 Dec 2026, 16:30"


def test_coventry_thursday_due_closes_at_five() -> None:
    due = COVENTRY.working_days_after(at_london(2026, 12, 4, 10, 0), 4)  # Fri -> Thu
    assert COVENTRY.describe_with_year(due) == "Thu 10 Dec 2026, 17:00"
    assert (
        COVENTRY.describe(COVENTRY.opening_of(date(2026, 12, 10)))
        == "Thu 10 Dec, 08:30"
    )


def test_is_open_boundaries() -> None:
    assert not ENGLAND.is_open(at_london(2026, 6, 3, 8, 59))
    assert ENGLAND.is_open(at_london(2026, 6, 3, 9, 0))
    assert ENGLAND.is_open(at_london(2026, 6, 3, 16, 59))
    assert not ENGLAND.is_open(at_london(2026, 6, 3, 17, 0))
    assert not ENGLAND.is_open(at_london(2026, 6, 6, 12, 0))  # Saturday
    assert not ENGLAND.is_open(at_london(2026, 12, 25, 12, 0))  # Christmas
    # 11:00 UTC is 12:00 BST: open whatever zone the instant comes in.
    assert ENGLAND.is_open(datetime(2026, 6, 3, 11, 0, tzinfo=UTC))


def test_next_opening_after() -> None:
    cases = [
        (at_london(2026, 6, 3, 8, 0), "Wed 3 Jun, 09:00"),  # before opening: today
        (at_london(2026, 6, 3, 9, 0), "Thu 4 Jun, 09:00"),  # strictly after
        (at_london(2026, 6, 5, 18, 0), "Mon 8 Jun, 09:00"),  # over the weekend
        (at_london(2026, 12, 24, 18, 0), "Tue 29 Dec, 09:00"),  # over Christmas
    ]
    for at, expected in cases:
        nxt = ENGLAND.next_opening_after(at)
        assert_utc(nxt)
        assert ENGLAND.describe(nxt) == expected


def test_next_working_day_and_opening_of_non_working_day() -> None:
    assert ENGLAND.next_working_day(date(2026, 12, 24)) == date(2026, 12, 29)
    with pytest.raises(ValueError, match="not a working day"):
        ENGLAND.opening_of(date(2026, 12, 25))
    with pytest.raises(ValueError, match="not a working day"):
        ENGLAND.closing_of(date(2026, 6, 6))


# --- DST ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "expected_local"),
    [
        # Clocks go forward at 01:00 on Sun 29 Mar 2026: 4 hours later is 04:00 BST.
        (at_london(2026, 3, 28, 23, 0), datetime(2026, 3, 29, 4, 0)),
        # Clocks go back at 02:00 on Sun 25 Oct 2026: 4 elapsed hours reach 02:00 GMT.
        (at_london(2026, 10, 24, 23, 0), datetime(2026, 10, 25, 2, 0)),
    ],
)
def test_hours_after_across_dst(start: datetime, expected_local: datetime) -> None:
    end = ENGLAND.hours_after(start, 4)
    assert_utc(end)
    assert end - start == timedelta(hours=4)
    assert ENGLAND.local(end).replace(tzinfo=None) == expected_local


@pytest.mark.parametrize(
    ("day", "expected_utc"),
    [
        (date(2026, 3, 30), datetime(2026, 3, 30, 16, 0, tzinfo=UTC)),  # now BST
        (date(2026, 10, 26), datetime(2026, 10, 26, 17, 0, tzinfo=UTC)),  # now GMT
    ],
)
def test_closing_after_dst_change_is_five_local(
    day: date, expected_utc: datetime
) -> None:
    closing = ENGLAND.closing_of(day)
    assert_utc(closing)
    assert closing == expected_utc
    assert ENGLAND.local(closing).time() == time(17, 0)


# --- closures -----------------------------------------------------------------------


def test_closure_days_are_skipped() -> None:
    closed = make_calendar(closures=(date(2026, 12, 29), date(2026, 12, 30)))
    assert not closed.is_working_day(date(2026, 12, 29))
    assert closed.holiday_name(date(2026, 12, 29)) is None
    due = closed.working_days_after(at_london(2026, 12, 18, 16, 55), 5)
    assert closed.describe_with_year(due) == "Thu 31 Dec 2026, 17:00"


# --- words --------------------------------------------------------------------------


def test_describe_formats() -> None:
    summer = datetime(2026, 4, 13, 16, 0, tzinfo=UTC)  # 17:00 BST
    assert ENGLAND.describe(summer) == "Mon 13 Apr, 17:00"
    assert ENGLAND.describe_with_year(summer) == "Mon 13 Apr 2026, 17:00"
    morning = datetime(2027, 1, 5, 9, 5, tzinfo=UTC)  # GMT: no shift
    assert ENGLAND.describe(morning) == "Tue 5 Jan, 09:05"
    assert (
        ENGLAND.describe(datetime(2026, 12, 31, 23, 59, tzinfo=UTC))
        == "Thu 31 Dec, 23:59"
    )


# --- working days left ----------------------------------------------------------------


def test_working_days_left() -> None:
    due = ENGLAND.working_days_after(
        at_london(2026, 12, 24, 14, 0), 5
    )  # Tue 5 Jan 2027
    assert ENGLAND.working_days_left(at_london(2026, 12, 24, 14, 0), due) == 5
    assert ENGLAND.working_days_left(at_london(2027, 1, 1, 12, 0), due) == 2
    assert ENGLAND.working_days_left(at_london(2027, 1, 5, 9, 0), due) == 0
    assert (
        ENGLAND.working_days_left(at_london(2027, 1, 5, 18, 0), due) == 0
    )  # still today
    assert ENGLAND.working_days_left(at_london(2027, 1, 6, 9, 0), due) == -1
    assert ENGLAND.working_days_left(at_london(2027, 1, 11, 9, 0), due) == -4


def test_working_days_left_counts_dates_not_instants() -> None:
    # Documented choice: only working days after the due date count as "past", so a
    # Friday due is 0 over the weekend and -1 on Monday; overdue-ness is decided by
    # comparing instants, not by this count.
    friday_due = ENGLAND.closing_of(date(2027, 1, 8))
    assert ENGLAND.working_days_left(at_london(2027, 1, 9, 12, 0), friday_due) == 0
    assert ENGLAND.working_days_left(at_london(2027, 1, 11, 9, 0), friday_due) == -1


# --- input checks ---------------------------------------------------------------------


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2026, 6, 3, 12, 0)
    aware = at_london(2026, 6, 3, 12, 0)
    calls: list[Callable[[], object]] = [
        lambda: ENGLAND.working_days_after(naive, 1),
        lambda: ENGLAND.hours_after(naive, 1),
        lambda: ENGLAND.is_open(naive),
        lambda: ENGLAND.next_opening_after(naive),
        lambda: ENGLAND.working_days_left(naive, aware),
        lambda: ENGLAND.working_days_left(aware, naive),
        lambda: ENGLAND.local(naive),
        lambda: ENGLAND.describe(naive),
        lambda: ENGLAND.describe_with_year(naive),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="timezone-aware"):
            call()


def test_bad_configuration_is_rejected() -> None:
    with pytest.raises(ValueError, match="after opens"):
        OfficeDay(time(17, 0), time(9, 0))
    with pytest.raises(ValueError, match="after opens"):
        OfficeDay(time(9, 0), time(9, 0))
    with pytest.raises(ValueError, match="time zone"):
        WorkingCalendar(
            zone="Europe/Nowhere",
            office_hours=weekdays_9_to_5(),
            holiday_region="England",
        )
    with pytest.raises(ValueError, match="region"):
        WorkingCalendar(
            zone="Europe/London",
            office_hours=weekdays_9_to_5(),
            holiday_region="Cornwall",  # type: ignore[arg-type]
        )
    with pytest.raises(ValueError, match="0 \\(Monday\\)"):
        WorkingCalendar(
            zone="Europe/London",
            office_hours={7: NINE_TO_FIVE},
            holiday_region="England",
        )
    with pytest.raises(ValueError, match="no open weekday"):
        WorkingCalendar(zone="Europe/London", office_hours={}, holiday_region="England")
    with pytest.raises(ValueError, match="at least 1"):
        ENGLAND.working_days_after(at_london(2026, 6, 3), 0)


def test_datetime_where_date_expected_is_rejected() -> None:
    with pytest.raises(TypeError, match="expected a date"):
        ENGLAND.is_working_day(at_london(2026, 6, 3, 12, 0))


def test_long_loops_are_cheap() -> None:
    # ~10 years of working days: the per-year holiday cache keeps this fast.
    due = ENGLAND.working_days_after(at_london(2026, 1, 1), 2500)
    assert ENGLAND.working_days_left(at_london(2026, 1, 1), due) == 2500


# --- properties -----------------------------------------------------------------------

CALENDARS = st.sampled_from(
    [
        ENGLAND,
        COVENTRY,
        make_calendar("Scotland"),
        make_calendar("NorthernIreland"),
        make_calendar(
            closures=(date(2026, 12, 29), date(2027, 6, 1), date(2027, 6, 2))
        ),
    ]
)
STARTS = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2029, 12, 31),
    timezones=st.sampled_from([UTC, LONDON, ZoneInfo("America/New_York")]),
)
DAYS = st.integers(min_value=1, max_value=60)
PROPERTY_SETTINGS = settings(deadline=None, max_examples=200)


@PROPERTY_SETTINGS
@given(cal=CALENDARS, start=STARTS, n=DAYS)
def test_due_is_closing_time_of_a_working_day(
    cal: WorkingCalendar, start: datetime, n: int
) -> None:
    due = cal.working_days_after(start, n)
    assert_utc(due)
    assert due > start
    day = cal.local(due).date()
    assert cal.is_working_day(day)
    assert due == cal.closing_of(day)


@PROPERTY_SETTINGS
@given(
    cal=CALENDARS,
    start=STARTS,
    n=DAYS,
    later_by=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
)
def test_later_start_never_gives_earlier_due(
    cal: WorkingCalendar, start: datetime, n: int, later_by: timedelta
) -> None:
    later = start.astimezone(UTC) + later_by
    assert cal.working_days_after(later, n) >= cal.working_days_after(start, n)


@PROPERTY_SETTINGS
@given(cal=CALENDARS, start=STARTS, n=DAYS)
def test_one_more_day_is_later(cal: WorkingCalendar, start: datetime, n: int) -> None:
    assert cal.working_days_after(start, n + 1) > cal.working_days_after(start, n)


@PROPERTY_SETTINGS
@given(cal=CALENDARS, start=STARTS, n=DAYS)
def test_working_days_left_inverts_working_days_after(
    cal: WorkingCalendar, start: datetime, n: int
) -> None:
    due = cal.working_days_after(start, n)
    assert cal.working_days_left(start, due) == n
    assert cal.working_days_left(due, start) == -n


@PROPERTY_SETTINGS
@given(cal=CALENDARS, at=STARTS)
def test_next_opening_is_after_and_open(cal: WorkingCalendar, at: datetime) -> None:
    nxt = cal.next_opening_after(at)
    assert_utc(nxt)
    assert nxt > at
    assert cal.is_open(nxt)
    assert not cal.is_open(nxt - timedelta(seconds=1))


@PROPERTY_SETTINGS
@given(start=STARTS, hours=st.floats(min_value=0, max_value=24 * 30))
def test_hours_after_is_elapsed_time(start: datetime, hours: float) -> None:
    end = ENGLAND.hours_after(start, hours)
    assert_utc(end)
    assert end - start == timedelta(hours=hours)
