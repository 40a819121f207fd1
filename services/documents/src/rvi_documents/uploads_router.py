"""Pre-inspection uploads (GACC-RVI 4(II)) and marked copies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from rvi_documents.dependencies import documents_service
from rvi_documents.models import Upload
from rvi_documents.router import DocumentOut, to_out
from rvi_documents.service import DocumentsService
from rvi_documents.uploads import PayloadTooLarge, Uploads
from rvi_shared.auth import Principal, Role, ensure_enterprise_access, require_roles
from rvi_shared.errors import Forbidden

router = APIRouter(prefix="/v1", tags=["uploads"])
Documents = Annotated[DocumentsService, Depends(documents_service)]
Readers = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.SYSTEM, Role.ENTERPRISE)
UploadKind = Literal[
    "identity_document", "power_of_attorney", "business_licence", "planting_records", "input_records", "other"
]


class UploadOut(BaseModel):
    upload_id: str
    inspection_id: str
    enterprise_id: str
    kind: str
    filename: str | None
    content_type: str = Field(description="detected from the bytes")
    size_bytes: int
    pages: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime
    verified_at: datetime | None
    verified_by: str | None
    marked_copy_id: str | None
    content_url: str


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    original_location: str | None = Field(
        default=None, max_length=500, description="where the original carrier is kept"
    )


def _out(row: Upload) -> UploadOut:
    return UploadOut(
        upload_id=str(row.upload_id), inspection_id=row.inspection_id, enterprise_id=row.enterprise_id, kind=row.kind,
        filename=row.filename, content_type=row.content_type, size_bytes=row.size_bytes, pages=row.pages,
        sha256=row.sha256, uploaded_by=row.uploaded_by, uploaded_at=row.uploaded_at, verified_at=row.verified_at,
        verified_by=row.verified_by, marked_copy_id=str(row.marked_copy_id) if row.marked_copy_id else None,
        content_url=f"/v1/uploads/{row.upload_id}/content",
    )  # fmt: skip


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the upload exceeds {limit} bytes", field="body")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the upload exceeds {limit} bytes", field="body")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/inspections/{inspection_id}/uploads",
    response_model=UploadOut,
    status_code=201,
    openapi_extra={"requestBody": {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}}},
)
async def submit(
    inspection_id: str,
    request: Request,
    documents: Documents,
    kind: UploadKind = Query(description="what the advance notice asked for"),
    filename: str | None = Query(default=None, max_length=255),
    principal: Principal = Depends(require_roles(Role.ENTERPRISE)),
) -> UploadOut:
    """The raw file as the body. 415 when the bytes are not PDF/JPEG/PNG or not the declared
    Content-Type, 413 over the limit. Emits `rvi.document.uploaded.v1`."""
    inspection = await documents.inspection(inspection_id)
    ensure_enterprise_access(principal, inspection.enterprise_id)
    content = await _body(request, documents.settings.upload_max_bytes)
    upload = await Uploads(documents).submit(
        inspection_id, kind, filename, request.headers.get("content-type"), content, principal.subject
    )
    return _out(upload)


@router.get("/inspections/{inspection_id}/uploads", response_model=list[UploadOut])
async def list_uploads(
    inspection_id: str, documents: Documents, principal: Principal = Depends(Readers)
) -> list[UploadOut]:
    inspection = await documents.inspection(inspection_id)
    ensure_enterprise_access(principal, inspection.enterprise_id)
    return [_out(u) for u in await Uploads(documents).of(inspection_id)]


@router.get("/uploads/{upload_id}/content", response_class=Response)
async def content(upload_id: str, documents: Documents, principal: Principal = Depends(Readers)) -> Response:
    upload = await Uploads(documents).get(upload_id, with_content=True)
    ensure_enterprise_access(principal, upload.enterprise_id)
    return Response(upload.content, media_type=upload.content_type, headers={"ETag": f'"{upload.sha256}"'})


@router.post("/uploads/{upload_id}/verification", response_model=DocumentOut, status_code=201)
async def mark_verified(
    upload_id: str, body: VerifyIn, documents: Documents, principal: Principal = Depends(require_roles(Role.OFFICER))
) -> DocumentOut:
    """An officer checked the upload against the original during the session: the marked copy
    is issued (customs seal, this officer, then the representative signs). 409 when marked twice."""
    if not principal.credential_no:
        raise Forbidden("the officer's token carries no enforcement credential number")
    uploads = Uploads(documents)
    upload = await uploads.get(upload_id, with_content=True, for_update=True)
    return to_out(await uploads.mark_verified(upload, principal.credential_no, body.original_location))
