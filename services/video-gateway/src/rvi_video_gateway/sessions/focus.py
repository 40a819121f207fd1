"""The current focus of a live session: the site and checklist item the officers are on, shown on
the enterprise's publishing screen so the representative points the camera there (GACC-RVI 4(III)).

A change bumps `version`. Readers long-poll it like any GET (`Prefer: wait`, `If-None-Match`): a
change is announced to every instance's waiters when it commits (`rvi_shared.messaging.changes`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_shared.errors import NotFound, Unprocessable
from rvi_video_gateway.models import InspectionSession, InspectionView, SessionFocus


@dataclass(frozen=True)
class Focus:
    session_id: str
    enterprise_id: str
    state: str
    version: int
    site_id: str | None
    site_name: str | None
    item_id: str | None
    item_description: str | None
    set_by: str | None
    set_at: datetime | None


def session_key(session_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(session_id)
    except ValueError:
        raise NotFound(f"session {session_id!r} not found") from None


async def read_focus(db: AsyncSession, session_id: str) -> Focus:
    """The session's focus with the site's name and the item's description; 404 for no session."""
    key = session_key(session_id)
    row = (
        await db.execute(
            select(InspectionSession, InspectionView, SessionFocus)
            .join(InspectionView, InspectionView.id == InspectionSession.inspection_id)
            .outerjoin(SessionFocus, SessionFocus.session_id == InspectionSession.session_id)
            .where(InspectionSession.session_id == key)
        )
    ).first()
    if row is None:
        raise NotFound(f"session {session_id!r} not found")
    live, inspection, focus = row
    site = next((s for s in inspection.sites if focus and s["site_id"] == focus.site_id), None)
    item = next((i for i in inspection.checklist_items if focus and i["item_id"] == focus.item_id), None)
    return Focus(
        session_id=str(key),
        enterprise_id=live.enterprise_id,
        state=live.state,
        version=focus.version if focus else 0,
        site_id=focus.site_id if focus else None,
        site_name=site["name"] if site else None,
        item_id=focus.item_id if focus else None,
        item_description=item["description"] if item else None,
        set_by=focus.set_by if focus else None,
        set_at=focus.set_at if focus else None,
    )


async def set_focus(
    db: AsyncSession, live: InspectionSession, inspection: InspectionView, site_id: str, item_id: str | None,
    officer_id: str, now: datetime,
) -> None:  # fmt: skip
    """Moves the focus to `site_id` (and `item_id`); 422 naming the site or item the inspection
    does not have. The caller holds the session row's lock, so versions never collide."""
    if site_id not in {s["site_id"] for s in inspection.sites}:
        raise Unprocessable(f"site {site_id!r} is not a site of this inspection", field="site_id")
    if item_id is not None and item_id not in {i["item_id"] for i in inspection.checklist_items}:
        raise Unprocessable(f"item {item_id!r} is not a checklist item of this inspection", field="item_id")
    focus = await db.get(SessionFocus, live.session_id)
    if focus is None:
        focus = SessionFocus(session_id=live.session_id, version=0)
        db.add(focus)
    focus.site_id, focus.item_id = site_id, item_id
    focus.version += 1
    focus.set_by, focus.set_at = officer_id, now
