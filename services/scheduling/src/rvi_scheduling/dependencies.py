from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from rvi_scheduling.service import SchedulingService
from rvi_scheduling.settings import SchedulingSettings
from rvi_shared.service import DbSession, ServiceRuntime, runtime_of

SchedulingRuntime = Annotated[ServiceRuntime[SchedulingSettings], Depends(runtime_of(SchedulingSettings))]


async def scheduling_service(session: DbSession, rt: SchedulingRuntime) -> SchedulingService:
    return SchedulingService(session, rt.outbox, rt.clock, rt.settings)
