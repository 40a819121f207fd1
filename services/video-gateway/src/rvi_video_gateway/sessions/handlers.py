"""The projection of `rvi.inspections`; each handler runs in its own transaction with the inbox."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_shared.clock import Clock
from rvi_shared.events import payloads as p
from rvi_shared.events.envelope import CloudEvent
from rvi_shared.messaging.consumer import HandlerRegistry, PermanentError
from rvi_shared.messaging.outbox import Outbox
from rvi_video_gateway.models import InspectionView
from rvi_video_gateway.sessions.projection import InspectionProjection
from rvi_video_gateway.settings import VideoGatewaySettings

Reaction = Callable[[InspectionProjection, InspectionView, Any], Awaitable[None]]


def build_handlers(outbox: Outbox, clock: Clock, settings: VideoGatewaySettings) -> HandlerRegistry:
    registry = HandlerRegistry()

    @registry.on(p.InspectionRequested)
    async def requested(session: AsyncSession, event: CloudEvent, payload: p.InspectionRequested) -> None:
        await InspectionProjection(session, clock).on_requested(payload)

    def bind(model: type[BaseModel], reaction: Reaction) -> None:
        async def handle(session: AsyncSession, event: CloudEvent, payload: Any) -> None:
            service = InspectionProjection(session, clock)
            inspection = await service.inspection(payload.inspection_id)
            if inspection is None:
                # Requested always precedes these on the inspection's partition: it will never come.
                raise PermanentError(f"{event.type} for inspection {payload.inspection_id!r} never requested")
            await reaction(service, inspection, payload)

        registry.on(model)(handle)

    bind(p.InspectionScheduled, InspectionProjection.on_scheduled)
    bind(p.InspectionRescheduled, InspectionProjection.on_rescheduled)
    bind(p.InspectionReady, InspectionProjection.on_ready)
    bind(p.InspectionCancelled, InspectionProjection.on_cancelled)
    bind(p.InspectionShiftedOnsite, InspectionProjection.on_shifted_onsite)
    return registry
