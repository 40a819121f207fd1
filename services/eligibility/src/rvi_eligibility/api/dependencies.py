from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request

from rvi_eligibility.decisions.overrides import OverrideService
from rvi_eligibility.decisions.service import EligibilityService
from rvi_eligibility.decisions.tasks import TaskDecider
from rvi_eligibility.settings import EligibilitySettings
from rvi_shared.auth import Role, require_roles
from rvi_shared.service import DbSession, ServiceRuntime, runtime


@asynccontextmanager
async def transactional_service(request: Request) -> AsyncIterator[EligibilityService]:
    """For a handler that needs the transactional path only sometimes (see single_decisions.py)."""
    rt: ServiceRuntime = request.app.state.runtime
    assert isinstance(rt.settings, EligibilitySettings)
    async with rt.sessions() as session, session.begin():
        yield EligibilityService(session, rt.outbox, rt.clock, rt.settings)


async def eligibility_service(session: DbSession, rt: ServiceRuntime = Depends(runtime)) -> EligibilityService:
    assert isinstance(rt.settings, EligibilitySettings)
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
