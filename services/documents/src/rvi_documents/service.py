"""Documents of a verification (GACC-RVI 4(IV); DOMAIN 7): the projection of inspections and
sessions, issuing (number, render, announce), the customs seal, completion and the evidence
manifest's time-stamp. Signatures after the seal are in `signing`, service in `delivery`,
uploads in `uploads`. Handlers own the transaction; nothing here commits."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from prometheus_client import Counter as MetricCounter
from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_documents import forms
from rvi_documents.kinds import (
    CUSTOMS_SEAL,
    SPECS,
    Kind,
    Officer,
    next_expected,
    office_names,
    signing_order,
    slots_from_json,
    slots_to_json,
)
from rvi_documents.lifecycle import DocumentAction, DocumentState, transition
from rvi_documents.models import Document, Inspection, InspectionSession
from rvi_documents.pki.runtime import Pki, StampText
from rvi_documents.pki.signers import SignerRef
from rvi_documents.pki.timestamps import TsaUnavailable
from rvi_documents.pki.verification import VerificationReport
from rvi_documents.rendering import Slot
from rvi_documents.repository import DocumentsRepository
from rvi_documents.settings import DocumentsSettings
from rvi_shared.clock import Clock
from rvi_shared.db import Row
from rvi_shared.errors import Conflict, NotFound
from rvi_shared.events import payloads as p
from rvi_shared.messaging.outbox import Outbox
from rvi_shared.rows import get_by_id, not_found, parse_key

log = logging.getLogger("rvi.documents")

SEAL_FAILURES = MetricCounter("rvi_documents_seal_failures_total", "Seals not applied because the TSA failed")
MANIFEST_TIMESTAMP_FAILURES = MetricCounter(
    "rvi_documents_manifest_timestamp_failures_total", "Evidence manifests not time-stamped because the TSA failed"
)
AWAITING_SEAL = Gauge("rvi_documents_awaiting_seal", "Documents waiting for their time-stamped seal")

INSPECTION_RECORD = Kind.INSPECTION_RECORD.value
DOCUMENT_COLUMNS = tuple(c.key for c in Document.__table__.columns)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class DocumentsService:
    def __init__(
        self, session: AsyncSession, outbox: Outbox, clock: Clock, settings: DocumentsSettings, pki: Pki
    ) -> None:
        self.session = session
        self.repo = DocumentsRepository(session)
        self.outbox = outbox
        self.clock = clock
        self.settings = settings
        self.pki = pki

    # --- reads ---

    async def get(self, document_id: str, for_update: bool = False) -> Document:
        return await get_by_id(self.session, Document, document_id, what="document", for_update=for_update)

    async def document_to_sign(self, document_id: str) -> Document:
        """Locked FOR UPDATE, outside the session: its changes are saved by `repo.save_signed`."""
        document = await self.repo.document_to_sign(parse_key(Document, document_id, "document"))
        if document is None:
            raise not_found("document", document_id)
        return document

    async def pdf(self, document: Document) -> bytes:
        """The latest revision's bytes."""
        return await self.repo.revision_pdf(document.document_id, document.revision)

    async def inspection(self, inspection_id: str, for_update: bool = False) -> Inspection:
        inspection = await self.repo.inspection(inspection_id, for_update=for_update)
        if inspection is None:
            raise NotFound(f"inspection {inspection_id!r} not found")
        return inspection

    async def inspection_view(self, inspection_id: str) -> Inspection:
        """The inspection as read, not locked and outside the session (for reading only)."""
        inspection = await self.repo.inspection_view(inspection_id)
        if inspection is None:
            raise NotFound(f"inspection {inspection_id!r} not found")
        return inspection

    async def documents_of(self, inspection: Inspection) -> Sequence[Document]:
        return await self.repo.documents_of(inspection.id)

    async def verify(self, document: Document) -> VerificationReport:
        return await self.pki.verify(await self.pdf(document))

    @staticmethod
    def order(document: Document | Row) -> list[list[Slot]]:
        return slots_from_json(document.signing_order or [])

    @classmethod
    def expected(cls, document: Document | Row) -> list[Slot]:
        if document.state == DocumentState.COMPLETED:
            return []
        return next_expected(cls.order(document), set(document.signed_slots or []))

    # --- issuing ---

    def _local_year(self, moment: datetime) -> int:
        return moment.astimezone(ZoneInfo(self.settings.timezone)).year

    async def issue(
        self,
        inspection: Inspection,
        kind: Kind,
        scope: str,
        officers: Sequence[Officer],
        build: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> Document | None:
        """Number, render, store revision 0, announce, and seal. None when it already exists."""
        if await self.repo.has_document(inspection.id, kind, scope):
            return None
        spec = SPECS[kind]
        issued_at = self.clock.now()
        number = await self.repo.next_number(inspection.customs, self._local_year(issued_at), kind)
        order = signing_order(spec, officers)
        issuer_zh, _ = office_names(inspection.customs)
        year = self._local_year(issued_at)
        label = f"{issuer_zh.removesuffix('海关')}关{spec.abbreviation}〔{year}〕{number:04d}号"
        data = build(forms.header(kind, inspection.customs, label, order))
        pdf = await asyncio.to_thread(self.pki.renderer.render, kind.value, data, issued_at)
        document_id = uuid.uuid4()
        sha256 = sha256_hex(pdf)
        # A marked copy made during the session is announced with the closing set, so that the
        # inspection never looks complete before its record exists.
        announced = spec.gates_completion and (
            kind != Kind.MARKED_COPY or await self.repo.has_ended_session(inspection.id)
        )
        values: dict[str, Any] = dict.fromkeys(DOCUMENT_COLUMNS) | {
            "document_id": document_id,
            "inspection_id": inspection.id,
            "enterprise_id": inspection.enterprise_id,
            "session_id": scope,
            "kind": kind.value,
            "number": label,
            "customs": inspection.customs,
            "state": DocumentState.AWAITING_SEAL.value,
            "sha256": sha256,
            "size_bytes": len(pdf),
            "revision": 0,
            "current_sha256": sha256,
            "signing_order": slots_to_json(order),
            "signed_slots": [],
            "seal_attempts": 0,
            # in UTC, as the driver reads them back
            "next_seal_at": issued_at.astimezone(UTC),
            "issued_at": issued_at.astimezone(UTC),
            "service_due_at": None
            if kind == Kind.PROOF_OF_SERVICE
            else (issued_at + timedelta(days=self.settings.service_deadline_days)).astimezone(UTC),
            "announced": announced,
        }
        if not await self.repo.insert_document(values):
            raise Conflict(f"{kind} of {inspection.id} for {scope} was issued concurrently")  # rolls the number back
        await self.repo.add_revision(document_id, 0, pdf, sha256, issued_at)
        document = self.repo.attach_inserted(Document(**values))
        if document.announced:
            await self._announce(document)
        await self.seal(document, pdf)
        return document

    async def _announce(self, document: Document) -> None:
        document.announced = True
        await self.outbox.emit(
            self.session,
            p.DocumentIssued(
                document_id=str(document.document_id),
                inspection_id=document.inspection_id,
                enterprise_id=document.enterprise_id,
                kind=document.kind,
                sha256=document.sha256,
                issued_at=document.issued_at,
            ),
            subject=document.inspection_id,
            time=self.clock.now(),
        )
        if document.state == DocumentState.COMPLETED:
            await self._emit_completed(document)

    async def seal(self, document: Document, pdf: bytes | None = None) -> bool:
        """The customs seal's certification signature, time-stamped. A TSA failure leaves the
        document in `awaiting_seal` with its next attempt scheduled (metric and log)."""
        pdf = pdf if pdf is not None else await self.repo.revision_pdf(document.document_id, 0)
        issuer_zh, issuer_en = office_names(document.customs or "")
        ref = SignerRef(CUSTOMS_SEAL, document.customs or "", f"{issuer_zh} {issuer_en}", issuer_zh)
        now = self.clock.now()
        try:
            certified = await self.pki.certify(
                pdf,
                [s for group in self.order(document) for s in group],
                ref,
                reason=f"{SPECS[Kind(document.kind)].title_zh} {document.number}",
                location=issuer_zh,
                text=StampText(
                    f"{issuer_zh} 印章",
                    [issuer_en, document.number or "", forms.local_time(now, self.settings.timezone)],
                ),
            )
        except TsaUnavailable as error:
            document.seal_attempts += 1
            delay = min(self.settings.seal_retry_s * 2 ** (document.seal_attempts - 1), self.settings.seal_retry_max_s)
            document.next_seal_at = now + timedelta(seconds=delay)
            document.seal_error = str(error)
            SEAL_FAILURES.inc()
            log.warning(
                "document %s waits for its seal (attempt %d, next in %.0f s): %s",
                document.document_id, document.seal_attempts, delay, error,
            )  # fmt: skip
            return False
        document.state = transition(document.state, DocumentAction.SEAL)
        document.next_seal_at = None
        document.seal_error = None
        await self.add_revision(document, certified, CUSTOMS_SEAL, ref.common_name, ref.common_name, None)
        if not self.expected(document):
            await self.complete(document)
        return True

    async def add_revision(
        self, document: Document, pdf: bytes, slot: str, subject: str, name: str | None, remote_addr: str | None
    ) -> str:
        sha256 = sha256_hex(pdf)
        document.revision += 1
        document.current_sha256 = sha256
        document.signed_slots = [*(document.signed_slots or []), slot]
        await self.repo.add_revision(
            document.document_id, document.revision, pdf, sha256, self.clock.now(),
            slot=slot, signer_subject=subject, signer_name=name, remote_addr=remote_addr,
        )  # fmt: skip
        return sha256

    async def complete(self, document: Document) -> None:
        document.state = transition(document.state, DocumentAction.COMPLETE)
        document.completed_at = self.clock.now()
        if SPECS[Kind(document.kind)].gates_completion and document.announced:
            await self._emit_completed(document)

    async def _emit_completed(self, document: Document) -> None:
        now = self.clock.now()
        await self.outbox.emit(
            self.session,
            p.DocumentCompleted(
                document_id=str(document.document_id),
                inspection_id=document.inspection_id,
                enterprise_id=document.enterprise_id,
                completed_at=now,
            ),
            subject=document.inspection_id,
            time=now,
        )

    async def retry_manifest_timestamps(self) -> int:
        """Time-stamp the evidence manifests that the TSA could not take (timer)."""
        done = 0
        for row in await self.repo.sessions_without_timestamp():
            done += await self.timestamp_manifest(row)
        return done

    async def retry_due_seal(self) -> bool:
        """Seal one document whose retry is due (timer); False when none is due."""
        document = await self.repo.claim_due_seal(self.clock.now())
        if document is None:
            return False
        await self.seal(document)
        return True

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
        await self._issue_overtaken_closing_sets(inspection)

    async def _issue_overtaken_closing_sets(self, inspection: Inspection) -> None:
        """Sessions whose end overtook the request or the schedule (a replay from the beginning reads
        topics in any order): their closing set is issued once the inspection and its slot are known."""
        if inspection.enterprise_id is None or inspection.slot_start is None:
            return
        if not await self.repo.has_ended_session(inspection.id):  # as a rule: checked on the driver
            return
        for row in await self.repo.ended_sessions(inspection.id):
            await self.issue_closing_set(inspection, row)

    async def on_scheduled(self, inspection: Inspection, scheduled: p.InspectionScheduled) -> None:
        inspection.team = [o.model_dump(mode="json") for o in scheduled.team]
        inspection.slot_start, inspection.slot_end = scheduled.slot_start, scheduled.slot_end
        inspection.updated_at = self.clock.now()
        await self.issue(
            inspection, Kind.ADVANCE_NOTICE, f"notice:{scheduled.slot_start.isoformat()}", [],
            lambda base: forms.advance_notice(base, inspection, self.settings.timezone),
        )  # fmt: skip
        await self._issue_overtaken_closing_sets(inspection)

    async def on_rescheduled(self, inspection: Inspection, rescheduled: p.InspectionRescheduled) -> None:
        inspection.slot_start, inspection.slot_end = rescheduled.slot_start, rescheduled.slot_end
        inspection.updated_at = self.clock.now()
        await self.issue(
            inspection, Kind.ADVANCE_NOTICE, f"notice:{rescheduled.slot_start.isoformat()}", [],
            lambda base: forms.advance_notice(base, inspection, self.settings.timezone),
        )  # fmt: skip

    async def _session_row(self, session_id: str, inspection_id: str, enterprise_id: str) -> InspectionSession:
        row = await self.repo.inspection_session(session_id)
        if row is None:
            row = InspectionSession(
                session_id=session_id, inspection_id=inspection_id, enterprise_id=enterprise_id, officers=[]
            )
            self.repo.add(row)
            await self.session.flush()  # seen by the next event of the same batch
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
        row.results = [r.model_dump(mode="json") for r in ended.results]
        return row

    async def on_session_ended(self, inspection: Inspection, ended: p.SessionEnded) -> bool:
        """Record the end and issue the closing set (GACC-RVI 4(IV)): the inspection record, the
        rectification notice when an item is non-conforming, and the closing work record; once per
        session, whatever the number of deliveries. False when it had already been issued."""
        row = await self.record_session_end(ended)
        await self.session.flush()
        if inspection.slot_start is None:  # the end overtook the schedule: issued when it arrives
            return False
        return await self.issue_closing_set(inspection, row)

    async def timestamp_manifest(self, row: InspectionSession) -> bool:
        """An RFC 3161 time-stamp over the session's signed evidence manifest digest (SHA-256),
        kept with the session and named on the inspection record. A TSA that is down leaves it
        for the timer; False then."""
        digest = row.manifest_digest or ""
        if row.manifest_timestamped_at is not None or len(digest) != 64:
            return row.manifest_timestamped_at is not None
        try:
            token = await self.pki.timestamper.async_timestamp(bytes.fromhex(digest), "sha256")
        except (TsaUnavailable, ValueError) as error:
            MANIFEST_TIMESTAMP_FAILURES.inc()
            log.warning("evidence manifest of session %s waits for its time-stamp: %s", row.session_id, error)
            return False
        row.manifest_timestamp = token.dump()
        row.manifest_timestamped_at = token["content"]["encap_content_info"]["content"].parsed["gen_time"].native
        return True

    async def issue_closing_set(self, inspection: Inspection, row: InspectionSession) -> bool:
        if await self.repo.has_document(inspection.id, INSPECTION_RECORD, row.session_id):
            return False
        await self.timestamp_manifest(row)
        team = [
            Officer(o["name"], o["credential_no"]) for o in (row.officers or inspection.team or inspection.officers)
        ]
        steps = await self.repo.steps(inspection.id, row.session_id)
        tz = self.settings.timezone
        drawn_up: list[dict[str, str]] = []
        record = await self.issue(
            inspection, Kind.INSPECTION_RECORD, row.session_id, team,
            lambda base: forms.inspection_record(base, inspection, row, steps, tz),
        )  # fmt: skip
        assert record is not None
        drawn_up.append(
            {
                "title_zh": SPECS[Kind.INSPECTION_RECORD].title_zh,
                "title_en": SPECS[Kind.INSPECTION_RECORD].title_en,
                "number": record.number or "",
            }
        )
        if forms.findings(row.results or [], inspection.checklist_items):
            assert row.ended_at is not None
            deadline = row.ended_at + timedelta(days=self.settings.rectification_days)
            notice = await self.issue(
                inspection, Kind.RECTIFICATION_NOTICE, row.session_id, [],
                lambda base: forms.rectification_notice(base, inspection, row, deadline, self.settings.comment_window_days, tz),
            )  # fmt: skip
            assert notice is not None
            spec = SPECS[Kind.RECTIFICATION_NOTICE]
            drawn_up.append({"title_zh": spec.title_zh, "title_en": spec.title_en, "number": notice.number or ""})
        for document in await self.repo.documents_of(inspection.id):
            if document.kind == Kind.MARKED_COPY and not document.announced:
                await self._announce(document)
                drawn_up.append(
                    {
                        "title_zh": SPECS[Kind.MARKED_COPY].title_zh,
                        "title_en": SPECS[Kind.MARKED_COPY].title_en,
                        "number": document.number or "",
                    }
                )
        await self.issue(
            inspection, Kind.WORK_RECORD, row.session_id, team,
            lambda base: forms.work_record(base, inspection, row, drawn_up, tz),
        )  # fmt: skip
        return True
