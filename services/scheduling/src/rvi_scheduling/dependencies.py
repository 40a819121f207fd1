from __future__ import annotations

from fastapi import Depends

from rvi_scheduling.service import SchedulingService
from rvi_scheduling.settings import SchedulingSettings
from rvi_shared.service import DbSession, ServiceRuntime, runtime


async def scheduling_service(session: DbSession, rt: ServiceRuntime = Depends(runtime)) -> SchedulingService:
    assert isinstance(rt.settings, SchedulingSettings)
    return SchedulingService(session, rt.outbox, rt.clock, rt.settings)
