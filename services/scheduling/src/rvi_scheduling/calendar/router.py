from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from rvi_scheduling.calendar.schemas import AuditOut, DayOut, OverrideIn, OverrideOut, YearIn, YearOut
from rvi_scheduling.calendar.service import CalendarService
from rvi_shared.auth import Principal, Role, require_roles
from rvi_shared.clock import Clock
from rvi_shared.service import DbSession, clock

router = APIRouter(prefix="/v1/calendar", tags=["calendar"])
Readers = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.SYSTEM, Role.OPERATOR, Role.ENTERPRISE)
Operators = require_roles(Role.OPERATOR)


async def calendar_service(session: DbSession, the_clock: Clock = Depends(clock)) -> CalendarService:
    return CalendarService(session, the_clock)


Service = Annotated[CalendarService, Depends(calendar_service)]


@router.get("/days", response_model=list[DayOut])
async def list_days(service: Service, start: date, end: date, principal: Principal = Depends(Readers)) -> list[DayOut]:
    """Working days and days off from `start` to `end` inclusive (DOMAIN 9). 409 naming the year
    when a year in the range has no official calendar; 422 for a reversed or over-long range."""
    return [DayOut(day=d.day, working=d.working, source=d.source, name=d.name) for d in await service.days(start, end)]


@router.get("/overrides", response_model=list[OverrideOut])
async def list_overrides(service: Service, principal: Principal = Depends(Readers)) -> list[OverrideOut]:
    return [OverrideOut.model_validate(o, from_attributes=True) for o in await service.repo.overrides()]


@router.put("/overrides/{day}", response_model=OverrideOut)
async def put_override(
    day: date, body: OverrideIn, service: Service, principal: Principal = Depends(Operators)
) -> OverrideOut:
    """Operator: mark `day` a working day or a day off, with the reason (audited)."""
    row = await service.set_override(day, body.working, body.reason, principal.subject)
    return OverrideOut.model_validate(row, from_attributes=True)


@router.delete("/overrides/{day}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_override(
    day: date,
    service: Service,
    reason: Annotated[str, Query(min_length=1, max_length=2000)],
    principal: Principal = Depends(Operators),
) -> None:
    await service.remove_override(day, reason, principal.subject)


@router.put("/years/{year}", response_model=YearOut)
async def put_year(
    year: Annotated[int, Path(ge=2000, le=2100)],
    body: YearIn,
    service: Service,
    principal: Principal = Depends(Operators),
) -> YearOut:
    """Operator: `year`'s notice is entered (its days off and make-up working days as overrides);
    until then dates in a year the library does not carry are refused (409)."""
    return YearOut.model_validate(
        await service.declare_year(year, body.notice, principal.subject), from_attributes=True
    )


@router.get("/years", response_model=list[YearOut])
async def list_years(service: Service, principal: Principal = Depends(Readers)) -> list[YearOut]:
    return [YearOut.model_validate(y, from_attributes=True) for y in await service.repo.years()]


@router.get("/audit", response_model=list[AuditOut])
async def list_audit(service: Service, principal: Principal = Depends(Operators)) -> list[AuditOut]:
    return [AuditOut.model_validate(a, from_attributes=True) for a in await service.repo.audit()]
