from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from rvi_eligibility.decisions.overrides import OverrideService
from rvi_eligibility.decisions.service import EligibilityService
from rvi_eligibility.decisions.tasks import TaskDecider
from rvi_eligibility.settings import EligibilitySettings
from rvi_shared.auth import Role, require_roles
from rvi_shared.service import DbSession, ServiceRuntime, runtime_of

EligibilityRuntime = Annotated[ServiceRuntime[EligibilitySettings], Depends(runtime_of(EligibilitySettings))]


async def eligibility_service(session: DbSession, rt: EligibilityRuntime) -> EligibilityService:
    return EligibilityService(session, rt.outbox, rt.clock, rt.settings)


Service = Annotated[EligibilityService, Depends(eligibility_service)]


async def task_decider(service: Service) -> TaskDecider:
    return TaskDecider(service)


async def override_service(service: Service) -> OverrideService:
    return OverrideService(service)


Tasks = Annotated[TaskDecider, Depends(task_decider)]
Overrides = Annotated[OverrideService, Depends(override_service)]

Staff = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.SYSTEM)
Officers = require_roles(Role.OFFICER, Role.SUPERVISOR)
Supervisors = require_roles(Role.SUPERVISOR)
Systems = require_roles(Role.SYSTEM)
Readers = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.SYSTEM, Role.ENTERPRISE)
Anyone = require_roles(*Role)
