"""Document rules: the projection of inspections and sessions, issuing, signing. Handlers own the transaction."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rvi_documents.lifecycle import DocumentAction, DocumentState, transition
from rvi_documents.models import Document, Inspection, InspectionSession, RecordedStep
from rvi_documents.rendering import (
    InspectionRecord,
    ItemLine,
    SiteLine,
    StepLine,
    TeamMember,
    render_inspection_record,
)
from rvi_documents.repository import DocumentsRepository
from rvi_documents.schemas import SignRequest
from rvi_documents.settings import DocumentsSettings
from rvi_documents.signing import SIGNATURE_METHOD, sha256_hex, signed_digest
from rvi_shared.clock import Clock
from rvi_shared.errors import Conflict, NotFound
from rvi_shared.events import payloads as p
from rvi_shared.messaging.outbox import Outbox

INSPECTION_RECORD = "inspection_record"


class DocumentsService:
    def __init__(self, session: AsyncSession, outbox: Outbox, clock: Clock, settings: DocumentsSettings) -> None:
        self.session = session
        self.repo = DocumentsRepository(session)
        self.outbox = outbox
        self.clock = clock
        self.settings = settings

    # --- reads ---

    async def get(self, document_id: str, for_update: bool = False, with_pdf: bool = False) -> Document:
        try:
            key = uuid.UUID(document_id)
        except ValueError:
            raise NotFound(f"document {document_id!r} not found") from None
        document = await self.repo.document(key, for_update=for_update, with_pdf=with_pdf)
        if document is None:
            raise NotFound(f"document {document_id!r} not found")
        return document

    async def inspection(self, inspection_id: str) -> Inspection:
        inspection = await self.repo.inspection(inspection_id)
        if inspection is None:
            raise NotFound(f"inspection {inspection_id!r} not found")
        return inspection

    async def documents_of(self, inspection: Inspection) -> Sequence[Document]:
        return await self.repo.documents_of(inspection.id)

    # --- commands from REST ---

    async def sign(self, document: Document, request: SignRequest, signer_subject: str) -> Document:
        """The enterprise signs and seals the document (GACC-RVI 4(IV)); it is then complete.

        `document` must be locked and carry its PDF. Emits `rvi.document.signed.v1`, then
        `rvi.document.completed.v1`, in this transaction."""
        document.state = transition(document.state, DocumentAction.SIGN)
        if sha256_hex(document.pdf) != document.sha256:
            raise Conflict(f"document {document.document_id} no longer matches its issued SHA-256; not signed")
        now = self.clock.now()
        record: dict[str, Any] = {
            "method": SIGNATURE_METHOD,
            "document_id": str(document.document_id),
            "inspection_id": document.inspection_id,
            "enterprise_id": document.enterprise_id,
            "document_sha256": document.sha256,
            "signer_name": request.signer_name,
            "signer_subject": signer_subject,
            "seal": request.seal,
            "accepted": True,
            "signed_at": now.isoformat(),
        }
        document.signature = record
        document.signer_name = request.signer_name
        document.seal = request.seal
        document.signed_at = now
        document.signed_sha256 = signed_digest(document.pdf, record)
        await self.outbox.emit(
            self.session,
            "rvi.document.signed.v1",
            subject=document.inspection_id,
            data=p.DocumentSigned(
                document_id=str(document.document_id),
                inspection_id=document.inspection_id,
                enterprise_id=document.enterprise_id,
                signer_name=request.signer_name,
                seal=request.seal,
                signed_sha256=document.signed_sha256,
                signed_at=now,
            ),
            time=now,
        )
        # Signed electronically means delivered: nothing is left to do for this document.
        document.state = transition(document.state, DocumentAction.COMPLETE)
        document.completed_at = now
        await self.outbox.emit(
            self.session,
            "rvi.document.completed.v1",
            subject=document.inspection_id,
            data=p.DocumentCompleted(
                document_id=str(document.document_id),
                inspection_id=document.inspection_id,
                enterprise_id=document.enterprise_id,
                completed_at=now,
            ),
            time=now,
        )
        return document

    # --- projection from other services' events ---

    async def on_requested(self, requested: p.InspectionRequested) -> None:
        inspection = await self.repo.inspection(requested.inspection_id, for_update=True)
        if inspection is None:
            inspection = Inspection(id=requested.inspection_id, team=None, slot_start=None, slot_end=None)
            self.repo.add(inspection)
        inspection.enterprise_id = requested.enterprise_id
        inspection.enterprise_name = requested.enterprise_name
        inspection.customs = requested.customs
        inspection.sites = [s.model_dump(mode="json") for s in requested.sites]
        inspection.checklist_items = [i.model_dump(mode="json") for i in requested.checklist_items]
        inspection.officers = [o.model_dump(mode="json") for o in requested.officers]
        inspection.requested_at = requested.requested_at
        inspection.updated_at = self.clock.now()
        await self.session.flush()
        for row in await self.repo.ended_sessions(inspection.id):
            if await self.repo.document_for(inspection.id, INSPECTION_RECORD, row.session_id) is None:
                await self._issue_inspection_record(inspection, row)

    async def on_scheduled(self, inspection: Inspection, scheduled: p.InspectionScheduled) -> None:
        inspection.team = [o.model_dump(mode="json") for o in scheduled.team]
        inspection.slot_start, inspection.slot_end = scheduled.slot_start, scheduled.slot_end
        inspection.updated_at = self.clock.now()

    async def on_rescheduled(self, inspection: Inspection, rescheduled: p.InspectionRescheduled) -> None:
        inspection.slot_start, inspection.slot_end = rescheduled.slot_start, rescheduled.slot_end
        inspection.updated_at = self.clock.now()

    async def _session_row(self, session_id: str, inspection_id: str, enterprise_id: str) -> InspectionSession:
        row = await self.repo.inspection_session(session_id)
        if row is None:
            row = InspectionSession(
                session_id=session_id, inspection_id=inspection_id, enterprise_id=enterprise_id, officers=[]
            )
            self.repo.add(row)
        return row

    async def on_session_started(self, started: p.SessionStarted) -> None:
        row = await self._session_row(started.session_id, started.inspection_id, started.enterprise_id)
        row.started_at = started.started_at
        row.officers = [o.model_dump(mode="json") for o in started.officers]

    async def on_step_recorded(self, step: p.SessionStepRecorded) -> None:
        await self.repo.add_step(
            {
                "session_id": step.session_id,
                "step_id": step.step_id,
                "inspection_id": step.inspection_id,
                "kind": step.kind,
                "note": step.note,
                "site_id": step.site_id,
                "officer_id": step.officer_id,
                "started_at": step.started_at,
                "ended_at": step.ended_at,
                "digest": step.digest,
            }
        )

    async def record_session_end(self, ended: p.SessionEnded) -> InspectionSession:
        """Kept even before the inspection is known (the end may overtake the request)."""
        row = await self._session_row(ended.session_id, ended.inspection_id, ended.enterprise_id)
        row.ended_at = ended.ended_at
        row.conclusion = ended.conclusion
        row.steps_declared = ended.steps
        row.manifest_digest = ended.manifest_digest
        return row

    async def on_session_ended(self, inspection: Inspection, ended: p.SessionEnded) -> bool:
        """Record the end and issue the inspection record (GACC-RVI 4(IV)): one per session,
        whatever the number of deliveries. False when it had already been issued."""
        row = await self.record_session_end(ended)
        if await self.repo.document_for(inspection.id, INSPECTION_RECORD, ended.session_id) is not None:
            return False
        return await self._issue_inspection_record(inspection, row)

    async def _issue_inspection_record(self, inspection: Inspection, row: InspectionSession) -> bool:
        assert row.ended_at is not None
        document_id = uuid.uuid4()
        issued_at = self.clock.now()
        steps = await self.repo.steps(inspection.id, row.session_id)
        record = self._record(document_id, inspection, row, steps, issued_at)
        pdf = await asyncio.to_thread(render_inspection_record, record)
        sha256 = sha256_hex(pdf)
        created = await self.repo.insert_document(
            {
                "document_id": document_id,
                "inspection_id": inspection.id,
                "enterprise_id": inspection.enterprise_id,
                "session_id": row.session_id,
                "kind": INSPECTION_RECORD,
                "state": DocumentState.ISSUED,
                "sha256": sha256,
                "size_bytes": len(pdf),
                "pdf": pdf,
                "issued_at": issued_at,
            }
        )
        if not created:
            return False
        await self.outbox.emit(
            self.session,
            "rvi.document.issued.v1",
            subject=inspection.id,
            data=p.DocumentIssued(
                document_id=str(document_id),
                inspection_id=inspection.id,
                enterprise_id=inspection.enterprise_id,
                kind=INSPECTION_RECORD,
                sha256=sha256,
                issued_at=issued_at,
            ),
            time=issued_at,
        )
        return True

    def _record(
        self,
        document_id: uuid.UUID,
        inspection: Inspection,
        row: InspectionSession,
        steps: Sequence[RecordedStep],
        issued_at: datetime,
    ) -> InspectionRecord:
        assert row.ended_at is not None
        # The officers who took part in the session, else the team named in the notice (GACC-RVI 4(III)).
        team = row.officers or inspection.team or inspection.officers
        officers = _officer_labels([*inspection.officers, *(inspection.team or []), *row.officers])
        sites = {s["site_id"]: s["name"] for s in inspection.sites}
        return InspectionRecord(
            document_id=str(document_id),
            inspection_id=inspection.id,
            enterprise_id=inspection.enterprise_id,
            enterprise_name=inspection.enterprise_name,
            customs=inspection.customs,
            team=[TeamMember(name=o["name"], credential_no=o["credential_no"]) for o in team],
            slot_start=inspection.slot_start,
            slot_end=inspection.slot_end,
            session_id=row.session_id,
            session_started_at=row.started_at,
            session_ended_at=row.ended_at,
            sites=[
                SiteLine(
                    site_id=s["site_id"],
                    name=s["name"],
                    latitude=s["latitude"],
                    longitude=s["longitude"],
                    address=s.get("address"),
                )
                for s in inspection.sites
            ],
            items=[
                ItemLine(
                    item_id=i["item_id"],
                    description=i["description"],
                    category=i.get("category"),
                    commodity_code=i.get("commodity_code"),
                )
                for i in inspection.checklist_items
            ],
            steps=[
                StepLine(
                    kind=s.kind,
                    started_at=s.started_at,
                    ended_at=s.ended_at,
                    note=s.note,
                    digest=s.digest,
                    officer=officers.get(s.officer_id, s.officer_id),
                    site=f"{s.site_id} {sites[s.site_id]}" if s.site_id in sites else s.site_id,
                )
                for s in steps
            ],
            steps_declared=row.steps_declared or 0,
            conclusion=row.conclusion or "",
            manifest_digest=row.manifest_digest or "",
            issued_at=issued_at,
            timezone=self.settings.timezone,
        )


def _officer_labels(officers: Iterable[dict[str, Any]]) -> dict[str, str]:
    return {o["officer_id"]: f"{o['name']} (credential {o['credential_no']})" for o in officers}
