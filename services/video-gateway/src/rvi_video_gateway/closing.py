"""Ending a session or shifting it on-site, where the media plane and the evidence chain meet:
running clips close onto the chain first (what was seen is evidence), then the session's state
changes and its feeds are let go. Its own router so that `sessions/` does not depend on `media/`
(which depends on `sessions/`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from rvi_shared.auth import Principal, Role, require_roles
from rvi_video_gateway.dependencies import gateway_service, media_service
from rvi_video_gateway.media.service import MediaService
from rvi_video_gateway.sessions.router import to_out
from rvi_video_gateway.sessions.schemas import Escalation, SessionEnd, SessionOut
from rvi_video_gateway.sessions.service import SessionService

closing_router = APIRouter(prefix="/v1/sessions", tags=["sessions"])
Service = Annotated[SessionService, Depends(gateway_service)]
Media = Annotated[MediaService, Depends(media_service)]
Officers = require_roles(Role.OFFICER, Role.SUPERVISOR)


@closing_router.post("/{session_id}/escalate", response_model=SessionOut)
async def escalate_session(
    session_id: str, body: Escalation, service: Service, media: Media, principal: Principal = Depends(Officers)
) -> SessionOut:
    """Shift from remote to on-site (GACC-RVI 5); emits `rvi.session.escalated.v1`. Running
    recordings close onto the evidence chain first (what was seen before the shift is evidence)."""
    live = await service.get(session_id, for_update=True)
    await media.close_session_recordings(live, f"session escalated ({body.reason_code})")
    escalated = await service.escalate(live, principal, body)
    media.release_session(live)
    return to_out(escalated)


@closing_router.post("/{session_id}/end", response_model=SessionOut)
async def end_session(
    session_id: str, body: SessionEnd, service: Service, media: Media, principal: Principal = Depends(Officers)
) -> SessionOut:
    """Close running recordings onto the chain, seal the manifest (its digest, Ed25519) and end;
    emits `rvi.session.ended.v1`. The session's feeds and viewers are let go."""
    live = await service.get(session_id, for_update=True)
    await media.close_session_recordings(live, "session ended")
    ended = await service.end(live, principal, body)
    media.release_session(live)
    return to_out(ended)
