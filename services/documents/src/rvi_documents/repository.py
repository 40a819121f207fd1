from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, Uuid, bindparam, literal_column, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached, undefer

from rvi_documents.lifecycle import DocumentState
from rvi_documents.models import Counter, Document, Inspection, InspectionSession, RecordedStep, Revision
from rvi_shared.db import Row, Statements

DOCUMENTS = Document.__table__
REVISIONS = Revision.__table__
INSPECTIONS = Inspection.__table__
_DOCUMENT_ID = bindparam("document_id", type_=Uuid)
# Hot statements (issuing, signing, listing), run on the driver in the session's transaction.
LOCK_INSPECTION = text("SELECT pg_advisory_xact_lock(hashtext('documents.inspection'), hashtext(:i))").bindparams(
    bindparam("i", type_=String)
)
INSPECTION = select(INSPECTIONS).where(INSPECTIONS.c.id == bindparam("id", type_=String))
DOCUMENT_EXISTS = (
    select(literal_column("1"))
    .select_from(DOCUMENTS)
    .where(
        DOCUMENTS.c.inspection_id == bindparam("inspection_id", type_=String),
        DOCUMENTS.c.kind == bindparam("kind", type_=String),
        DOCUMENTS.c.session_id == bindparam("scope", type_=String),
    )
)
REVISION_PDF = select(REVISIONS.c.pdf).where(
    REVISIONS.c.document_id == _DOCUMENT_ID, REVISIONS.c.number == bindparam("number", type_=Integer)
)
REVISION_LIST = (
    select(*(c for c in REVISIONS.c if c.key != "pdf"))
    .where(REVISIONS.c.document_id == _DOCUMENT_ID)
    .order_by(REVISIONS.c.number)
)
STEPS = RecordedStep.__table__
_STRING_COLUMNS = ("session_id", "step_id", "inspection_id", "kind", "note", "site_id", "officer_id", "digest")
ADD_STEP = (
    insert(STEPS)
    .values(
        **{name: bindparam(name, type_=String) for name in _STRING_COLUMNS},
        started_at=bindparam("started_at", type_=DateTime(timezone=True)),
        ended_at=bindparam("ended_at", type_=DateTime(timezone=True)),
    )
    .on_conflict_do_nothing()
)
STEPS_OF = (
    select(STEPS)
    .where(
        STEPS.c.inspection_id == bindparam("inspection_id", type_=String),
        STEPS.c.session_id == bindparam("session_id", type_=String),
    )
    .order_by(STEPS.c.started_at, STEPS.c.step_id)
)
DOCUMENTS_OF = (
    select(DOCUMENTS)
    .where(DOCUMENTS.c.inspection_id == bindparam("inspection_id", type_=String))
    .order_by(DOCUMENTS.c.issued_at, DOCUMENTS.c.number)
)
SESSIONS = InspectionSession.__table__
HAS_ENDED_SESSION = select(literal_column("1")).where(
    select(SESSIONS.c.session_id)
    .where(SESSIONS.c.inspection_id == bindparam("inspection_id", type_=String), SESSIONS.c.ended_at.is_not(None))
    .exists()
)
DUE_SEAL = (
    select(DOCUMENTS.c.document_id)
    .where(
        DOCUMENTS.c.state == literal_column(f"'{DocumentState.AWAITING_SEAL.value}'"),
        DOCUMENTS.c.next_seal_at <= bindparam("now", type_=DateTime(timezone=True)),
    )
    .order_by(DOCUMENTS.c.next_seal_at)
    .limit(literal_column("1"))
    .with_for_update(skip_locked=True)
)
DOCUMENT_FOR_UPDATE = select(DOCUMENTS).where(DOCUMENTS.c.document_id == _DOCUMENT_ID).with_for_update()
# What a signature changes in its document (`signing`, `DocumentsService.add_revision` and `complete`).
SIGNED_COLUMNS = (
    "state",
    "revision",
    "current_sha256",
    "signed_slots",
    "signer_name",
    "seal",
    "signed_at",
    "completed_at",
)
SAVE_SIGNED = (
    update(DOCUMENTS)
    .where(DOCUMENTS.c.document_id == _DOCUMENT_ID)
    .values({name: bindparam(f"new_{name}", type_=DOCUMENTS.c[name].type) for name in SIGNED_COLUMNS})
)
COUNTERS = Counter.__table__
NEXT_NUMBER = (
    insert(COUNTERS)
    .values(
        customs=bindparam("v_customs", type_=String),
        year=bindparam("v_year", type_=Integer),
        kind=bindparam("v_kind", type_=String),
        last_number=literal_column("1"),
    )
    .on_conflict_do_update(
        index_elements=["customs", "year", "kind"], set_={"last_number": COUNTERS.c.last_number + literal_column("1")}
    )
    .returning(COUNTERS.c.last_number)
)
INSERT_DOCUMENT = (
    insert(DOCUMENTS)
    .values({c.key: bindparam(f"v_{c.key}", type_=c.type) for c in DOCUMENTS.c})
    .on_conflict_do_nothing(index_elements=["inspection_id", "kind", "session_id"])
    .returning(DOCUMENTS.c.document_id)
)
ADD_REVISION = insert(REVISIONS).values(
    document_id=_DOCUMENT_ID,
    number=bindparam("number", type_=Integer),
    sha256=bindparam("sha256", type_=String),
    size_bytes=bindparam("size_bytes", type_=Integer),
    pdf=bindparam("pdf", type_=REVISIONS.c.pdf.type),
    slot=bindparam("slot", type_=String),
    signer_subject=bindparam("signer_subject", type_=String),
    signer_name=bindparam("signer_name", type_=String),
    remote_addr=bindparam("remote_addr", type_=String),
    created_at=bindparam("created_at", type_=DateTime(timezone=True)),
)


class DocumentsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.statements = Statements(session)

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
        await self.statements.execute(LOCK_INSPECTION, {"i": inspection_id})

    async def inspection_view(self, inspection_id: str) -> Inspection | None:
        """The inspection as read (not locked), a transient row outside the session: for reading only."""
        return await self.statements.fetch_transient(Inspection, INSPECTION, {"id": inspection_id})

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

    async def has_ended_session(self, inspection_id: str) -> bool:
        return bool(await self.statements.fetch(HAS_ENDED_SESSION, {"inspection_id": inspection_id}))

    def add(self, row: object) -> None:
        self.session.add(row)

    async def add_step(self, values: dict[str, Any]) -> None:
        """`values`: every column of `RecordedStep`. A step delivered again under another event id
        changes nothing."""
        await self.statements.execute(ADD_STEP, values)

    async def steps(self, inspection_id: str, session_id: str) -> list[Row]:
        """The session's steps (the columns of `RecordedStep`) in the order they were taken."""
        return await self.statements.fetch(STEPS_OF, {"inspection_id": inspection_id, "session_id": session_id})

    async def next_number(self, customs: str, year: int, kind: str) -> int:
        """The next number of `kind` for the office and year. The counter row stays locked until
        the issuing transaction ends; a rollback gives the number back (no gaps)."""
        (row,) = await self.statements.fetch(NEXT_NUMBER, {"v_customs": customs, "v_year": year, "v_kind": kind})
        return int(row.last_number)

    async def has_document(self, inspection_id: str, kind: str, scope: str) -> bool:
        rows = await self.statements.fetch(
            DOCUMENT_EXISTS, {"inspection_id": inspection_id, "kind": kind, "scope": scope}
        )
        return bool(rows)

    async def insert_document(self, values: dict[str, Any]) -> bool:
        """`values`: every column of `Document`. False when the inspection already has this kind of
        document for this scope."""
        rows = await self.statements.fetch(INSERT_DOCUMENT, {f"v_{name}": value for name, value in values.items()})
        return bool(rows)

    def attach_inserted(self, document: Document) -> Document:
        """`document`, built with every column's value as `insert_document` just inserted them, as
        the session's persistent row (its changes flushed as UPDATEs), without reading it back:
        the inserting transaction holds the new row's lock until it ends."""
        make_transient_to_detached(document)
        self.session.add(document)
        return document

    async def add_revision(
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
    ) -> None:
        """Inserted now, on the driver (not flushed with the session's ORM changes)."""
        await self.statements.execute(
            ADD_REVISION,
            {
                "document_id": document_id,
                "number": number,
                "sha256": sha256,
                "size_bytes": len(pdf),
                "pdf": pdf,
                "slot": slot,
                "signer_subject": signer_subject,
                "signer_name": signer_name,
                "remote_addr": remote_addr,
                "created_at": created_at,
            },
        )

    async def revision_pdf(self, document_id: uuid.UUID, number: int) -> bytes:
        """The revision's bytes; LookupError when the document has no such revision."""
        rows = await self.statements.fetch(REVISION_PDF, {"document_id": document_id, "number": number})
        if not rows:
            raise LookupError(f"document {document_id} has no revision {number}")
        return rows[0].pdf

    async def revisions(self, document_id: uuid.UUID) -> list[Row]:
        """Each revision's row but its bytes (the columns of `Revision` but `pdf`), in order."""
        return await self.statements.fetch(REVISION_LIST, {"document_id": document_id})

    async def document_to_sign(self, document_id: uuid.UUID) -> Document | None:
        """The document locked FOR UPDATE on the driver, as a transient row outside the session:
        what signing changes in it is written back by `save_signed`."""
        return await self.statements.fetch_transient(Document, DOCUMENT_FOR_UPDATE, {"document_id": document_id})

    async def save_signed(self, document: Document) -> None:
        """Writes back the columns a signature changes (`SIGNED_COLUMNS`) of a `document_to_sign` row."""
        values = {f"new_{name}": getattr(document, name) for name in SIGNED_COLUMNS}
        await self.statements.execute(SAVE_SIGNED, {"document_id": document.document_id, **values})

    async def documents_view(self, inspection_id: str) -> list[Row]:
        """The inspection's documents as read (the columns of `Document`), in the order they were
        issued: for reading only."""
        return await self.statements.fetch(DOCUMENTS_OF, {"inspection_id": inspection_id})

    async def documents_of(self, inspection_id: str) -> Sequence[Document]:
        result = await self.session.execute(
            select(Document)
            .where(Document.inspection_id == inspection_id)
            .order_by(Document.issued_at, Document.number)
        )
        return result.scalars().all()

    async def claim_due_seal(self, now: datetime) -> Document | None:
        """One document waiting for its seal whose retry is due, locked (SKIP LOCKED); looked for on
        the driver (most ticks find none), loaded in the session when found."""
        rows = await self.statements.fetch(DUE_SEAL, {"now": now})
        if not rows:
            return None
        return await self.session.get(Document, uuid.UUID(bytes=rows[0].document_id.bytes))

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
