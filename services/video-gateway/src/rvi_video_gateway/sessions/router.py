from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Depends

from rvi_shared.auth import Principal, Role, ensure_enterprise_access, require_roles
from rvi_video_gateway.dependencies import gateway_service
from rvi_video_gateway.models import InspectionSession
from rvi_video_gateway.sessions.evidence import verify_chain
from rvi_video_gateway.sessions.schemas import (
    AuditEntryOut,
    BrokenLinkOut,
    EvidenceVerification,
    ItemResultIn,
    ItemResultOut,
    LocationRecorded,
    LocationReport,
    ManifestOut,
    ResultsOut,
    SessionOut,
    SignedManifestOut,
    SiteResultOut,
    StepCreate,
    StepRecorded,
    Verification,
    entry_out,
)
from rvi_video_gateway.sessions.service import SessionService
from rvi_video_gateway.sessions.verification import BrokenLink

inspections_router = APIRouter(prefix="/v1/inspections", tags=["sessions"])
sessions_router = APIRouter(prefix="/v1/sessions", tags=["sessions"])

Service = Annotated[SessionService, Depends(gateway_service)]
Readers = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.SYSTEM, Role.ENTERPRISE)
Officers = require_roles(Role.OFFICER, Role.SUPERVISOR)
Enterprise = require_roles(Role.ENTERPRISE)


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
        instance_id=live.instance_id,
    )


def broken_out(broken: BrokenLink) -> BrokenLinkOut:
    return BrokenLinkOut(seq=broken.seq, check=broken.check, detail=broken.detail)


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
    link = await service.record_step(session_id, principal, body)
    return StepRecorded(session_id=session_id, **entry_out(link).model_dump())


@sessions_router.post("/{session_id}/location", status_code=201, response_model=LocationRecorded)
async def verify_location(
    session_id: str, body: LocationReport, service: Service, principal: Principal = Depends(Enterprise)
) -> LocationRecorded:
    """The enterprise's device reports its position; pass when within `location_radius_m` plus the
    reported accuracy (capped) of the registered site (GACC-RVI 4(III)). Recorded on the evidence
    chain as `location_verified`, pass or fail; emits `rvi.session.step_recorded.v1`."""
    live = await service.get(session_id, for_update=True)
    ensure_enterprise_access(principal, live.enterprise_id)
    link, check = await service.verify_location(live, principal, body)
    return LocationRecorded(
        session_id=session_id,
        **entry_out(link).model_dump(),
        passed=check.passed,
        distance_m=round(check.distance_m, 1),
        limit_m=check.limit_m,
    )


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


@sessions_router.get("/{session_id}/evidence", response_model=SignedManifestOut)
async def get_evidence(session_id: str, service: Service, principal: Principal = Depends(Readers)) -> SignedManifestOut:
    """The manifest signed at session end (Ed25519), for offline verification with
    `python -m rvi_video_gateway.verify`. 409 before the end."""
    live = await service.get(session_id)
    ensure_enterprise_access(principal, live.enterprise_id)
    sealed = await service.evidence(live)
    return SignedManifestOut(
        document=sealed.document,
        signature=base64.b64encode(sealed.signature).decode("ascii"),
        public_key=base64.b64encode(sealed.public_key).decode("ascii"),
    )


@sessions_router.get("/{session_id}/evidence/verify", response_model=EvidenceVerification)
async def verify_evidence(
    session_id: str, service: Service, principal: Principal = Depends(Readers)
) -> EvidenceVerification:
    """The offline verification run here: signature, every entry hash and back link, the digest,
    and the SHA-256 of each file found in the session's evidence folder."""
    live = await service.get(session_id)
    ensure_enterprise_access(principal, live.enterprise_id)
    report = await service.verify_evidence(live)
    return EvidenceVerification(
        ok=report.ok,
        first_broken=broken_out(report.first_broken) if report.first_broken else None,
        problems=[broken_out(b) for b in report.problems],
        entries_checked=report.entries_checked,
        files_checked=report.files_checked,
        key_id=report.key_id,
    )


@sessions_router.put("/{session_id}/results/{site_id}/{item_id}", response_model=ItemResultOut)
async def record_result(
    session_id: str,
    site_id: str,
    item_id: str,
    body: ItemResultIn,
    service: Service,
    principal: Principal = Depends(Officers),
) -> ItemResultOut:
    """DOMAIN 8: the result of a checklist item at a site (conforming, non-conforming with a finding,
    or not verifiable remotely), with the manifest steps that support it. 409 until the site's
    location is verified; 422 when the evidence the item needs (clip, still) is not given."""
    live = await service.get(session_id, for_update=True)
    row = await service.record_result(live, principal, site_id, item_id, body)
    return ItemResultOut(
        item_id=row.item_id,
        result=row.result,
        finding=row.finding,
        evidence=list(row.evidence),
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
    )


@sessions_router.get("/{session_id}/results", response_model=ResultsOut)
async def get_results(session_id: str, service: Service, principal: Principal = Depends(Readers)) -> ResultsOut:
    """Per site: its location check and the item results; what `rvi.session.ended.v1` carries."""
    live = await service.get(session_id)
    ensure_enterprise_access(principal, live.enterprise_id)
    sites = await service.results(live)
    return ResultsOut(
        session_id=session_id,
        sites=[SiteResultOut.model_validate(site.model_dump()) for site in sites],
        onsite_required=[
            {"site_id": site.site_id, "item_id": item.item_id}
            for site in sites
            for item in site.items
            if item.result == "not_verifiable_remotely"
        ],
    )


@sessions_router.get("/{session_id}/audit", response_model=list[AuditEntryOut])
async def get_audit_trail(
    session_id: str, service: Service, principal: Principal = Depends(Readers)
) -> list[AuditEntryOut]:
    """Who joined and left the session's media (officers, the representative) and results recorded, in order."""
    live = await service.get(session_id)
    ensure_enterprise_access(principal, live.enterprise_id)
    return [
        AuditEntryOut(at=e.at, action=e.action, actor=e.actor, detail=e.detail) for e in await service.audit_trail(live)
    ]
