from __future__ import annotations

from fastapi import Depends

from rvi_eligibility.service import EligibilityService
from rvi_eligibility.settings import EligibilitySettings
from rvi_shared.service import DbSession, ServiceRuntime, runtime


async def eligibility_service(session: DbSession, rt: ServiceRuntime = Depends(runtime)) -> EligibilityService:
    assert isinstance(rt.settings, EligibilitySettings)
    return EligibilityService(session, rt.outbox, rt.clock, rt.settings)
