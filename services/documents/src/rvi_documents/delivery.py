"""Service of documents (送达, DOMAIN 7) and the enterprise's word on them (GACC-RVI 5(III)).

Electronic service needs the enterprise's recorded consent and its signed confirmation of the
service address (送达地址确认书); the document is served when it reaches the enterprise (made
available through the API, notification sent) and read when the enterprise opens it. By mail:
tracking number and posting date, then served by the returned proof of service (送达回证) or the
registered-mail receipt, uploaded as a scan with its SHA-256. A refusal is recorded with its
reason, date and witness. Each service is announced with `rvi.document.delivered.v1`; a deadline
per document is watched by a timer."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from prometheus_client import Counter as MetricCounter
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from rvi_documents import forms
from rvi_documents.kinds import Kind
from rvi_documents.lifecycle import DELIVERY, DeliveryAction, DeliveryChannel, DeliveryState, DocumentState
from rvi_documents.models import Comment, Delivery, Document, ServiceAddress, Upload
from rvi_documents.service import DocumentsService
from rvi_documents.sniffing import sniff
from rvi_documents.uploads import PayloadTooLarge, UnsupportedMediaType
from rvi_shared.errors import Conflict, Unprocessable
from rvi_shared.events import payloads as p
from rvi_shared.rows import get_by_id

log = logging.getLogger("rvi.documents.service_of_documents")
SERVICE_OVERDUE = MetricCounter("rvi_documents_service_overdue_total", "Documents not served by their deadline")


class Service:
    def __init__(self, documents: DocumentsService) -> None:
        self.documents = documents
        self.session = documents.session

    # --- consent and address ---

    async def record_address(
        self, enterprise_id: str, consent: bool, address: str, confirmation_upload_id: str | None, recorded_by: str
    ) -> ServiceAddress:
        """The enterprise's consent to electronic service and its signed confirmation (an upload
        of its own: the scanned or signed 送达地址确认书)."""
        upload: Upload | None = None
        if confirmation_upload_id is not None:
            try:
                key = uuid.UUID(confirmation_upload_id)
            except ValueError:
                raise Unprocessable("not an upload id", field="confirmation_upload_id") from None
            upload = (await self.session.execute(select(Upload).where(Upload.upload_id == key))).scalar_one_or_none()
            if upload is None or upload.enterprise_id != enterprise_id:
                raise Unprocessable("no such upload of this enterprise", field="confirmation_upload_id")
        values = {
            "enterprise_id": enterprise_id,
            "consent": consent,
            "address": address,
            "confirmation_upload_id": upload.upload_id if upload else None,
            "confirmation_sha256": upload.sha256 if upload else None,
            "recorded_by": recorded_by,
            "recorded_at": self.documents.clock.now(),
        }
        await self.session.execute(
            insert(ServiceAddress).values(**values).on_conflict_do_update(index_elements=["enterprise_id"], set_=values)
        )
        row = await self.session.get(ServiceAddress, enterprise_id, populate_existing=True)
        assert row is not None
        return row

    # --- deliveries ---

    async def deliveries(self, document: Document) -> Sequence[Delivery]:
        stmt = select(Delivery).where(Delivery.document_id == document.document_id).order_by(Delivery.created_at)
        return (await self.session.execute(stmt)).scalars().all()

    async def delivery(self, delivery_id: str) -> Delivery:
        return await get_by_id(self.session, Delivery, delivery_id, what="delivery", for_update=True)

    async def serve_electronically(self, document: Document, recorded_by: str) -> Delivery:
        """409 without consent and a signed confirmation, or while the seal is awaited."""
        self._servable(document)
        address = await self.session.get(ServiceAddress, document.enterprise_id)
        if address is None or not address.consent or address.confirmation_upload_id is None:
            raise Conflict(
                "electronic service needs the enterprise's consent and its signed service address confirmation (送达地址确认书)",
                missing="consent" if address is None or not address.consent else "confirmation",
            )
        now = self.documents.clock.now()
        delivery = self._new(
            document, DeliveryChannel.ELECTRONIC, DeliveryState.SERVED, recorded_by, address=address.address
        )
        delivery.served_at = delivery.notified_at = now
        log.info(
            "document %s served electronically; the enterprise was notified at %s",
            document.document_id,
            address.address,
        )
        await self._served(document, delivery)
        return delivery

    async def post(
        self, document: Document, tracking_number: str, posted_at: datetime, address: str, recorded_by: str
    ) -> Delivery:
        self._servable(document)
        delivery = self._new(document, DeliveryChannel.MAIL, DeliveryState.POSTED, recorded_by, address=address)
        delivery.tracking_number = tracking_number
        delivery.posted_at = posted_at
        return delivery

    async def proof_returned(
        self, delivery: Delivery, proof_kind: str, content: bytes, served_at: datetime | None
    ) -> Delivery:
        """The returned proof of service or the registered-mail receipt (scan: PDF/JPEG/PNG)."""
        delivery.state = DELIVERY.transition(delivery.state, DeliveryAction.PROOF_RETURNED)  # 409 unless posted
        if len(content) > self.documents.settings.upload_max_bytes:
            raise PayloadTooLarge("the scan is too large", field="body")
        if sniff(content) is None:
            raise UnsupportedMediaType("the scan is not a PDF, JPEG or PNG file", field="body")
        delivery.proof = content
        delivery.proof_kind = proof_kind
        delivery.proof_sha256 = hashlib.sha256(content).hexdigest()
        delivery.served_at = served_at or self.documents.clock.now()
        document = await self.documents.get(str(delivery.document_id), for_update=True)
        await self._served(document, delivery)
        return delivery

    async def refused(
        self, document: Document, reason: str, witness: str, refused_at: datetime | None, recorded_by: str
    ) -> Delivery:
        self._servable(document)
        delivery = self._new(document, DeliveryChannel.MAIL, DeliveryState.REFUSED, recorded_by)
        delivery.refused_reason = reason
        delivery.witness = witness
        delivery.served_at = refused_at or self.documents.clock.now()
        await self._served(document, delivery)
        return delivery

    async def opened(self, document: Document) -> None:
        """The enterprise opened the document: its electronic service is read."""
        now = self.documents.clock.now()
        for delivery in await self.deliveries(document):
            if delivery.channel == DeliveryChannel.ELECTRONIC and DELIVERY.can(delivery.state, DeliveryAction.OPEN):
                delivery.read_at = now
                delivery.state = DELIVERY.transition(delivery.state, DeliveryAction.OPEN)
        if document.served_at is not None and document.read_at is None:
            document.read_at = now

    def _servable(self, document: Document) -> None:
        if document.state == DocumentState.AWAITING_SEAL:
            raise Conflict("the document waits for its seal and cannot be served yet", current_state=document.state)

    def _new(
        self,
        document: Document,
        channel: DeliveryChannel,
        state: DeliveryState,
        recorded_by: str,
        address: str | None = None,
    ) -> Delivery:
        delivery = Delivery(
            delivery_id=uuid.uuid4(), document_id=document.document_id, inspection_id=document.inspection_id,
            channel=channel, state=state, address=address, recorded_by=recorded_by, created_at=self.documents.clock.now(),
        )  # fmt: skip
        self.session.add(delivery)
        return delivery

    async def _served(self, document: Document, delivery: Delivery) -> None:
        assert delivery.served_at is not None
        if document.served_at is None:
            document.served_at = delivery.served_at
        now = self.documents.clock.now()
        await self.documents.outbox.emit(
            self.session,
            p.DocumentDelivered(
                document_id=str(document.document_id),
                inspection_id=document.inspection_id,
                channel=delivery.channel,  # type: ignore[arg-type]
                delivered_at=delivery.served_at,
                served_at=delivery.served_at,
                enterprise_id=document.enterprise_id,
                kind=document.kind,
                refused=delivery.state == DeliveryState.REFUSED,
                proof_sha256=delivery.proof_sha256,
            ),  # fmt: skip
            subject=document.inspection_id,
            time=now,
        )
        if delivery.channel == DeliveryChannel.ELECTRONIC or delivery.state == DeliveryState.REFUSED:
            inspection = await self.documents.inspection(document.inspection_id)
            tz = self.documents.settings.timezone
            await self.documents.issue(
                inspection, Kind.PROOF_OF_SERVICE, f"delivery:{delivery.delivery_id}", [],
                lambda base: forms.proof_of_service(base, inspection, document, delivery, tz),
            )  # fmt: skip

    async def flag_overdue(self) -> int:
        """Documents not served by their deadline: flagged once, logged and counted."""
        now = self.documents.clock.now()
        stmt = (
            select(Document)
            .where(Document.service_due_at <= now, Document.served_at.is_(None), Document.service_overdue_at.is_(None))
            .with_for_update(skip_locked=True)
            .limit(100)
        )
        overdue = (await self.session.execute(stmt)).scalars().all()
        for document in overdue:
            document.service_overdue_at = now
            SERVICE_OVERDUE.inc()
            log.warning(
                "document %s (%s) was not served by %s", document.document_id, document.number, document.service_due_at
            )
        return len(overdue)

    # --- comments and disputes ---

    def window_closes_at(self, document: Document) -> datetime:
        start = document.served_at or document.issued_at
        return start + timedelta(days=self.documents.settings.comment_window_days)

    async def comment(self, document: Document, author: str, text: str, dispute: bool, major: bool) -> Comment:
        """A comment on the findings within the window (served, else issued, + comment_window_days);
        a dispute emits `rvi.document.disputed.v1` (major: GACC-RVI 5(III)). 409 after the window."""
        now = self.documents.clock.now()
        closes = self.window_closes_at(document)
        if now > closes:
            raise Conflict(
                f"the window for comments closed at {closes.isoformat()}", window_closed_at=closes.isoformat()
            )
        comment = Comment(
            comment_id=uuid.uuid4(), document_id=document.document_id, inspection_id=document.inspection_id,
            author=author, text=text, dispute=dispute or major, major=major, created_at=now,
        )  # fmt: skip
        self.session.add(comment)
        if comment.dispute:
            await self.documents.outbox.emit(
                self.session,
                p.DocumentDisputed(
                    document_id=str(document.document_id),
                    inspection_id=document.inspection_id,
                    enterprise_id=document.enterprise_id,
                    major=major,
                    reason=text,
                    disputed_at=now,
                ),  # fmt: skip
                subject=document.inspection_id,
                time=now,
            )
        return comment

    async def comments(self, document: Document) -> Sequence[Comment]:
        stmt = select(Comment).where(Comment.document_id == document.document_id).order_by(Comment.created_at)
        return (await self.session.execute(stmt)).scalars().all()
