"""Reactions to other services' events; each runs in its own transaction with the inbox."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rvi_eligibility.decisions.service import EligibilityService
from rvi_eligibility.facts.changes import values_from_update
from rvi_eligibility.settings import EligibilitySettings
from rvi_shared.clock import Clock
from rvi_shared.events import payloads as p
from rvi_shared.events.envelope import CloudEvent
from rvi_shared.identifiers import normalize_identifier, parse_enterprise_id
from rvi_shared.messaging.consumer import HandlerRegistry, PermanentError
from rvi_shared.messaging.outbox import Outbox


def build_handlers(outbox: Outbox, clock: Clock, settings: EligibilitySettings) -> HandlerRegistry:
    registry = HandlerRegistry()

    def service(session: AsyncSession) -> EligibilityService:
        return EligibilityService(session, outbox, clock, settings)

    @registry.on(p.InspectionRequested)
    async def requested(session: AsyncSession, event: CloudEvent, payload: p.InspectionRequested) -> None:
        # Stored and looked up normalized, as the REST edge and the facts do.
        normalized = normalize_identifier(payload.enterprise_id)
        if normalized != payload.enterprise_id:
            payload = payload.model_copy(update={"enterprise_id": normalized})
        await service(session).on_requested(event, payload)

    @registry.on(p.EnterpriseUpdated)
    async def enterprise_updated(session: AsyncSession, event: CloudEvent, payload: p.EnterpriseUpdated) -> None:
        try:
            enterprise_id = parse_enterprise_id(payload.enterprise_id)
        except ValueError as exc:
            raise PermanentError(f"data.enterprise_id: {exc}") from None
        values = values_from_update(payload)
        if not values:
            raise PermanentError(f"enterprise update {event.id} for {payload.enterprise_id!r} sets no fact")
        await service(session).record_facts(enterprise_id, values, payload.effective_from, "event", event.id)

    @registry.on(p.EquipmentTested)
    async def equipment_tested(session: AsyncSession, event: CloudEvent, payload: p.EquipmentTested) -> None:
        await service(session).on_equipment_tested(event, payload)

    @registry.on(p.SessionEscalated)
    async def escalated(session: AsyncSession, event: CloudEvent, payload: p.SessionEscalated) -> None:
        await service(session).on_escalated(event, payload)

    # Closed inspections are no longer re-evaluated when facts change.
    @registry.on(p.InspectionCancelled)
    async def cancelled(session: AsyncSession, event: CloudEvent, payload: p.InspectionCancelled) -> None:
        await service(session).close(payload.inspection_id, "cancelled")

    @registry.on(p.InspectionCompleted)
    async def completed(session: AsyncSession, event: CloudEvent, payload: p.InspectionCompleted) -> None:
        await service(session).close(payload.inspection_id, "completed")

    @registry.on(p.InspectionShiftedOnsite)
    async def shifted(session: AsyncSession, event: CloudEvent, payload: p.InspectionShiftedOnsite) -> None:
        if not payload.items:
            await service(session).close(payload.inspection_id, "shifted_onsite")

    return registry
