from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_eligibility.decisions.overrides import OverrideService
from rvi_eligibility.decisions.service import EligibilityService
from rvi_eligibility.decisions.tasks import TaskDecider
from rvi_eligibility.settings import EligibilitySettings
from rvi_shared.auth import Role, require_roles
from rvi_shared.service import DbSession, ServiceRuntime


def _service(session: AsyncSession, rt: ServiceRuntime[EligibilitySettings]) -> EligibilityService:
    return EligibilityService(session, rt.outbox, rt.clock, rt.settings)


# Each built from the session and the runtime directly: every level of dependencies costs
# FastAPI's resolution on every request.
async def eligibility_service(session: DbSession, request: Request) -> EligibilityService:
    return _service(session, request.app.state.runtime)


async def task_decider(session: DbSession, request: Request) -> TaskDecider:
    return TaskDecider(_service(session, request.app.state.runtime))


async def override_service(session: DbSession, request: Request) -> OverrideService:
    return OverrideService(_service(session, request.app.state.runtime))


Service = Annotated[EligibilityService, Depends(eligibility_service)]


Tasks = Annotated[TaskDecider, Depends(task_decider)]
Overrides = Annotated[OverrideService, Depends(override_service)]

Staff = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.SYSTEM)
Officers = require_roles(Role.OFFICER, Role.SUPERVISOR)
Supervisors = require_roles(Role.SUPERVISOR)
Systems = require_roles(Role.SYSTEM)
Readers = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.SYSTEM, Role.ENTERPRISE)
Anyone = require_roles(*Role)
