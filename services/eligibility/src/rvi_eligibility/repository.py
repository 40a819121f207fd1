from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_eligibility.models import Decision, EnterpriseFactChange, EnterpriseFacts, InspectionRequest

Lock = Literal["update", "share"] | None


class EligibilityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def facts(self, enterprise_id: str, lock: Lock = None) -> EnterpriseFacts | None:
        stmt = select(EnterpriseFacts).where(EnterpriseFacts.enterprise_id == enterprise_id)
        if lock is not None:
            stmt = stmt.with_for_update(read=lock == "share")
        return (await self.session.execute(stmt.execution_options(populate_existing=True))).scalar_one_or_none()

    async def lock_facts_creating(self, enterprise_id: str, now: datetime) -> EnterpriseFacts:
        """The enterprise's row, locked for update; created bare (no facts yet) if absent."""
        await self.session.execute(
            insert(EnterpriseFacts)
            .values(enterprise_id=enterprise_id, mandatory_onsite=False, updated_at=now)
            .on_conflict_do_nothing()
        )
        row = await self.facts(enterprise_id, lock="update")
        assert row is not None
        return row

    def add_change(self, change: EnterpriseFactChange) -> None:
        self.session.add(change)

    async def changes(self, enterprise_id: str) -> Sequence[EnterpriseFactChange]:
        result = await self.session.execute(
            select(EnterpriseFactChange)
            .where(EnterpriseFactChange.enterprise_id == enterprise_id)
            .order_by(EnterpriseFactChange.seq)
        )
        return result.scalars().all()

    async def request(self, inspection_id: str, for_update: bool = False) -> InspectionRequest | None:
        stmt = select(InspectionRequest).where(InspectionRequest.inspection_id == inspection_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def add_request(self, request: InspectionRequest) -> bool:
        """False when the inspection was already requested (a replay under another event id)."""
        values = {c.key: getattr(request, c.key) for c in InspectionRequest.__table__.columns}
        result = await self.session.execute(
            insert(InspectionRequest)
            .values(**values)
            .on_conflict_do_nothing()
            .returning(InspectionRequest.inspection_id)
        )
        return result.first() is not None

    async def open_requests(self, enterprise_id: str) -> Sequence[InspectionRequest]:
        result = await self.session.execute(
            select(InspectionRequest)
            .where(InspectionRequest.enterprise_id == enterprise_id, InspectionRequest.closed_at.is_(None))
            .order_by(InspectionRequest.inspection_id)
            .with_for_update()
        )
        return result.scalars().all()

    def add_decision(self, decision: Decision) -> None:
        self.session.add(decision)

    async def decision(self, decision_id: str) -> Decision | None:
        return await self.session.get(Decision, decision_id)

    async def decisions(self, inspection_id: str) -> Sequence[Decision]:
        result = await self.session.execute(
            select(Decision).where(Decision.inspection_id == inspection_id).order_by(Decision.evaluated_at)
        )
        return result.scalars().all()
