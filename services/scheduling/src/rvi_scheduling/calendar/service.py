"""Operators keep the calendar: day overrides and years entered from a notice, each audited."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from rvi_scheduling.calendar.models import CalendarAudit, CalendarOverride, CalendarYear
from rvi_scheduling.calendar.repository import CalendarRepository
from rvi_scheduling.calendar.working import DayStatus, WorkingCalendar
from rvi_shared.clock import Clock
from rvi_shared.errors import NotFound, Unprocessable

MAX_RANGE_DAYS = 400


class CalendarService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.repo = CalendarRepository(session)
        self.clock = clock

    async def calendar(self) -> WorkingCalendar:
        return await self.repo.load()

    async def days(self, start: date, end: date) -> list[DayStatus]:
        if end < start:
            raise Unprocessable("end is before start", field="end")
        if (end - start).days > MAX_RANGE_DAYS:
            raise Unprocessable(f"at most {MAX_RANGE_DAYS} days per request", field="end")
        calendar = await self.repo.load()
        for year in range(start.year, end.year + 1):
            calendar.require_year(year, "start" if year == start.year else "end")
        return [calendar.status(d) for d in calendar.days(start, end)]

    async def set_override(self, day: date, working: bool, reason: str, actor: str) -> CalendarOverride:
        calendar = await self.repo.load()
        calendar.require_year(day.year, "day")
        now = self.clock.now()
        row = await self.repo.override(day)
        if row is None:
            row = CalendarOverride(day=day, working=working, reason=reason, updated_by=actor, updated_at=now)
            self.repo.add(row)
        else:
            row.working, row.reason, row.updated_by, row.updated_at = working, reason, actor, now
        self.repo.add(CalendarAudit(at=now, actor=actor, action="override", day=day, working=working, reason=reason))
        return row

    async def remove_override(self, day: date, reason: str, actor: str) -> None:
        if await self.repo.override(day) is None:
            raise NotFound(f"no override for {day.isoformat()}")
        await self.repo.remove_override(day)
        self.repo.add(CalendarAudit(at=self.clock.now(), actor=actor, action="remove_override", day=day, reason=reason))

    async def declare_year(self, year: int, notice: str, actor: str) -> CalendarYear:
        """The operator entered `year`'s notice: its holidays and make-up working days as overrides."""
        now = self.clock.now()
        row = await self.repo.year(year)
        if row is None:
            row = CalendarYear(year=year, notice=notice, declared_by=actor, declared_at=now)
            self.repo.add(row)
        else:
            row.notice, row.declared_by, row.declared_at = notice, actor, now
        self.repo.add(CalendarAudit(at=now, actor=actor, action="declare_year", year=year, reason=notice))
        return row
