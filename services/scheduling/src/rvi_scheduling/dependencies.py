from __future__ import annotations

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_scheduling.service import SchedulingService
from rvi_scheduling.settings import SchedulingSettings
from rvi_shared.service import ServiceRuntime, db_session, runtime


def scheduling_service(
    session: AsyncSession = Depends(db_session), rt: ServiceRuntime = Depends(runtime)
) -> SchedulingService:
    assert isinstance(rt.settings, SchedulingSettings)
    return SchedulingService(session, rt.outbox, rt.clock, rt.settings)
