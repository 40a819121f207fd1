from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from rvi_documents.lifecycle import DocumentState
from rvi_documents.models import Counter, Document, Inspection, InspectionSession, RecordedStep, Revision


class DocumentsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def inspection(self, inspection_id: str, for_update: bool = False) -> Inspection | None:
        """With `for_update`, the inspection's id is locked first (`lock_inspection`), then its row."""
        stmt = select(Inspection).where(Inspection.id == inspection_id)
        if for_update:
            await self.lock_inspection(inspection_id)
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def lock_inspection(self, inspection_id: str) -> None:
        """Serializes the transactions about one inspection until they end, whether or not its row
        exists yet: a row lock takes nothing while the request that inserts the row is in flight,
        so a session's end handled meanwhile (another topic, another partition's transaction) would
        find no inspection, and the schedule's transaction would not see that end (uncommitted)."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('documents.inspection'), hashtext(:i))"), {"i": inspection_id}
        )

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

    def add(self, row: object) -> None:
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

    async def next_number(self, customs: str, year: int, kind: str) -> int:
        """The next number of `kind` for the office and year. The counter row stays locked until
        the issuing transaction ends; a rollback gives the number back (no gaps)."""
        stmt = insert(Counter).values(customs=customs, year=year, kind=kind, last_number=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=["customs", "year", "kind"], set_={"last_number": Counter.last_number + 1}
        ).returning(Counter.last_number)
        return int((await self.session.execute(stmt)).scalar_one())

    async def document_for(self, inspection_id: str, kind: str, scope: str) -> Document | None:
        result = await self.session.execute(
            select(Document).where(
                Document.inspection_id == inspection_id, Document.kind == kind, Document.session_id == scope
            )
        )
        return result.scalar_one_or_none()

    async def insert_document(self, values: dict[str, Any]) -> bool:
        """False when the inspection already has this kind of document for this scope."""
        result = await self.session.execute(
            insert(Document)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["inspection_id", "kind", "session_id"])
            .returning(Document.document_id)
        )
        return result.first() is not None

    def add_revision(
        self,
        document_id: uuid.UUID,
        number: int,
        pdf: bytes,
        sha256: str,
        created_at: datetime,
        *,
        slot: str | None = None,
        signer_subject: str | None = None,
        signer_name: str | None = None,
        remote_addr: str | None = None,
    ) -> Revision:
        revision = Revision(
            document_id=document_id,
            number=number,
            sha256=sha256,
            size_bytes=len(pdf),
            pdf=pdf,
            slot=slot,
            signer_subject=signer_subject,
            signer_name=signer_name,
            remote_addr=remote_addr,
            created_at=created_at,
        )
        self.session.add(revision)
        return revision

    async def revision_pdf(self, document_id: uuid.UUID, number: int) -> bytes:
        stmt = (
            select(Revision)
            .where(Revision.document_id == document_id, Revision.number == number)
            .options(undefer(Revision.pdf))
        )
        return (await self.session.execute(stmt)).scalar_one().pdf

    async def revisions(self, document_id: uuid.UUID) -> Sequence[Revision]:
        stmt = select(Revision).where(Revision.document_id == document_id).order_by(Revision.number)
        return (await self.session.execute(stmt)).scalars().all()

    async def document(self, document_id: uuid.UUID, for_update: bool = False) -> Document | None:
        stmt = select(Document).where(Document.document_id == document_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def documents_of(self, inspection_id: str) -> Sequence[Document]:
        result = await self.session.execute(
            select(Document)
            .where(Document.inspection_id == inspection_id)
            .order_by(Document.issued_at, Document.number)
        )
        return result.scalars().all()

    async def claim_due_seal(self, now: datetime) -> Document | None:
        """One document waiting for its seal whose retry is due, locked (SKIP LOCKED)."""
        stmt = (
            select(Document)
            .where(Document.state == DocumentState.AWAITING_SEAL, Document.next_seal_at <= now)
            .order_by(Document.next_seal_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def count_awaiting_seal(self) -> int:
        from sqlalchemy import func

        stmt = select(func.count()).select_from(Document).where(Document.state == DocumentState.AWAITING_SEAL)
        return int((await self.session.execute(stmt)).scalar_one())

    async def sessions_without_timestamp(self, limit: int = 20) -> Sequence[InspectionSession]:
        """Ended sessions whose manifest digest has no time-stamp yet, locked (SKIP LOCKED)."""
        stmt = (
            select(InspectionSession)
            .where(
                InspectionSession.ended_at.is_not(None),
                InspectionSession.manifest_digest.is_not(None),
                InspectionSession.manifest_timestamped_at.is_(None),
            )
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def manifest_timestamp(self, session_id: str) -> InspectionSession | None:
        stmt = (
            select(InspectionSession)
            .where(InspectionSession.session_id == session_id)
            .options(undefer(InspectionSession.manifest_timestamp))
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()
