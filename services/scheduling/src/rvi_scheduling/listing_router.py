"""`GET /v1/inspections`: an office's inspections in a window (the officers' day and week)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from rvi_scheduling.dependencies import scheduling_service
from rvi_scheduling.inspections.listing import Cursor, office_inspections
from rvi_scheduling.lifecycle import State
from rvi_scheduling.router import to_out
from rvi_scheduling.schemas import InspectionOut
from rvi_scheduling.service import SchedulingService
from rvi_shared.auth import Principal, Role, require_roles
from rvi_shared.customs import CustomsOfficeName
from rvi_shared.datetimes import Rfc3339DateTime
from rvi_shared.errors import Unprocessable

router = APIRouter(prefix="/v1/inspections", tags=["inspections"])

MAX_WINDOW = timedelta(days=31)


class InspectionPage(BaseModel):
    items: list[InspectionOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last")


@router.get("", response_model=InspectionPage)
async def list_inspections(
    service: Annotated[SchedulingService, Depends(scheduling_service)],
    start: Annotated[Rfc3339DateTime, Query(alias="from", description="slots starting at or after")],
    end: Annotated[Rfc3339DateTime, Query(alias="to", description="slots starting before")],
    office: Annotated[CustomsOfficeName | None, Query(description="customs code, Chinese or English name")] = None,
    district: Annotated[
        CustomsOfficeName | None, Query(description="every office of this district (直属海关), instead of `office`")
    ] = None,
    state: Annotated[list[State] | None, Query(description="only these states (repeatable)")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    principal: Principal = Depends(require_roles(Role.OFFICER, Role.SUPERVISOR)),
) -> InspectionPage:
    """The inspections of an office (or of every office of a district) whose slot starts in [`from`,
    `to`) (at most 31 days), by slot start, with their day plans; a page of `limit` and
    `next_cursor`. Exactly one of `office` and `district`. 422 naming `from`, `to`, `office`,
    `district`, `state` or `cursor` when one is malformed; inspections without a booked slot are
    not listed."""
    if (office is None) == (district is None):
        raise Unprocessable("give exactly one of office and district", field="office")
    if end <= start:
        raise Unprocessable("to must be after from", field="to")
    if end - start > MAX_WINDOW:
        raise Unprocessable(f"the window is at most {MAX_WINDOW.days} days", field="to")
    after = Cursor.decode(cursor) if cursor else None
    rows, following = await office_inspections(
        service.session, office, district, start, end, [s.value for s in state or []], limit, after
    )
    return InspectionPage(items=[to_out(row) for row in rows], next_cursor=following.encode() if following else None)
