from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status
from pydantic import BaseModel, Field

from rvi_scheduling.dependencies import scheduling_service
from rvi_scheduling.rosters.models import OfficerAbsence, RosterOfficer
from rvi_scheduling.rosters.schemas import AbsenceIn, AbsenceOut, OfficerIn, OfficerOut
from rvi_scheduling.service import SchedulingService
from rvi_shared.auth import Principal, Role, require_roles
from rvi_shared.db import Row
from rvi_shared.errors import Conflict, NotFound
from rvi_shared.events.payloads import Officer

router = APIRouter(tags=["rosters"])
Personnel = require_roles(Role.SYSTEM)
Readers = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.SYSTEM, Role.OPERATOR)
Staff = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.SYSTEM)
Service = Annotated[SchedulingService, Depends(scheduling_service)]
OfficerId = Annotated[str, Path(min_length=1, max_length=64)]


def officer_out(row: RosterOfficer | Row) -> OfficerOut:
    return OfficerOut.model_validate(row, from_attributes=True)


def absence_out(row: OfficerAbsence, reassigned: list[str], unstaffed: list[str]) -> AbsenceOut:
    return AbsenceOut(
        absence_id=row.absence_id,
        officer_id=row.officer_id,
        kind=row.kind,  # type: ignore[arg-type]
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        note=row.note,
        reassigned=reassigned,
        unstaffed=unstaffed,
    )


@router.put("/v1/officers/{officer_id}", response_model=OfficerOut)
async def put_officer(
    officer_id: OfficerId, body: OfficerIn, service: Service, principal: Principal = Depends(Personnel)
) -> OfficerOut:
    """The customs personnel system registers or updates an officer (enforcement credential and
    its validity, customs office and district, languages). 409 when the credential number is
    another officer's."""
    return officer_out(await service.rosters.put_officer(officer_id, body))


@router.get("/v1/officers", response_model=list[OfficerOut])
async def list_officers(
    service: Service,
    principal: Principal = Depends(Readers),
    customs_office: Annotated[str | None, Query(max_length=64)] = None,
    district: Annotated[str | None, Query(max_length=64)] = None,
) -> list[OfficerOut]:
    return [officer_out(o) for o in await service.rosters.repo.listing(customs_office, district)]


@router.get("/v1/officers/{officer_id}", response_model=OfficerOut)
async def get_officer(officer_id: OfficerId, service: Service, principal: Principal = Depends(Readers)) -> OfficerOut:
    return officer_out(await service.rosters.officer(officer_id))


@router.post("/v1/officers/{officer_id}/absences", status_code=status.HTTP_201_CREATED, response_model=AbsenceOut)
async def add_absence(
    officer_id: OfficerId, body: AbsenceIn, service: Service, principal: Principal = Depends(Personnel)
) -> AbsenceOut:
    """Leave, training or another inspection: the officer drops out of every team booked in that
    time, each replaced by the assignment rules (`reassigned`), or left for rescheduling (`unstaffed`)."""
    absence = await service.rosters.add_absence(officer_id, body)
    reassigned, unstaffed = [], []
    for inspection_id in await service.rosters.repo.inspections_overlapping(officer_id, body.starts_at, body.ends_at):
        inspection = await service.get(inspection_id, for_update=True)
        try:
            await service.replace_officer(inspection, officer_id, f"{body.kind}: {body.note or 'absent'}")
            reassigned.append(inspection_id)
        except Conflict:
            unstaffed.append(inspection_id)
    return absence_out(absence, reassigned, unstaffed)


@router.get("/v1/officers/{officer_id}/absences", response_model=list[AbsenceOut])
async def list_absences(
    officer_id: OfficerId, service: Service, principal: Principal = Depends(Readers)
) -> list[AbsenceOut]:
    return [absence_out(a, [], []) for a in await service.rosters.repo.absences(officer_id)]


@router.delete("/v1/officers/{officer_id}/absences/{absence_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_absence(
    officer_id: OfficerId, absence_id: str, service: Service, principal: Principal = Depends(Personnel)
) -> None:
    if not await service.rosters.repo.remove_absence(officer_id, absence_id):
        raise NotFound(f"absence {absence_id!r} of officer {officer_id!r} not found")


class DropOut(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


@router.post("/v1/inspections/{inspection_id}/team/{officer_id}/replace")
async def replace_officer(
    inspection_id: str, officer_id: OfficerId, body: DropOut, service: Service, principal: Principal = Depends(Staff)
) -> dict[str, object]:
    """An officer drops out of the team: a replacement by the same rules (fewest inspections in the
    period, credentials valid on the day, free then). 409 when nobody can replace them."""
    inspection = await service.get(inspection_id, for_update=True)
    await service.replace_officer(inspection, officer_id, body.reason)
    return {"inspection_id": inspection.id, "officers": inspection.officers}


class TeamIn(BaseModel):
    officers: list[Officer] = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=2000)


@router.put("/v1/inspections/{inspection_id}/team")
async def name_team(
    inspection_id: str, body: TeamIn, service: Service, principal: Principal = Depends(Staff)
) -> dict[str, object]:
    """Name the team for the booked slot; 422 naming the failing officer and rule (team_size, roster,
    office, active, credential, double_booking) when the assignment rules are not met."""
    inspection = await service.get(inspection_id, for_update=True)
    await service.set_team(inspection, body.officers, body.reason)
    return {"inspection_id": inspection.id, "officers": inspection.officers}
