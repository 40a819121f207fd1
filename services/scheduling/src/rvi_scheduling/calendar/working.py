"""The working calendar in force: the official notices plus operators' overrides (DOMAIN 9)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from rvi_scheduling.calendar.official import (
    YearWithoutCalendar,
    official_day_name,
    official_is_working_day,
    official_years,
)


@dataclass(frozen=True)
class DayStatus:
    day: date
    working: bool
    source: str  # official | override
    name: str | None = None


@dataclass
class WorkingCalendar:
    """`overrides` maps a date to working (True) or day off (False); `declared_years` are years
    an operator entered from a notice the library does not carry yet (their days come from
    overrides on top of weekends). Any other year outside the library raises YearWithoutCalendar."""

    overrides: Mapping[date, bool] = field(default_factory=dict)
    declared_years: frozenset[int] = frozenset()

    def has_year(self, year: int) -> bool:
        return year in official_years() or year in self.declared_years

    def require_year(self, year: int, field_name: str = "date") -> None:
        if not self.has_year(year):
            raise YearWithoutCalendar(year, field_name)

    def is_working_day(self, day: date) -> bool:
        """Raises YearWithoutCalendar (409 naming the year) for a year without data."""
        self.require_year(day.year)
        if day in self.overrides:
            return self.overrides[day]
        if day.year in official_years():
            return official_is_working_day(day)
        return day.weekday() < 5

    def status(self, day: date) -> DayStatus:
        working = self.is_working_day(day)
        if day in self.overrides:
            return DayStatus(day, working, "override")
        name = official_day_name(day) if day.year in official_years() else None
        return DayStatus(day, working, "official", name)

    def days(self, start: date, end: date) -> Iterator[date]:
        day = start
        while day <= end:
            yield day
            day += timedelta(days=1)

    def working_days(self, start: date, end: date) -> list[date]:
        return [d for d in self.days(start, end) if self.is_working_day(d)]

    def next_working_day(self, after: date) -> date:
        """The first working day strictly after `after`."""
        day = after + timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, start: date, count: int) -> date:
        """The `count`-th working day after `start` (`start` itself not counted)."""
        day = start
        for _ in range(count):
            day = self.next_working_day(day)
        return day

    def years(self, days: Iterable[date]) -> set[int]:
        return {d.year for d in days}
