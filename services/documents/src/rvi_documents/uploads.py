"""Pre-inspection submissions (GACC-RVI 4(II)) and their marked copies (DOMAIN 7).

The enterprise uploads what the advance notice asks for; each upload is kept with its bytes,
SHA-256, detected type, who and when, and announced with `rvi.document.uploaded.v1` so that
scheduling can gate readiness on it. During the session an officer marks an upload as verified
against the original, which issues a marked copy (本件与原件一致，核对无误) for the
representative to sign."""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import undefer

from rvi_documents import forms
from rvi_documents.kinds import Kind, Officer
from rvi_documents.models import Document, Upload
from rvi_documents.service import DocumentsService
from rvi_documents.sniffing import page_count, sniff
from rvi_shared.errors import Conflict, DomainError, Forbidden
from rvi_shared.events import payloads as p
from rvi_shared.rows import get_by_id

UPLOAD_KINDS = (
    "identity_document",
    "power_of_attorney",
    "business_licence",
    "planting_records",
    "input_records",
    "other",
)


class UnsupportedMediaType(DomainError):
    status_code = 415


class PayloadTooLarge(DomainError):
    status_code = 413


class Uploads:
    def __init__(self, documents: DocumentsService) -> None:
        self.documents = documents
        self.session = documents.session

    async def get(self, upload_id: str, with_content: bool = False, for_update: bool = False) -> Upload:
        content = [undefer(Upload.content)] if with_content else []
        return await get_by_id(self.session, Upload, upload_id, what="upload", for_update=for_update, options=content)

    async def of(self, inspection_id: str) -> Sequence[Upload]:
        stmt = select(Upload).where(Upload.inspection_id == inspection_id).order_by(Upload.uploaded_at)
        return (await self.session.execute(stmt)).scalars().all()

    async def submit(
        self,
        inspection_id: str,
        kind: str,
        filename: str | None,
        declared_type: str | None,
        content: bytes,
        uploaded_by: str,
    ) -> Upload:
        """Store a submission. 415 when the bytes are not PDF/JPEG/PNG or not the declared type,
        413 over the size limit. Emits `rvi.document.uploaded.v1`."""
        settings = self.documents.settings
        if len(content) > settings.upload_max_bytes:
            raise PayloadTooLarge(f"the upload exceeds {settings.upload_max_bytes} bytes", field="body")
        if not content:
            raise UnsupportedMediaType("the upload is empty", field="body")
        mime = sniff(content)
        if mime is None:
            raise UnsupportedMediaType("the bytes are not a PDF, JPEG or PNG file", field="body")
        declared = (declared_type or "").split(";")[0].strip().lower()
        if declared and declared != "application/octet-stream" and declared != mime:
            raise UnsupportedMediaType(f"declared {declared} but the bytes are {mime}", field="Content-Type")
        inspection = await self.documents.inspection(inspection_id)
        now = self.documents.clock.now()
        upload = Upload(
            upload_id=uuid.uuid4(),
            inspection_id=inspection.id,
            enterprise_id=inspection.enterprise_id,
            kind=kind,
            filename=filename,
            content_type=mime,
            size_bytes=len(content),
            pages=page_count(content, mime),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            uploaded_by=uploaded_by,
            uploaded_at=now,
        )
        self.session.add(upload)
        await self.documents.outbox.emit(
            self.session,
            p.DocumentUploaded(
                upload_id=str(upload.upload_id),
                inspection_id=inspection.id,
                enterprise_id=inspection.enterprise_id,
                kind=kind,  # type: ignore[arg-type]
                content_type=mime,
                size_bytes=len(content),
                sha256=upload.sha256,
                uploaded_by=uploaded_by,
                uploaded_at=now,
            ),
            subject=inspection.id,
            time=now,
        )
        return upload

    async def mark_verified(self, upload: Upload, credential_no: str, original_location: str | None) -> Document:
        """An officer has checked the upload against the original: the marked copy is issued
        (customs seal, this officer, then the representative). 409 when already marked."""
        if upload.marked_copy_id is not None:
            raise Conflict(f"upload {upload.upload_id} was already marked", marked_copy_id=str(upload.marked_copy_id))
        # Locked: a session's end issuing the closing set meanwhile must see this copy to announce
        # it, or this copy must see the end (announced at once).
        inspection = await self.documents.inspection(upload.inspection_id, for_update=True)
        team = [*(inspection.team or []), *inspection.officers]
        officer = next((o for o in team if o["credential_no"] == credential_no), None)
        if officer is None:
            raise Forbidden(f"officer {credential_no} is not in the team of {inspection.id}")
        upload.verified_at = self.documents.clock.now()
        upload.verified_by = f"{officer['name']}（执法证号 {credential_no}）"
        upload.original_location = original_location
        tz = self.documents.settings.timezone
        with tempfile.TemporaryDirectory() as tmp:
            image: str | None = None
            if upload.content_type in ("image/jpeg", "image/png"):
                path = Path(tmp) / ("copy.jpg" if upload.content_type == "image/jpeg" else "copy.png")
                path.write_bytes(upload.content)
                image = str(path)
            document = await self.documents.issue(
                inspection, Kind.MARKED_COPY, f"upload:{upload.upload_id}",
                [Officer(officer["name"], credential_no)],
                lambda base: forms.marked_copy(base, inspection, upload, upload.verified_by or "", image, tz),
            )  # fmt: skip
        assert document is not None
        upload.marked_copy_id = document.document_id
        return document
