"""The official working calendar (DOMAIN 9) and the notice rule (GACC-RVI 4(I))."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from rvi_scheduling.calendar.official import YearWithoutCalendar
from rvi_scheduling.calendar.rules import NoticeRule, OfficeHours, candidate_starts
from rvi_scheduling.calendar.working import WorkingCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")

# The State Council's notices: (first day off, last day off) per holiday.
DAYS_OFF = {
    "2025 New Year": (date(2025, 1, 1), date(2025, 1, 1)),
    "2025 Spring Festival": (date(2025, 1, 28), date(2025, 2, 4)),
    "2025 Qingming": (date(2025, 4, 4), date(2025, 4, 6)),
    "2025 Labour Day": (date(2025, 5, 1), date(2025, 5, 5)),
    "2025 Dragon Boat": (date(2025, 5, 31), date(2025, 6, 2)),
    "2025 National Day and Mid-Autumn": (date(2025, 10, 1), date(2025, 10, 8)),
    "2026 New Year": (date(2026, 1, 1), date(2026, 1, 3)),
    "2026 Spring Festival": (date(2026, 2, 15), date(2026, 2, 23)),
    "2026 Qingming": (date(2026, 4, 4), date(2026, 4, 6)),
    "2026 Labour Day": (date(2026, 5, 1), date(2026, 5, 5)),
    "2026 Dragon Boat": (date(2026, 6, 19), date(2026, 6, 21)),
    "2026 Mid-Autumn": (date(2026, 9, 25), date(2026, 9, 27)),
    "2026 National Day": (date(2026, 10, 1), date(2026, 10, 7)),
}
MAKE_UP_WORKING_DAYS = [
    date(2025, 1, 26),  # Sun, Spring Festival
    date(2025, 2, 8),  # Sat, Spring Festival
    date(2025, 4, 27),  # Sun, Labour Day
    date(2025, 9, 28),  # Sun, National Day
    date(2025, 10, 11),  # Sat, National Day
    date(2026, 1, 4),  # Sun, New Year
    date(2026, 2, 14),  # Sat, Spring Festival
    date(2026, 2, 28),  # Sat, Spring Festival
    date(2026, 5, 9),  # Sat, Labour Day
    date(2026, 9, 20),  # Sun, National Day
    date(2026, 10, 10),  # Sat, National Day
]
CALENDAR = WorkingCalendar()
HOURS = OfficeHours()


@pytest.mark.parametrize(("first", "last"), DAYS_OFF.values(), ids=DAYS_OFF.keys())
def test_each_official_holiday_range_is_off_and_bounded_by_working_days(first: date, last: date) -> None:
    day = first
    while day <= last:
        assert not CALENDAR.is_working_day(day), day
        day += timedelta(days=1)
    assert CALENDAR.is_working_day(first - timedelta(days=1))
    assert CALENDAR.is_working_day(last + timedelta(days=1))


@pytest.mark.parametrize("day", MAKE_UP_WORKING_DAYS, ids=str)
def test_each_make_up_working_day_is_worked(day: date) -> None:
    assert day.weekday() >= 5
    assert CALENDAR.is_working_day(day)
    assert CALENDAR.status(day).name == "make-up working day"


def test_an_ordinary_weekend_is_off_and_an_ordinary_weekday_worked() -> None:
    assert not CALENDAR.is_working_day(date(2026, 11, 28))
    assert CALENDAR.is_working_day(date(2026, 11, 27))


@pytest.mark.parametrize("year", [2000, 2027, 2030])
def test_a_year_without_official_data_is_refused_naming_the_year(year: int) -> None:
    with pytest.raises(YearWithoutCalendar) as raised:
        CALENDAR.is_working_day(date(year, 3, 2))
    assert str(year) in raised.value.message and raised.value.context["year"] == year


def test_slots_near_the_year_end_fail_closed_rather_than_guess() -> None:
    notice_at = datetime(2026, 12, 29, 10, 0, tzinfo=SHANGHAI)
    with pytest.raises(YearWithoutCalendar, match="2027"):
        next(candidate_starts(notice_at, timedelta(minutes=125), CALENDAR, HOURS, NoticeRule()))


def test_a_declared_year_uses_the_operators_days_on_weekdays() -> None:
    calendar = WorkingCalendar({date(2027, 1, 1): False, date(2027, 1, 2): True}, frozenset({2027}))
    assert not calendar.is_working_day(date(2027, 1, 1))  # Fri, entered as a day off
    assert calendar.is_working_day(date(2027, 1, 2))  # Sat, entered as a make-up working day
    assert not calendar.is_working_day(date(2027, 1, 3))  # Sun
    assert calendar.is_working_day(date(2027, 1, 4))


def test_an_override_beats_the_library() -> None:
    calendar = WorkingCalendar({date(2026, 11, 27): False})
    assert not calendar.is_working_day(date(2026, 11, 27))
    assert calendar.status(date(2026, 11, 27)).source == "override"


def first_slot(notice_local: datetime, rule: NoticeRule) -> datetime:
    notice_at = notice_local.replace(tzinfo=SHANGHAI)
    start = next(candidate_starts(notice_at, timedelta(minutes=125), CALENDAR, HOURS, rule))
    return start.astimezone(SHANGHAI).replace(tzinfo=None)


@pytest.mark.parametrize(
    ("notice_local", "unit", "expected_local"),
    [
        # Mon 10:00 → Thu 10:00: three whole days
        (datetime(2026, 11, 23, 10, 0), "calendar", datetime(2026, 11, 26, 10, 0)),
        # Mon → Thu 09:00 in working days (Tue, Wed, Thu)
        (datetime(2026, 11, 23, 10, 0), "working", datetime(2026, 11, 26, 9, 0)),
        # Wed → Sat falls on a weekend → Mon
        (datetime(2026, 11, 25, 10, 0), "calendar", datetime(2026, 11, 30, 9, 0)),
        # Wed → Mon in working days (Thu, Fri, Mon)
        (datetime(2026, 11, 25, 10, 0), "working", datetime(2026, 11, 30, 9, 0)),
        # Tue 29 Sep → Fri 2 Oct is in the National Day break → Thu 8 Oct
        (datetime(2026, 9, 29, 10, 0), "calendar", datetime(2026, 10, 8, 9, 0)),
        # Tue 29 Sep in working days: Wed 30 Sep, Thu 8 Oct, Fri 9 Oct
        (datetime(2026, 9, 29, 10, 0), "working", datetime(2026, 10, 9, 9, 0)),
        # Wed 16 Sep → Sun 20 Sep, a make-up working day
        (datetime(2026, 9, 16, 10, 0), "calendar", datetime(2026, 9, 20, 9, 0)),
        # Wed 16 Sep in working days: Thu 17, Fri 18, Sun 20 (make-up)
        (datetime(2026, 9, 16, 10, 0), "working", datetime(2026, 9, 20, 9, 0)),
        # Sat 7 Feb 2026 in working days: Mon 9, Tue 10, Wed 11 Feb
        (datetime(2026, 2, 7, 10, 0), "working", datetime(2026, 2, 11, 9, 0)),
        # Thu 12 Feb 2026: Fri 13, Sat 14 (make-up), then the Spring Festival break until Tue 24
        (datetime(2026, 2, 12, 10, 0), "working", datetime(2026, 2, 24, 9, 0)),
    ],
)
def test_the_notice_rule_in_calendar_and_working_days(
    notice_local: datetime, unit: str, expected_local: datetime
) -> None:
    rule = NoticeRule(days=3, unit=unit)  # type: ignore[arg-type]
    assert first_slot(notice_local, rule) == expected_local


def test_less_than_three_calendar_days_is_not_notice() -> None:
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    rule = NoticeRule()
    assert not rule.satisfied(now, now + timedelta(days=3) - timedelta(minutes=1), CALENDAR, HOURS)
    assert rule.satisfied(now, now + timedelta(days=3), CALENDAR, HOURS)


def test_slots_lie_within_office_hours_in_the_districts_zone() -> None:
    urumqi = OfficeHours(timezone="Asia/Urumqi", opens=time(10, 0), closes=time(18, 0))
    notice_at = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    starts = list(candidate_starts(notice_at, timedelta(hours=2), CALENDAR, urumqi, NoticeRule(), horizon_days=7))
    assert starts
    for start in starts:
        local = start.astimezone(ZoneInfo("Asia/Urumqi"))
        assert time(10, 0) <= local.time() and (local + timedelta(hours=2)).time() <= time(18, 0)
        assert CALENDAR.is_working_day(local.date())


def test_near_the_end_of_the_data_fewer_days_are_offered_rather_than_guessed() -> None:
    from rvi_scheduling.plans.planner import plan_offers
    from rvi_scheduling.plans.solver import SiteTask
    from rvi_scheduling.rosters.assignment import Candidate

    team = [Candidate(f"O{i}", "n", "c", "X", "D", date(2020, 1, 1), date(2030, 1, 1)) for i in range(2)]
    site = [SiteTask("S1", 30.0, 121.0, 25)]
    notice_at = datetime(2026, 12, 24, 10, 0, tzinfo=SHANGHAI)  # Thu: Mon 28 to Thu 31 Dec remain
    offers = plan_offers(site, team, "X", "D", notice_at, CALENDAR, HOURS, NoticeRule(), 9, 60)
    assert [o.day for o in offers] == [date(2026, 12, 28), date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31)]
    with pytest.raises(YearWithoutCalendar, match="2027"):
        plan_offers(
            site, team, "X", "D", datetime(2026, 12, 30, 10, 0, tzinfo=SHANGHAI), CALENDAR, HOURS, NoticeRule(), 3, 60
        )
