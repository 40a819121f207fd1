"""What every part of the scheduling service shares: its session, repositories, outbox and clock."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_scheduling.calendar.districts import office_hours
from rvi_scheduling.calendar.repository import CalendarRepository
from rvi_scheduling.lifecycle import Action, transition
from rvi_scheduling.models import Inspection
from rvi_scheduling.notifications.service import Notifier
from rvi_scheduling.plans.planner import SolverLimits
from rvi_scheduling.plans.solver import SiteTask
from rvi_scheduling.repository import InspectionRead, InspectionRepository
from rvi_scheduling.rosters.service import RosterService
from rvi_scheduling.settings import SchedulingSettings
from rvi_shared.clock import Clock
from rvi_shared.errors import NotFound
from rvi_shared.events.envelope import CloudEvent
from rvi_shared.messaging.outbox import Outbox

log = logging.getLogger(__name__)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


class ServiceBase:
    def __init__(self, session: AsyncSession, outbox: Outbox, clock: Clock, settings: SchedulingSettings) -> None:
        self.session = session
        self.repo = InspectionRepository(session)
        self.calendars = CalendarRepository(session)
        self.rosters = RosterService(session, clock, settings)
        self.notifier = Notifier(session, clock)
        self.outbox = outbox
        self.clock = clock
        self.settings = settings

    async def _emit(self, inspection: Inspection, data: BaseModel) -> CloudEvent:
        event = await self.outbox.emit(self.session, data, subject=inspection.id, time=self.clock.now())
        await self.repo.record_timeline(event)
        return event

    def _move(self, inspection: Inspection, action: Action, reason: str | None = None) -> None:
        previous = inspection.state
        inspection.state = transition(inspection.state, action)
        log.info(
            "inspection %s: %s -> %s", inspection.id, previous, inspection.state, extra={"inspection_id": inspection.id}
        )
        inspection.updated_at = self.clock.now()
        if reason is not None:
            inspection.state_reason = reason

    async def get(self, inspection_id: str, for_update: bool = False) -> Inspection:
        inspection = await self.repo.get(inspection_id, for_update=for_update)
        if inspection is None:
            raise NotFound(f"inspection {inspection_id!r} not found")
        return inspection

    async def read(self, inspection_id: str) -> InspectionRead:
        """The inspection for its representation, not loaded into the session (404 when unknown)."""
        inspection = await self.repo.read(inspection_id)
        if inspection is None:
            raise NotFound(f"inspection {inspection_id!r} not found")
        return inspection

    async def _zone(self, inspection: Inspection) -> ZoneInfo:
        return office_hours(self.settings, await self.rosters.district_of(inspection.customs)).zone

    def _sites(self, inspection: Inspection) -> list[SiteTask]:
        return [SiteTask(s.site_id, s.latitude, s.longitude, self.settings.minutes_per_site) for s in inspection.sites]

    def _limits(self) -> SolverLimits:
        return SolverLimits(
            min_buffer_minutes=self.settings.site_buffer_minutes,
            camera_speed_kmh=self.settings.camera_move_speed_kmh,
            time_limit_s=self.settings.solver_time_limit_s,
            team_pairs_per_day=self.settings.team_pairs_per_day,
        )

    def missing_for_readiness(self, inspection: Inspection | InspectionRead) -> list[str]:
        """GACC-RVI 4(II): what still keeps the inspection from being ready, each as a sentence."""
        missing = []
        max_age = timedelta(days=self.settings.equipment_test_max_age_days)
        if inspection.equipment_passed_at is None:
            missing.append("equipment test: no passed test (rvi.equipment.tested.v1) on record for this inspection")
        elif self.clock.now() - inspection.equipment_passed_at > max_age:
            missing.append(
                f"equipment test: the last pass ({inspection.equipment_passed_at.isoformat()}) is older than "
                f"{self.settings.equipment_test_max_age_days} days"
            )
        submitted = {u["kind"] for u in inspection.uploaded_documents or []}
        missing += [
            f"document not submitted: {kind}" for kind in inspection.required_documents or [] if kind not in submitted
        ]
        return missing
