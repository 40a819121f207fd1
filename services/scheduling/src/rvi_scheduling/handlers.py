"""Reactions to other services' events; each runs in its own transaction with the inbox."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_scheduling.models import Inspection
from rvi_scheduling.repository import InspectionRepository
from rvi_scheduling.rosters.schemas import OfficerIn
from rvi_scheduling.rosters.service import RosterService
from rvi_scheduling.service import SchedulingService
from rvi_scheduling.settings import SchedulingSettings
from rvi_shared.clock import Clock
from rvi_shared.errors import Conflict
from rvi_shared.events import payloads as p
from rvi_shared.events.envelope import CloudEvent
from rvi_shared.messaging.consumer import HandlerRegistry, PermanentError
from rvi_shared.messaging.outbox import Outbox

Reaction = Callable[[SchedulingService, Inspection, Any], Awaitable[None]]


def build_handlers(outbox: Outbox, clock: Clock, settings: SchedulingSettings) -> HandlerRegistry:
    registry = HandlerRegistry()

    def bind(model: type[BaseModel], reaction: Reaction | None, with_children: bool = False) -> None:
        async def handle(session: AsyncSession, event: CloudEvent, payload: Any) -> None:
            if reaction is None:  # the timeline only: the inspection is neither loaded nor locked
                if not await InspectionRepository(session).record_timeline(event):
                    raise PermanentError(f"unknown inspection {event.subject!r}")
                return
            service = SchedulingService(session, outbox, clock, settings)
            inspection = await service.record(event, with_children=with_children)
            if inspection is None:
                raise PermanentError(f"unknown inspection {event.subject!r}")
            if reaction is not None:
                await reaction(service, inspection, payload)

        registry.on(model)(handle)

    bind(p.EligibilityDecided, SchedulingService.on_decided, with_children=True)
    bind(p.EquipmentTested, SchedulingService.on_equipment_tested)
    bind(p.SessionStarted, SchedulingService.on_session_started)
    bind(p.SessionStepRecorded, None)
    bind(p.SessionEscalated, SchedulingService.on_escalated)
    bind(p.SessionEnded, SchedulingService.on_session_ended)
    bind(p.DocumentIssued, SchedulingService.on_document_issued)
    bind(p.DocumentSigned, None)
    bind(p.DocumentDelivered, None)
    bind(p.DocumentCompleted, SchedulingService.on_document_completed)
    bind(p.DocumentUploaded, SchedulingService.on_document_uploaded)

    @registry.on(p.OfficerUpdated)
    async def officer_updated(session: AsyncSession, event: CloudEvent, payload: p.OfficerUpdated) -> None:
        """Bulk roster updates from the customs personnel system; a record the roster refuses
        (a credential number held by another officer, invalid dates) goes to the DLQ with the reason."""
        fields = payload.model_dump(exclude={"officer_id", "updated_at"})
        try:
            record = OfficerIn.model_validate(fields)
            await RosterService(session, clock, settings).put_officer(payload.officer_id, record)
        except (Conflict, ValidationError) as exc:
            raise PermanentError(f"officer {payload.officer_id}: {exc}") from exc

    return registry
