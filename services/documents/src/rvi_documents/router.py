from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from rvi_documents.delivery import Service as ServiceOfDocuments
from rvi_documents.dependencies import documents_service, pki
from rvi_documents.models import Document
from rvi_documents.pki.runtime import Pki
from rvi_documents.pki.verification import VerificationReport
from rvi_documents.schemas import DocumentOut, RevisionOut, SignerOut, SignRequest, VerificationOut
from rvi_documents.service import DocumentsService
from rvi_documents.signing import Signatures
from rvi_shared.auth import Principal, Role, ensure_enterprise_access, require_roles
from rvi_shared.db import Row
from rvi_shared.errors import DomainError, Forbidden, NotFound, Unprocessable

router = APIRouter(prefix="/v1", tags=["documents"])

Service = Annotated[DocumentsService, Depends(documents_service)]
Readers = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.SYSTEM, Role.ENTERPRISE)
MAX_VERIFY_BYTES = 50 * 1024 * 1024


class PayloadTooLarge(DomainError):
    status_code = 413


def to_out(document: Document | Row) -> DocumentOut:
    """`document`: the ORM row or the driver's (the same columns)."""
    base = f"/v1/documents/{document.document_id}"
    return DocumentOut(
        document_id=str(document.document_id),
        inspection_id=document.inspection_id,
        enterprise_id=document.enterprise_id,
        session_id=document.session_id,
        kind=document.kind,
        number=document.number,
        state=document.state,
        sha256=document.sha256,
        size_bytes=document.size_bytes,
        revision=document.revision,
        current_sha256=document.current_sha256,
        signed_slots=list(document.signed_slots or []),
        expected_signers=[
            SignerOut(key=s.key, label_zh=s.label_zh, label_en=s.label_en) for s in DocumentsService.expected(document)
        ],
        seal_attempts=document.seal_attempts,
        seal_error=document.seal_error,
        issued_at=document.issued_at,
        signed_at=document.signed_at,
        signer_name=document.signer_name,
        seal=document.seal,
        signed_sha256=document.current_sha256 if document.signed_at is not None else None,
        completed_at=document.completed_at,
        service_due_at=document.service_due_at,
        served_at=document.served_at,
        read_at=document.read_at,
        service_overdue_at=document.service_overdue_at,
        pdf_url=f"{base}/pdf",
        verification_url=f"{base}/verification",
    )


def to_verification(report: VerificationReport, pdf: bytes) -> VerificationOut:
    return VerificationOut(**dict(report), sha256=hashlib.sha256(pdf).hexdigest())


def _remote(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.get("/documents/{document_id}", response_model=DocumentOut)
async def get_document(document_id: str, service: Service, principal: Principal = Depends(Readers)) -> DocumentOut:
    document = await service.get(document_id)
    ensure_enterprise_access(principal, document.enterprise_id)
    return to_out(document)


def _pdf_response(document: Document, pdf: bytes, revision: int) -> Response:
    return Response(
        content=pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{document.kind}-{document.document_id}-r{revision}.pdf"',
            "ETag": f'"{hashlib.sha256(pdf).hexdigest()}"',
        },
    )


@router.get(
    "/documents/{document_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the latest revision"}},
)
async def get_document_pdf(document_id: str, service: Service, principal: Principal = Depends(Readers)) -> Response:
    """The latest revision; opened by the enterprise, its electronic service is read (DOMAIN 7)."""
    document = await service.get(document_id, for_update=principal.role is Role.ENTERPRISE)
    ensure_enterprise_access(principal, document.enterprise_id)
    if principal.role is Role.ENTERPRISE:
        await ServiceOfDocuments(service).opened(document)
    return _pdf_response(document, await service.pdf(document), document.revision)


@router.get("/documents/{document_id}/revisions", response_model=list[RevisionOut])
async def list_revisions(
    document_id: str, service: Service, principal: Principal = Depends(Readers)
) -> list[RevisionOut]:
    document = await service.get(document_id)
    ensure_enterprise_access(principal, document.enterprise_id)
    return [
        RevisionOut(
            number=r.number,
            sha256=r.sha256,
            size_bytes=r.size_bytes,
            slot=r.slot,
            signer_subject=r.signer_subject,
            signer_name=r.signer_name,
            remote_addr=r.remote_addr,
            created_at=r.created_at,
            pdf_url=f"/v1/documents/{document.document_id}/revisions/{r.number}/pdf",
        )  # fmt: skip
        for r in await service.repo.revisions(document.document_id)
    ]


@router.get(
    "/documents/{document_id}/revisions/{number}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "one revision, as stored"}},
)
async def get_revision_pdf(
    document_id: str, number: int, service: Service, principal: Principal = Depends(Readers)
) -> Response:
    document = await service.get(document_id)
    ensure_enterprise_access(principal, document.enterprise_id)
    if not 0 <= number <= document.revision:
        raise NotFound(f"document {document_id} has no revision {number}")
    return _pdf_response(document, await service.repo.revision_pdf(document.document_id, number), number)


@router.get(
    "/sessions/{session_id}/manifest-timestamp",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "RFC 3161 TimeStampToken (DER)"}},
)
async def get_manifest_timestamp(
    session_id: str, service: Service, principal: Principal = Depends(Readers)
) -> Response:
    """The RFC 3161 time-stamp token over the session's signed evidence manifest digest (SHA-256
    of the manifest as signed by the gateway); verify with
    `openssl ts -verify -digest <manifest_digest> -token_in -in token.tst -CAfile root.pem`."""
    row = await service.repo.manifest_timestamp(session_id)
    if row is None or row.manifest_timestamp is None:
        raise NotFound(f"no time-stamped manifest for session {session_id!r}")
    ensure_enterprise_access(principal, row.enterprise_id)
    return Response(
        row.manifest_timestamp,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{session_id}-manifest.tst"'},
    )


@router.get("/inspections/{inspection_id}/documents", response_model=list[DocumentOut])
async def list_documents(
    inspection_id: str, service: Service, principal: Principal = Depends(Readers)
) -> list[DocumentOut]:
    inspection = await service.inspection_view(inspection_id)
    ensure_enterprise_access(principal, inspection.enterprise_id)
    return [to_out(d) for d in await service.repo.documents_view(inspection.id)]


@router.post("/documents/{document_id}/officer-signature", response_model=DocumentOut)
async def sign_as_officer(
    document_id: str, request: Request, service: Service, principal: Principal = Depends(require_roles(Role.OFFICER))
) -> DocumentOut:
    """An officer of the team signs (PAdES B-T, an incremental revision; GACC-RVI 4(IV)). 409
    naming the expected signer when it is not this officer's turn or the officer has signed."""
    if not principal.credential_no:
        raise Forbidden("the officer's token carries no enforcement credential number")
    document = await service.document_to_sign(document_id)
    await Signatures(service).sign_as_officer(document, principal.credential_no, _remote(request))
    await service.repo.save_signed(document)
    return to_out(document)


@router.post("/documents/{document_id}/sign", response_model=DocumentOut)
async def sign_document(
    document_id: str,
    body: SignRequest,
    request: Request,
    service: Service,
    principal: Principal = Depends(require_roles(Role.ENTERPRISE)),
) -> DocumentOut:
    """The enterprise accepts the document and the platform applies the enterprise's seal held
    for it, with the signing audit (GACC-RVI 4(IV)); emits `rvi.document.signed.v1`, then
    `rvi.document.completed.v1` when it was the last signature. 409 naming the expected signer
    when the officers have not all signed yet, or when the enterprise has already signed."""
    document = await service.document_to_sign(document_id)
    ensure_enterprise_access(principal, document.enterprise_id)
    await Signatures(service).accept_as_enterprise(
        document, body.signer_name, body.seal, principal.subject, _remote(request)
    )
    await service.repo.save_signed(document)
    return to_out(document)


@router.put(
    "/documents/{document_id}/enterprise-revision",
    response_model=DocumentOut,
    openapi_extra={"requestBody": {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}},
)
async def upload_signed_revision(
    document_id: str,
    request: Request,
    service: Service,
    principal: Principal = Depends(require_roles(Role.ENTERPRISE)),
) -> DocumentOut:
    """The enterprise's own signature or seal: the current PDF (`/pdf`) signed by the enterprise's
    certificate in the `enterprise` field, as an incremental revision, time-stamped. 422 with the
    reason when the chain is not trusted, a signature is broken or the content was changed; 409
    naming the expected signer when it is not the enterprise's turn."""
    pdf = await request.body()
    if len(pdf) > MAX_VERIFY_BYTES:
        raise PayloadTooLarge(f"the PDF exceeds {MAX_VERIFY_BYTES} bytes", field="body")
    document = await service.document_to_sign(document_id)
    ensure_enterprise_access(principal, document.enterprise_id)
    await Signatures(service).accept_signed_revision(document, pdf, principal.subject, _remote(request))
    await service.repo.save_signed(document)
    return to_out(document)


@router.get("/documents/{document_id}/verification", response_model=VerificationOut)
async def verify_document(
    document_id: str, service: Service, principal: Principal = Depends(Readers)
) -> VerificationOut:
    """Verification of the latest revision: every signature valid, chain trusted, time-stamps
    valid, no change after the last signature."""
    document = await service.get(document_id)
    ensure_enterprise_access(principal, document.enterprise_id)
    pdf = await service.pdf(document)
    return to_verification(await service.pki.verify(pdf), pdf)


@router.post(
    "/verifications",
    response_model=VerificationOut,
    openapi_extra={"requestBody": {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}},
)
async def verify_upload(
    request: Request, the_pki: Pki = Depends(pki), principal: Principal = Depends(Readers)
) -> VerificationOut:
    """Verify any PDF sent as the body (application/pdf) against the configured trust roots."""
    pdf = await request.body()
    if not pdf:
        raise Unprocessable("the body must be the PDF to verify", field="body")
    if len(pdf) > MAX_VERIFY_BYTES:
        raise PayloadTooLarge(f"the PDF exceeds {MAX_VERIFY_BYTES} bytes", field="body")
    return to_verification(await the_pki.verify(pdf), pdf)
