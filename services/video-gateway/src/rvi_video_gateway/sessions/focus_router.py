"""The current focus of a live session: set by a team officer, read (long-poll) by anyone who may
read the session, the enterprise's publishing screen first."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from rvi_shared.auth import Principal, Role, ensure_enterprise_access, require_roles
from rvi_shared.messaging.changes import announce
from rvi_shared.service import DbSession
from rvi_video_gateway.dependencies import GatewayRuntime, gateway_service
from rvi_video_gateway.sessions.access import team_officer
from rvi_video_gateway.sessions.focus import Focus, read_focus, set_focus
from rvi_video_gateway.sessions.lifecycle import SessionAction, SessionState, transition
from rvi_video_gateway.sessions.service import SessionService

focus_router = APIRouter(prefix="/v1/sessions", tags=["sessions"])
Readers = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.SYSTEM, Role.ENTERPRISE)
Officers = require_roles(Role.OFFICER, Role.SUPERVISOR)


class FocusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site_id: str = Field(min_length=1, max_length=64)
    item_id: str | None = Field(default=None, min_length=1, max_length=64)


class FocusOut(BaseModel):
    session_id: str
    state: str = Field(description="the session's state; once ended, escalated or closed the focus no longer moves")
    version: int = Field(description="0 before the first focus; grows by one at each change")
    site_id: str | None
    site_name: str | None
    item_id: str | None
    item_description: str | None
    set_by: str | None = Field(description="officer id")
    set_at: datetime | None


def focus_out(focus: Focus) -> FocusOut:
    return FocusOut(
        session_id=focus.session_id, state=focus.state, version=focus.version, site_id=focus.site_id,
        site_name=focus.site_name, item_id=focus.item_id, item_description=focus.item_description,
        set_by=focus.set_by, set_at=focus.set_at,
    )  # fmt: skip


@focus_router.put("/{session_id}/focus", status_code=204)
async def put_focus(
    session_id: str,
    body: FocusIn,
    service: Annotated[SessionService, Depends(gateway_service)],
    rt: GatewayRuntime,
    principal: Principal = Depends(Officers),
) -> None:
    """A team officer moves the session to a site (and checklist item): the enterprise's screen
    shows it. 409 unless the session is open or in progress; 422 naming `site_id` or `item_id`
    the inspection does not have."""
    live = await service.get(session_id, for_update=True)
    inspection = await service.inspection_of(live)
    officer = team_officer(principal, service.team(inspection))
    if live.state != SessionState.OPEN:
        transition(live.state, SessionAction.RECORD_STEP)
    await set_focus(
        service.session, live, inspection, body.site_id, body.item_id, str(officer["officer_id"]), service.clock.now()
    )
    # No event carries a focus: every instance's long-polls on the session hear of it this way.
    await announce(service.session, rt.settings.schema, str(live.session_id))


@focus_router.get("/{session_id}/focus", response_model=FocusOut)
async def get_focus(session_id: str, db: DbSession, principal: Principal = Depends(Readers)) -> FocusOut:
    """The focus now. Long-poll as on every GET (`rvi_shared.longpoll`): with `Prefer: wait=N` and
    `If-None-Match` set to the last `ETag`, answered as soon as an officer moves the focus through
    any instance (or the session changes state through this one), else 304 Not Modified after N s."""
    focus = await read_focus(db, session_id)
    ensure_enterprise_access(principal, focus.enterprise_id)
    return focus_out(focus)
