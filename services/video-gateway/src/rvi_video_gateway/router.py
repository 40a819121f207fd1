from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from rvi_shared.auth import Principal, Role, ensure_enterprise_access, require_roles
from rvi_video_gateway.dependencies import gateway_service
from rvi_video_gateway.evidence import verify_chain
from rvi_video_gateway.models import InspectionSession, ManifestEntry
from rvi_video_gateway.schemas import (
    Escalation,
    ManifestEntryOut,
    ManifestOut,
    SessionEnd,
    SessionOut,
    StepCreate,
    StepRecorded,
    Verification,
)
from rvi_video_gateway.service import GatewayService

inspections_router = APIRouter(prefix="/v1/inspections", tags=["sessions"])
sessions_router = APIRouter(prefix="/v1/sessions", tags=["sessions"])

Service = Annotated[GatewayService, Depends(gateway_service)]
Readers = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.SYSTEM, Role.ENTERPRISE)
Officers = require_roles(Role.OFFICER, Role.SUPERVISOR)


def to_out(live: InspectionSession) -> SessionOut:
    return SessionOut(
        session_id=str(live.session_id),
        inspection_id=live.inspection_id,
        enterprise_id=live.enterprise_id,
        state=live.state,
        slot_start=live.slot_start,
        opened_at=live.opened_at,
        started_at=live.started_at,
        ended_at=live.ended_at,
        conclusion=live.conclusion,
        manifest_digest=live.manifest_digest,
        escalation_code=live.escalation_code,
        escalation_reason=live.escalation_reason,
        falsification_confirmed=live.falsification_confirmed,
        closed_at=live.closed_at,
        closed_reason=live.closed_reason,
    )


def entry_out(link: ManifestEntry) -> ManifestEntryOut:
    return ManifestEntryOut(seq=link.seq, prev_hash=link.prev_hash, entry=link.entry, entry_hash=link.entry_hash)


@inspections_router.get("/{inspection_id}/session", response_model=SessionOut)
async def get_inspection_session(
    inspection_id: str, service: Service, principal: Principal = Depends(Readers)
) -> SessionOut:
    live = await service.get_for_inspection(inspection_id)
    ensure_enterprise_access(principal, live.enterprise_id)
    return to_out(live)


@sessions_router.get("/{session_id}", response_model=SessionOut)
async def get_session(session_id: str, service: Service, principal: Principal = Depends(Readers)) -> SessionOut:
    live = await service.get(session_id)
    ensure_enterprise_access(principal, live.enterprise_id)
    return to_out(live)


@sessions_router.post("/{session_id}/start", response_model=SessionOut)
async def start_session(session_id: str, service: Service, principal: Principal = Depends(Officers)) -> SessionOut:
    """A team officer starts the session from one hour before the slot; emits `rvi.session.started.v1`."""
    live = await service.get(session_id, for_update=True)
    return to_out(await service.start(live, principal))


@sessions_router.post("/{session_id}/steps", status_code=201, response_model=StepRecorded)
async def record_step(
    session_id: str, body: StepCreate, service: Service, principal: Principal = Depends(Officers)
) -> StepRecorded:
    """Append a key step to the evidence chain (GACC-RVI 4(III)); emits `rvi.session.step_recorded.v1`.
    The session row stays locked until commit, so concurrent steps line up instead of forking the chain."""
    live = await service.get(session_id, for_update=True)
    link = await service.record_step(live, principal, body)
    return StepRecorded(session_id=session_id, **entry_out(link).model_dump())


@sessions_router.post("/{session_id}/escalate", response_model=SessionOut)
async def escalate_session(
    session_id: str, body: Escalation, service: Service, principal: Principal = Depends(Officers)
) -> SessionOut:
    """Shift from remote to on-site (GACC-RVI 5); emits `rvi.session.escalated.v1`."""
    live = await service.get(session_id, for_update=True)
    return to_out(await service.escalate(live, principal, body))


@sessions_router.post("/{session_id}/end", response_model=SessionOut)
async def end_session(
    session_id: str, body: SessionEnd, service: Service, principal: Principal = Depends(Officers)
) -> SessionOut:
    """Seal the manifest (its digest) and end; emits `rvi.session.ended.v1`."""
    live = await service.get(session_id, for_update=True)
    return to_out(await service.end(live, principal, body))


@sessions_router.get("/{session_id}/manifest", response_model=ManifestOut)
async def get_manifest(session_id: str, service: Service, principal: Principal = Depends(Readers)) -> ManifestOut:
    live = await service.get(session_id)
    ensure_enterprise_access(principal, live.enterprise_id)
    entries = await service.entries(live)
    ok, first_broken_seq = verify_chain(entries)
    return ManifestOut(
        session_id=str(live.session_id),
        inspection_id=live.inspection_id,
        state=live.state,
        manifest_digest=live.manifest_digest,
        entries=[entry_out(e) for e in entries],
        verification=Verification(ok=ok, first_broken_seq=first_broken_seq),
    )
