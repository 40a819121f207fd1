"""Office hours per customs district and the notice rule (GACC-RVI 4(I))."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from rvi_scheduling.calendar.working import WorkingCalendar

NoticeUnit = Literal["calendar", "working"]


@dataclass(frozen=True)
class OfficeHours:
    """The district's office day in its own time zone (IANA name, default Asia/Shanghai)."""

    timezone: str = "Asia/Shanghai"
    opens: time = time(9, 0)
    closes: time = time(17, 30)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def day_window(self, day: date) -> tuple[datetime, datetime]:
        zone = self.zone
        return datetime.combine(day, self.opens, zone), datetime.combine(day, self.closes, zone)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()


@dataclass(frozen=True)
class NoticeRule:
    """GACC-RVI 4(I): notice at least `days` ahead. `calendar`: at least `days` x 24 h between
    the notice and the slot's start; `working`: the slot falls on or after the `days`-th working
    day after the day of notice (in the district's time zone)."""

    days: int = 3
    unit: NoticeUnit = "calendar"

    def earliest_day(self, notice_at: datetime, calendar: WorkingCalendar, hours: OfficeHours) -> date:
        if self.unit == "working":
            return calendar.add_working_days(hours.local_date(notice_at), self.days)
        return hours.local_date(notice_at + timedelta(days=self.days))

    def satisfied(
        self, notice_at: datetime, slot_start: datetime, calendar: WorkingCalendar, hours: OfficeHours
    ) -> bool:
        if self.unit == "working":
            return hours.local_date(slot_start) >= self.earliest_day(notice_at, calendar, hours)
        return slot_start - notice_at >= timedelta(days=self.days)

    def describe(self) -> str:
        return f"at least {self.days} {self.unit} days' notice (GACC-RVI 4(I))"


def candidate_starts(
    notice_at: datetime,
    duration: timedelta,
    calendar: WorkingCalendar,
    hours: OfficeHours,
    rule: NoticeRule,
    step: timedelta = timedelta(minutes=30),
    horizon_days: int = 60,
) -> Iterator[datetime]:
    """Slot starts in time order: on working days, the whole slot within office hours, meeting
    the notice rule. Raises YearWithoutCalendar when the search reaches a year without data."""
    day = rule.earliest_day(notice_at, calendar, hours)
    last = day + timedelta(days=horizon_days)
    while day <= last:
        if calendar.is_working_day(day):
            opens, closes = hours.day_window(day)
            start = opens
            while start + duration <= closes:
                if rule.satisfied(notice_at, start, calendar, hours):
                    yield start
                start += step
        day += timedelta(days=1)
