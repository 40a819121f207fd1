from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_scheduling.calendar.models import CalendarAudit, CalendarOverride, CalendarYear
from rvi_scheduling.calendar.working import WorkingCalendar


class CalendarRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def load(self) -> WorkingCalendar:
        """The whole table: a few dozen rows a year at most."""
        overrides = (await self.session.execute(select(CalendarOverride.day, CalendarOverride.working))).all()
        years = (await self.session.execute(select(CalendarYear.year))).scalars().all()
        return WorkingCalendar({d: w for d, w in overrides}, frozenset(years))

    async def overrides(self) -> Sequence[CalendarOverride]:
        return (await self.session.execute(select(CalendarOverride).order_by(CalendarOverride.day))).scalars().all()

    async def override(self, day: date) -> CalendarOverride | None:
        return await self.session.get(CalendarOverride, day)

    async def remove_override(self, day: date) -> None:
        await self.session.execute(delete(CalendarOverride).where(CalendarOverride.day == day))

    async def year(self, year: int) -> CalendarYear | None:
        return await self.session.get(CalendarYear, year)

    async def years(self) -> Sequence[CalendarYear]:
        return (await self.session.execute(select(CalendarYear).order_by(CalendarYear.year))).scalars().all()

    def add(self, row: CalendarOverride | CalendarYear | CalendarAudit) -> None:
        self.session.add(row)

    async def audit(self) -> Sequence[CalendarAudit]:
        return (await self.session.execute(select(CalendarAudit).order_by(CalendarAudit.seq))).scalars().all()
