"""The projection of `rvi.inspections` (DOMAIN 4(I)-(II)): what a session needs to know about its
task, and the session opened when the enterprise is ready, moved with its slot, or closed when the
inspection is cancelled or shifted on-site. Handlers own the transaction; nothing here commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from rvi_shared.clock import Clock
from rvi_shared.events import payloads as p
from rvi_video_gateway.models import InspectionView
from rvi_video_gateway.sessions.lifecycle import SessionAction, SessionState, TaskState, can, transition
from rvi_video_gateway.sessions.repository import GatewayRepository


class InspectionProjection:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.repo = GatewayRepository(session)
        self.clock = clock

    async def inspection(self, inspection_id: str) -> InspectionView | None:
        return await self.repo.inspection(inspection_id, for_update=True)

    async def on_requested(self, requested: p.InspectionRequested) -> None:
        inspection = await self.inspection(requested.inspection_id)
        if inspection is None:
            inspection = InspectionView(id=requested.inspection_id, state=TaskState.REQUESTED, team=[], onsite_items=[])
            self.repo.add(inspection)
        inspection.enterprise_id = requested.enterprise_id
        inspection.customs = requested.customs
        inspection.sites = [s.model_dump(mode="json") for s in requested.sites]
        inspection.checklist_items = [i.model_dump(mode="json") for i in requested.checklist_items]
        inspection.officers = [o.model_dump(mode="json") for o in requested.officers]
        inspection.updated_at = self.clock.now()
        await self.repo.session.flush()  # the next event of a consumer batch (scheduled ...) finds it

    async def on_scheduled(self, inspection: InspectionView, scheduled: p.InspectionScheduled) -> None:
        inspection.state = TaskState.SCHEDULED
        inspection.team = [o.model_dump(mode="json") for o in scheduled.team]
        inspection.onsite_items = scheduled.onsite_items
        await self._move_slot(inspection, scheduled.slot_start, scheduled.slot_end)

    async def on_rescheduled(self, inspection: InspectionView, rescheduled: p.InspectionRescheduled) -> None:
        inspection.state = TaskState.SCHEDULED
        await self._move_slot(inspection, rescheduled.slot_start, rescheduled.slot_end)

    async def _move_slot(self, inspection: InspectionView, slot_start: datetime, slot_end: datetime) -> None:
        inspection.slot_start, inspection.slot_end = slot_start, slot_end
        inspection.updated_at = self.clock.now()
        live = await self.repo.session_of(inspection.id, for_update=True)
        if live is not None and live.state == SessionState.OPEN:
            live.slot_start = slot_start

    async def on_ready(self, inspection: InspectionView, ready: p.InspectionReady) -> None:
        """GACC-RVI 4(II) done: the session opens. A repeated ready leaves the one session as it is."""
        inspection.state = TaskState.READY
        inspection.updated_at = self.clock.now()
        await self.repo.open_session(inspection, SessionState.OPEN, self.clock.now())

    async def on_cancelled(self, inspection: InspectionView, cancelled: p.InspectionCancelled) -> None:
        inspection.state = TaskState.CANCELLED
        await self._close(inspection, f"inspection cancelled: {cancelled.reason}")

    async def on_shifted_onsite(self, inspection: InspectionView, shifted: p.InspectionShiftedOnsite) -> None:
        if shifted.items:
            inspection.onsite_items = sorted({*inspection.onsite_items, *shifted.items})
            inspection.updated_at = self.clock.now()
            return
        inspection.state = TaskState.SHIFTED_ONSITE
        await self._close(inspection, f"shifted on-site: {shifted.reason}")

    async def _close(self, inspection: InspectionView, reason: str) -> None:
        inspection.updated_at = self.clock.now()
        live = await self.repo.session_of(inspection.id, for_update=True)
        if live is not None and can(live.state, SessionAction.CLOSE):
            live.state = transition(live.state, SessionAction.CLOSE)
            live.closed_at, live.closed_reason = self.clock.now(), reason
