"""Reactions to other services' events; each runs in its own transaction with the inbox."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rvi_documents.models import Inspection
from rvi_documents.pki.runtime import Pki
from rvi_documents.service import DocumentsService
from rvi_documents.settings import DocumentsSettings
from rvi_shared.clock import Clock
from rvi_shared.events import payloads as p
from rvi_shared.events.envelope import CloudEvent
from rvi_shared.messaging.consumer import HandlerRegistry, PermanentError
from rvi_shared.messaging.outbox import Outbox


def build_handlers(outbox: Outbox, clock: Clock, settings: DocumentsSettings, pki: Pki) -> HandlerRegistry:
    registry = HandlerRegistry()

    def service(session: AsyncSession) -> DocumentsService:
        return DocumentsService(session, outbox, clock, settings, pki)

    async def known_inspection(documents: DocumentsService, inspection_id: str) -> Inspection:
        """Locked (its id, then its row), so that deliveries about one inspection apply one after
        the other, across topics too, even while its row is being inserted."""
        inspection = await documents.repo.inspection(inspection_id, for_update=True)
        if inspection is None:
            raise PermanentError(f"unknown inspection {inspection_id!r}")
        return inspection

    @registry.on(p.InspectionRequested)
    async def requested(session: AsyncSession, event: CloudEvent, payload: p.InspectionRequested) -> None:
        await service(session).on_requested(payload)

    @registry.on(p.InspectionScheduled)
    async def scheduled(session: AsyncSession, event: CloudEvent, payload: p.InspectionScheduled) -> None:
        documents = service(session)
        await documents.on_scheduled(await known_inspection(documents, payload.inspection_id), payload)

    @registry.on(p.InspectionRescheduled)
    async def rescheduled(session: AsyncSession, event: CloudEvent, payload: p.InspectionRescheduled) -> None:
        documents = service(session)
        await documents.on_rescheduled(await known_inspection(documents, payload.inspection_id), payload)

    # Session facts may overtake the inspection (another topic): they are kept without it.
    @registry.on(p.SessionStarted)
    async def session_started(session: AsyncSession, event: CloudEvent, payload: p.SessionStarted) -> None:
        await service(session).on_session_started(payload)

    @registry.on(p.SessionStepRecorded)
    async def step_recorded(session: AsyncSession, event: CloudEvent, payload: p.SessionStepRecorded) -> None:
        await service(session).on_step_recorded(payload)

    @registry.on(p.SessionEnded)
    async def session_ended(session: AsyncSession, event: CloudEvent, payload: p.SessionEnded) -> None:
        documents = service(session)
        inspection = await documents.repo.inspection(payload.inspection_id, for_update=True)
        if inspection is None:
            # The end overtook the request (another topic): keep it; the closing set is
            # issued when the request arrives.
            await documents.record_session_end(payload)
            return
        await documents.on_session_ended(inspection, payload)

    return registry
