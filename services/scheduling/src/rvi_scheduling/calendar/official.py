"""Working days per the State Council's annual holiday notices, from the `holidays` library
(DOMAIN 9): its China calendar carries each year's days off and make-up working days on
weekends. A year whose notice the library does not carry is refused, never guessed."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays
from holidays.countries.china import ChinaStaticHolidays

from rvi_shared.errors import Conflict

# The library checks its China data against the official notices from 2001 on; a year is
# official there when its notice's moved days (make-up working days, days off) are entered.
FIRST_CHECKED_YEAR = 2001


class YearWithoutCalendar(Conflict):
    """409: no official working calendar for `year` (DOMAIN 9: refuse, never guess)."""

    def __init__(self, year: int, field: str = "date") -> None:
        super().__init__(
            f"no official working calendar for {year}: the State Council's holiday notice for {year} "
            "is not in the calendar data; an operator enters it (PUT /v1/calendar/years/{year})",
            year=year,
            field=field,
        )


@lru_cache(maxsize=1)
def official_years() -> frozenset[int]:
    """Years whose State Council notice the installed `holidays` release carries."""
    return frozenset(y for y in ChinaStaticHolidays.special_public_holidays if y >= FIRST_CHECKED_YEAR)


@lru_cache(maxsize=64)
def _china(year: int) -> holidays.HolidayBase:
    return holidays.China(years=year)


@lru_cache(maxsize=4096)
def official_is_working_day(day: date) -> bool:
    """Working day per the notice of `day.year`; raises YearWithoutCalendar outside the data."""
    if day.year not in official_years():
        raise YearWithoutCalendar(day.year)
    return bool(_china(day.year).is_working_day(day))


def official_day_name(day: date) -> str | None:
    """The holiday's name, "make-up working day" for a worked weekend day, else None."""
    if day.year not in official_years():
        raise YearWithoutCalendar(day.year)
    china = _china(day.year)
    if day in china.weekend_workdays:
        return "make-up working day"
    return china.get(day)
