from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_video_gateway.models import InspectionSession, InspectionView, ItemResultRow, ManifestEntry, SessionAuditEntry


class GatewayRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def inspection(self, inspection_id: str, for_update: bool = False) -> InspectionView | None:
        stmt = select(InspectionView).where(InspectionView.id == inspection_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    def add(self, row: InspectionView | ManifestEntry | ItemResultRow | SessionAuditEntry) -> None:
        self.session.add(row)

    async def session_by_id(self, session_id: uuid.UUID, for_update: bool = False) -> InspectionSession | None:
        stmt = select(InspectionSession).where(InspectionSession.session_id == session_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def session_of(self, inspection_id: str, for_update: bool = False) -> InspectionSession | None:
        stmt = select(InspectionSession).where(InspectionSession.inspection_id == inspection_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def open_session(
        self, inspection: InspectionView, state: str, opened_at: datetime
    ) -> InspectionSession | None:
        """Inserts the inspection's one session; None when it already has one."""
        result = await self.session.execute(
            insert(InspectionSession)
            .values(
                session_id=uuid.uuid4(),
                inspection_id=inspection.id,
                enterprise_id=inspection.enterprise_id,
                state=state,
                slot_start=inspection.slot_start,
                opened_at=opened_at,
                falsification_confirmed=False,
            )
            .on_conflict_do_nothing(index_elements=[InspectionSession.inspection_id])
            .returning(InspectionSession.session_id)
        )
        session_id = result.scalar_one_or_none()
        return None if session_id is None else await self.session_by_id(session_id)

    async def last_entry(self, session_id: uuid.UUID) -> ManifestEntry | None:
        result = await self.session.execute(
            select(ManifestEntry)
            .where(ManifestEntry.session_id == session_id)
            .order_by(ManifestEntry.seq.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def entries(self, session_id: uuid.UUID) -> Sequence[ManifestEntry]:
        result = await self.session.execute(
            select(ManifestEntry).where(ManifestEntry.session_id == session_id).order_by(ManifestEntry.seq)
        )
        return result.scalars().all()

    async def item_result(self, session_id: uuid.UUID, site_id: str, item_id: str) -> ItemResultRow | None:
        return await self.session.get(ItemResultRow, (session_id, site_id, item_id))

    async def item_results(self, session_id: uuid.UUID) -> Sequence[ItemResultRow]:
        result = await self.session.execute(
            select(ItemResultRow)
            .where(ItemResultRow.session_id == session_id)
            .order_by(ItemResultRow.site_id, ItemResultRow.item_id)
        )
        return result.scalars().all()

    async def audit_trail(self, session_id: uuid.UUID) -> Sequence[SessionAuditEntry]:
        result = await self.session.execute(
            select(SessionAuditEntry).where(SessionAuditEntry.session_id == session_id).order_by(SessionAuditEntry.id)
        )
        return result.scalars().all()
