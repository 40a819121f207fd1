"""The current focus of a live session: set by a team officer, read (long-poll) by anyone who may
read the session, the enterprise's publishing screen first."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from rvi_shared.auth import Principal, Role, ensure_enterprise_access, require_roles
from rvi_shared.db import transaction
from rvi_shared.errors import NotFound
from rvi_shared.service import ServiceRuntime, runtime
from rvi_video_gateway.dependencies import gateway_service
from rvi_video_gateway.sessions.access import team_officer
from rvi_video_gateway.sessions.focus import POLL_S, Focus, FocusSignals, read_focus, session_key, set_focus
from rvi_video_gateway.sessions.lifecycle import SessionAction, transition
from rvi_video_gateway.sessions.service import SessionService

focus_router = APIRouter(prefix="/v1/sessions", tags=["sessions"])
Readers = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.SYSTEM, Role.ENTERPRISE)
Officers = require_roles(Role.OFFICER, Role.SUPERVISOR)
SETTLED = frozenset({"ended", "escalated", "closed"})


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


def signals(request: Request) -> FocusSignals:
    state = request.app.state
    if not hasattr(state, "focus_signals"):
        state.focus_signals = FocusSignals()
    return state.focus_signals


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
    background: BackgroundTasks,
    service: Annotated[SessionService, Depends(gateway_service)],
    the_signals: Annotated[FocusSignals, Depends(signals)],
    principal: Principal = Depends(Officers),
) -> None:
    """A team officer moves the session to a site (and checklist item): the enterprise's screen
    shows it. 409 unless the session is open or in progress; 422 naming `site_id` or `item_id`
    the inspection does not have."""
    live = await service.get(session_id, for_update=True)
    inspection = await service.inspection_of(live)
    officer = team_officer(principal, service.team(inspection))
    if live.state != "open":
        transition(live.state, SessionAction.RECORD_STEP)
    await set_focus(
        service.session, live, inspection, body.site_id, body.item_id, str(officer["officer_id"]), service.clock.now()
    )
    background.add_task(the_signals.changed, str(live.session_id))  # after the commit: waiters then read the new row


@focus_router.get("/{session_id}/focus", response_model=FocusOut)
async def get_focus(
    session_id: str,
    the_signals: Annotated[FocusSignals, Depends(signals)],
    rt: Annotated[ServiceRuntime, Depends(runtime)],
    after: Annotated[int, Query(ge=0, description="the version last seen; answer once a later one is set")] = 0,
    wait: Annotated[float, Query(ge=0, le=30, description="seconds to wait for a version after `after`")] = 0,
    principal: Principal = Depends(Readers),
) -> FocusOut:
    """The focus now, or (long-poll) as soon as its version passes `after`, at most `wait` seconds
    later (then the unchanged focus). No database connection is held while waiting."""
    key = str(session_key(session_id))  # one waiter list per session, however its id is spelled
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        event = the_signals.waiter(key)
        try:
            async with transaction(rt.sessions) as db:
                focus = await read_focus(db, key)
        except NotFound:
            the_signals.forget(key)
            raise
        ensure_enterprise_access(principal, focus.enterprise_id)
        remaining = deadline - loop.time()
        if focus.version > after or focus.state in SETTLED or remaining <= 0:
            return focus_out(focus)
        try:
            await asyncio.wait_for(event.wait(), timeout=min(POLL_S, remaining))
        except TimeoutError:
            pass
