from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Response, status

from rvi_scheduling.dependencies import scheduling_service
from rvi_scheduling.lifecycle import State
from rvi_scheduling.models import Inspection
from rvi_scheduling.repository import InspectionRead
from rvi_scheduling.schemas import (
    Cancellation,
    InspectionCreate,
    InspectionOut,
    Readiness,
    Reschedule,
    SlotChoice,
    TimelineEntryOut,
)
from rvi_scheduling.service import SchedulingService
from rvi_shared.auth import Principal, Role, ensure_enterprise_access, require_roles
from rvi_shared.events.payloads import Officer, Site

router = APIRouter(prefix="/v1/inspections", tags=["inspections"])

Service = Annotated[SchedulingService, Depends(scheduling_service)]
Readers = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.SYSTEM, Role.OPERATOR, Role.ENTERPRISE)
Staff = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.SYSTEM)


def to_out(inspection: Inspection | InspectionRead, service: SchedulingService | None = None) -> InspectionOut:
    return InspectionOut(
        id=inspection.id,
        enterprise_id=inspection.enterprise_id,
        enterprise_name=inspection.enterprise_name,
        customs=inspection.customs,
        state=inspection.state,
        state_reason=inspection.state_reason,
        outcome=inspection.outcome,
        decision_id=inspection.decision_id,
        slot_start=inspection.slot_start,
        slot_end=inspection.slot_end,
        notice_sent_at=inspection.notice_sent_at,
        session_id=inspection.session_id,
        sites=[
            Site(site_id=s.site_id, name=s.name, latitude=s.latitude, longitude=s.longitude, address=s.address)
            for s in inspection.sites
        ],
        checklist_items=[
            {
                "item_id": i.item_id,
                "description": i.description,
                "category": i.category,
                "commodity_code": i.commodity_code,
                "method": i.method,
            }
            for i in inspection.items
        ],
        officers=[Officer.model_validate(o) for o in inspection.officers],
        onsite_items=inspection.onsite_items or [],
        documents=inspection.documents_issued or [],
        required_documents=inspection.required_documents or [],
        documents_submitted=sorted({u["kind"] for u in inspection.uploaded_documents or []}),
        equipment_test_passed_at=inspection.equipment_passed_at,
        notice_id=inspection.notice_id,
        no_shows=inspection.no_shows or 0,
        enterprise_reschedules=inspection.enterprise_reschedules or 0,
        day_plan=inspection.day_plan or [],
        offered_slots=[{k: v for k, v in o.items() if k != "team"} for o in inspection.offered_slots or []],
        readiness_missing=service.missing_for_readiness(inspection)
        if service is not None and inspection.state == State.SCHEDULED
        else [],
        created_at=inspection.created_at,
        updated_at=inspection.updated_at,
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=InspectionOut)
async def create_inspection(
    body: InspectionCreate,
    response: Response,
    service: Service,
    principal: Principal = Depends(require_roles(Role.SYSTEM)),
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> InspectionOut:
    """Create an inspection task and emit `rvi.inspection.requested.v1`. Honours `Idempotency-Key`."""
    inspection, created = await service.create(body, idempotency_key, principal.subject)
    if not created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"/v1/inspections/{quote(inspection.id, safe='')}"
    return to_out(inspection)


@router.get("/{inspection_id}", response_model=InspectionOut)
async def get_inspection(
    inspection_id: str, service: Service, principal: Principal = Depends(Readers)
) -> InspectionOut:
    inspection = await service.read(inspection_id)
    ensure_enterprise_access(principal, inspection.enterprise_id)
    return to_out(inspection, service)


@router.get("/{inspection_id}/timeline", response_model=list[TimelineEntryOut])
async def get_timeline(
    inspection_id: str, service: Service, principal: Principal = Depends(Readers)
) -> list[TimelineEntryOut]:
    """Every event of the inspection, in the order this service saw them."""
    inspection = await service.get(inspection_id)
    ensure_enterprise_access(principal, inspection.enterprise_id)
    return [
        TimelineEntryOut(seq=e.seq, event_id=e.event_id, type=e.event_type, source=e.source, time=e.time, data=e.data)
        for e in await service.repo.timeline(inspection_id)
    ]


@router.post("/{inspection_id}/readiness", response_model=InspectionOut)
async def confirm_readiness(
    inspection_id: str,
    body: Readiness,
    service: Service,
    principal: Principal = Depends(require_roles(Role.ENTERPRISE)),
) -> InspectionOut:
    """The enterprise confirms it is ready (GACC-RVI 4(II)); emits `rvi.inspection.ready.v1`."""
    inspection = await service.get(inspection_id, for_update=True)
    ensure_enterprise_access(principal, inspection.enterprise_id)
    return to_out(await service.confirm_ready(inspection, body))


@router.post("/{inspection_id}/cancel", response_model=InspectionOut)
async def cancel_inspection(
    inspection_id: str, body: Cancellation, service: Service, principal: Principal = Depends(Staff)
) -> InspectionOut:
    inspection = await service.get(inspection_id, for_update=True)
    return to_out(await service.cancel(inspection, body.reason))


@router.post("/{inspection_id}/reschedule", response_model=InspectionOut)
async def reschedule_inspection(
    inspection_id: str, body: Reschedule, service: Service, principal: Principal = Depends(Staff)
) -> InspectionOut:
    inspection = await service.get(inspection_id, for_update=True)
    return to_out(await service.reschedule(inspection, body))


@router.post("/{inspection_id}/slot-choice", response_model=InspectionOut)
async def choose_slot(
    inspection_id: str,
    body: SlotChoice,
    service: Service,
    principal: Principal = Depends(require_roles(Role.ENTERPRISE)),
) -> InspectionOut:
    """The enterprise picks one of the offered days (GACC-RVI 4(I)); 422 naming `offer_id` when it was
    not offered or no longer gives the notice the rule asks; 409 when no team is free for it any more."""
    inspection = await service.get(inspection_id, for_update=True)
    ensure_enterprise_access(principal, inspection.enterprise_id)
    return to_out(await service.choose_slot(inspection, body.offer_id), service)


@router.post("/{inspection_id}/reschedule-request", response_model=InspectionOut)
async def request_reschedule(
    inspection_id: str,
    body: Cancellation,
    service: Service,
    principal: Principal = Depends(require_roles(Role.ENTERPRISE)),
) -> InspectionOut:
    """The enterprise asks for another day with a reason (`max_enterprise_reschedules` times, 409
    beyond): a new day plan after the booked day, with notice again (GACC-RVI 4(I))."""
    inspection = await service.get(inspection_id, for_update=True)
    ensure_enterprise_access(principal, inspection.enterprise_id)
    return to_out(await service.request_reschedule(inspection, body.reason), service)
