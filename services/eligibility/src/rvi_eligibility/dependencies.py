from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_eligibility.auth import require_roles
from rvi_eligibility.overrides import OverrideService
from rvi_eligibility.service import EligibilityService
from rvi_eligibility.settings import EligibilitySettings
from rvi_eligibility.tasks import TaskDecider
from rvi_shared.auth import Role
from rvi_shared.service import ServiceRuntime, runtime

# The shared engine keeps 10 pooled connections and opens (and closes) one per checkout beyond
# them; under load that churn, not the queries, limits throughput. The outbox relay and the
# consumer use the other two.
DB_CONCURRENCY = 8


def _db_slots(app: FastAPI) -> asyncio.Semaphore:
    slots: asyncio.Semaphore | None = getattr(app.state, "eligibility_db_slots", None)
    if slots is None:
        slots = app.state.eligibility_db_slots = asyncio.Semaphore(DB_CONCURRENCY)
    return slots


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session and one transaction per request, committed when the handler returns (as the
    shared DbSession), holding one of DB_CONCURRENCY slots meanwhile."""
    rt: ServiceRuntime = request.app.state.runtime
    async with _db_slots(request.app), rt.sessions() as session, session.begin():
        yield session


DbSession = Annotated[AsyncSession, Depends(db_session, scope="function")]


@asynccontextmanager
async def transactional_service(request: Request) -> AsyncIterator[EligibilityService]:
    """For a handler that needs the transactional path only sometimes (see adhoc.py)."""
    rt: ServiceRuntime = request.app.state.runtime
    assert isinstance(rt.settings, EligibilitySettings)
    async with _db_slots(request.app), rt.sessions() as session, session.begin():
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
