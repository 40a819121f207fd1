from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from rvi_documents.models import Document, Inspection, InspectionSession, RecordedStep


class DocumentsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def inspection(self, inspection_id: str, for_update: bool = False) -> Inspection | None:
        stmt = select(Inspection).where(Inspection.id == inspection_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def inspection_session(self, session_id: str) -> InspectionSession | None:
        stmt = select(InspectionSession).where(InspectionSession.session_id == session_id).with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def ended_sessions(self, inspection_id: str) -> Sequence[InspectionSession]:
        stmt = (
            select(InspectionSession)
            .where(InspectionSession.inspection_id == inspection_id, InspectionSession.ended_at.is_not(None))
            .order_by(InspectionSession.ended_at)
        )
        return (await self.session.execute(stmt)).scalars().all()

    def add(self, row: Inspection | InspectionSession) -> None:
        self.session.add(row)

    async def add_step(self, values: dict[str, Any]) -> None:
        """A step delivered again under another event id changes nothing."""
        await self.session.execute(insert(RecordedStep).values(**values).on_conflict_do_nothing())

    async def steps(self, inspection_id: str, session_id: str) -> Sequence[RecordedStep]:
        result = await self.session.execute(
            select(RecordedStep)
            .where(RecordedStep.inspection_id == inspection_id, RecordedStep.session_id == session_id)
            .order_by(RecordedStep.started_at, RecordedStep.step_id)
        )
        return result.scalars().all()

    async def document_for(self, inspection_id: str, kind: str, session_id: str) -> Document | None:
        result = await self.session.execute(
            select(Document).where(
                Document.inspection_id == inspection_id, Document.kind == kind, Document.session_id == session_id
            )
        )
        return result.scalar_one_or_none()

    async def insert_document(self, values: dict[str, Any]) -> bool:
        """False when the inspection already has this kind of document for this session."""
        result = await self.session.execute(
            insert(Document)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["inspection_id", "kind", "session_id"])
            .returning(Document.document_id)
        )
        return result.first() is not None

    async def document(
        self, document_id: uuid.UUID, for_update: bool = False, with_pdf: bool = False
    ) -> Document | None:
        stmt = select(Document).where(Document.document_id == document_id)
        if with_pdf:
            stmt = stmt.options(undefer(Document.pdf))
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def documents_of(self, inspection_id: str) -> Sequence[Document]:
        result = await self.session.execute(
            select(Document).where(Document.inspection_id == inspection_id).order_by(Document.issued_at)
        )
        return result.scalars().all()
