from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from rvi_documents.dependencies import documents_service
from rvi_documents.models import Document
from rvi_documents.schemas import DocumentOut, SignRequest
from rvi_documents.service import DocumentsService
from rvi_shared.auth import Principal, Role, ensure_enterprise_access, require_roles

router = APIRouter(prefix="/v1", tags=["documents"])

Service = Annotated[DocumentsService, Depends(documents_service)]
Readers = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.SYSTEM, Role.ENTERPRISE)


def to_out(document: Document) -> DocumentOut:
    return DocumentOut(
        document_id=str(document.document_id),
        inspection_id=document.inspection_id,
        enterprise_id=document.enterprise_id,
        session_id=document.session_id,
        kind=document.kind,
        state=document.state,
        sha256=document.sha256,
        size_bytes=document.size_bytes,
        issued_at=document.issued_at,
        signed_at=document.signed_at,
        signer_name=document.signer_name,
        seal=document.seal,
        signed_sha256=document.signed_sha256,
        signature=document.signature,
        completed_at=document.completed_at,
        pdf_url=f"/v1/documents/{document.document_id}/pdf",
    )


@router.get("/documents/{document_id}", response_model=DocumentOut)
async def get_document(document_id: str, service: Service, principal: Principal = Depends(Readers)) -> DocumentOut:
    document = await service.get(document_id)
    ensure_enterprise_access(principal, document.enterprise_id)
    return to_out(document)


@router.get(
    "/documents/{document_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the PDF as issued"}},
)
async def get_document_pdf(document_id: str, service: Service, principal: Principal = Depends(Readers)) -> Response:
    document = await service.get(document_id, with_pdf=True)
    ensure_enterprise_access(principal, document.enterprise_id)
    return Response(
        content=document.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{document.kind}-{document.document_id}.pdf"',
            "ETag": f'"{document.sha256}"',
        },
    )


@router.get("/inspections/{inspection_id}/documents", response_model=list[DocumentOut])
async def list_documents(
    inspection_id: str, service: Service, principal: Principal = Depends(Readers)
) -> list[DocumentOut]:
    inspection = await service.inspection(inspection_id)
    ensure_enterprise_access(principal, inspection.enterprise_id)
    return [to_out(d) for d in await service.documents_of(inspection)]


@router.post("/documents/{document_id}/sign", response_model=DocumentOut)
async def sign_document(
    document_id: str,
    body: SignRequest,
    service: Service,
    principal: Principal = Depends(require_roles(Role.ENTERPRISE)),
) -> DocumentOut:
    """The enterprise of the document signs and seals it (GACC-RVI 4(IV)); emits
    `rvi.document.signed.v1` then `rvi.document.completed.v1`. A second signature is 409."""
    document = await service.get(document_id, for_update=True, with_pdf=True)
    ensure_enterprise_access(principal, document.enterprise_id)
    return to_out(await service.sign(document, body, principal.subject))
