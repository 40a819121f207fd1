"""Service of documents, consent to electronic service, comments and disputes (DOMAIN 7; GACC-RVI 5(III))."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from rvi_documents.delivery import Service
from rvi_documents.dependencies import documents_service
from rvi_documents.lifecycle import DeliveryChannel, DeliveryState
from rvi_documents.models import Comment, Delivery, ServiceAddress
from rvi_documents.service import DocumentsService
from rvi_shared.auth import Principal, Role, ensure_enterprise_access, require_roles
from rvi_shared.datetimes import Rfc3339DateTime
from rvi_shared.errors import Unprocessable

router = APIRouter(prefix="/v1", tags=["service of documents"])
Documents = Annotated[DocumentsService, Depends(documents_service)]
Readers = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.SYSTEM, Role.ENTERPRISE)
Customs = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.SYSTEM)


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    consent: bool = Field(description="consent to electronic service")
    address: str = Field(
        min_length=1, max_length=500, description="the electronic service address (e.g. the platform account)"
    )
    confirmation_upload_id: str | None = Field(
        default=None, description="the enterprise's upload of its signed service address confirmation (送达地址确认书)"
    )


class AddressOut(BaseModel):
    enterprise_id: str
    consent: bool
    address: str
    confirmation_upload_id: str | None
    confirmation_sha256: str | None
    recorded_by: str
    recorded_at: datetime


class ServeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Literal["electronic", "mail"]
    tracking_number: str | None = Field(
        default=None, min_length=1, max_length=64, description="registered mail (mail only)"
    )
    posted_at: Rfc3339DateTime | None = Field(default=None, description="posting date (mail only)")
    address: str | None = Field(default=None, min_length=1, max_length=500, description="postal address (mail only)")


class RefusalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=1000)
    witness: str = Field(min_length=1, max_length=255)
    refused_at: Rfc3339DateTime | None = None


class DeliveryOut(BaseModel):
    delivery_id: str
    document_id: str
    channel: DeliveryChannel
    state: DeliveryState = Field(description="electronic: served, then read; mail: posted, then served, or refused")
    address: str | None
    notified_at: datetime | None
    served_at: datetime | None
    read_at: datetime | None
    tracking_number: str | None
    posted_at: datetime | None
    proof_kind: str | None
    proof_sha256: str | None
    refused_reason: str | None
    witness: str | None


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=5000)
    dispute: bool = Field(default=False, description="disputes the findings, rectification or conclusions")
    major: bool = Field(default=False, description="a major dispute (GACC-RVI 5(III)): scheduling may shift on-site")


class CommentOut(BaseModel):
    comment_id: str
    document_id: str
    author: str
    text: str
    dispute: bool
    major: bool
    created_at: datetime


def _address(row: ServiceAddress) -> AddressOut:
    return AddressOut(
        enterprise_id=row.enterprise_id, consent=row.consent, address=row.address,
        confirmation_upload_id=str(row.confirmation_upload_id) if row.confirmation_upload_id else None,
        confirmation_sha256=row.confirmation_sha256, recorded_by=row.recorded_by, recorded_at=row.recorded_at,
    )  # fmt: skip


def _delivery(row: Delivery) -> DeliveryOut:
    return DeliveryOut(
        delivery_id=str(row.delivery_id), document_id=str(row.document_id), channel=row.channel, state=row.state,
        address=row.address, notified_at=row.notified_at, served_at=row.served_at, read_at=row.read_at,
        tracking_number=row.tracking_number, posted_at=row.posted_at, proof_kind=row.proof_kind,
        proof_sha256=row.proof_sha256, refused_reason=row.refused_reason, witness=row.witness,
    )  # fmt: skip


def _comment(row: Comment) -> CommentOut:
    return CommentOut(
        comment_id=str(row.comment_id), document_id=str(row.document_id), author=row.author, text=row.text,
        dispute=row.dispute, major=row.major, created_at=row.created_at,
    )  # fmt: skip


@router.put("/enterprises/{enterprise_id}/service-address", response_model=AddressOut)
async def record_address(
    enterprise_id: str,
    body: AddressIn,
    documents: Documents,
    principal: Principal = Depends(require_roles(Role.ENTERPRISE)),
) -> AddressOut:
    """The enterprise's consent to electronic service and its signed confirmation (DOMAIN 7)."""
    ensure_enterprise_access(principal, enterprise_id)
    row = await Service(documents).record_address(
        enterprise_id, body.consent, body.address, body.confirmation_upload_id, principal.subject
    )
    return _address(row)


@router.post("/documents/{document_id}/deliveries", response_model=DeliveryOut, status_code=201)
async def serve(
    document_id: str, body: ServeIn, documents: Documents, principal: Principal = Depends(Customs)
) -> DeliveryOut:
    """Serve a document: electronically (409 without consent and signed confirmation) or post it."""
    document = await documents.get(document_id, for_update=True)
    service = Service(documents)
    if body.channel == "electronic":
        return _delivery(await service.serve_electronically(document, principal.subject))
    for name in ("tracking_number", "posted_at", "address"):
        if getattr(body, name) is None:
            raise Unprocessable(f"{name} is required for service by mail", field=name)
    return _delivery(
        await service.post(document, body.tracking_number or "", body.posted_at, body.address or "", principal.subject)  # type: ignore[arg-type]
    )


@router.get("/documents/{document_id}/deliveries", response_model=list[DeliveryOut])
async def list_deliveries(
    document_id: str, documents: Documents, principal: Principal = Depends(Readers)
) -> list[DeliveryOut]:
    document = await documents.get(document_id)
    ensure_enterprise_access(principal, document.enterprise_id)
    return [_delivery(d) for d in await Service(documents).deliveries(document)]


@router.post(
    "/deliveries/{delivery_id}/proof",
    response_model=DeliveryOut,
    openapi_extra={"requestBody": {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}}},
)
async def proof_returned(
    delivery_id: str,
    request: Request,
    documents: Documents,
    kind: Literal["returned_proof_of_service", "registered_mail_receipt"] = Query(),
    served_at: Rfc3339DateTime | None = Query(default=None, description="the date on the proof; default now"),
    principal: Principal = Depends(Customs),
) -> DeliveryOut:
    """The scan of the returned proof of service (送达回证) or the registered-mail receipt."""
    service = Service(documents)
    delivery = await service.delivery(delivery_id)
    return _delivery(await service.proof_returned(delivery, kind, await request.body(), served_at))


@router.post("/documents/{document_id}/refusal", response_model=DeliveryOut, status_code=201)
async def refused(
    document_id: str, body: RefusalIn, documents: Documents, principal: Principal = Depends(Customs)
) -> DeliveryOut:
    """The enterprise refused the document: recorded with the reason, the date and a witness."""
    document = await documents.get(document_id, for_update=True)
    return _delivery(
        await Service(documents).refused(document, body.reason, body.witness, body.refused_at, principal.subject)
    )


@router.post("/documents/{document_id}/comments", response_model=CommentOut, status_code=201)
async def comment(
    document_id: str,
    body: CommentIn,
    documents: Documents,
    principal: Principal = Depends(require_roles(Role.ENTERPRISE)),
) -> CommentOut:
    """The enterprise's comment within the window; a dispute emits `rvi.document.disputed.v1`."""
    document = await documents.get(document_id)
    ensure_enterprise_access(principal, document.enterprise_id)
    return _comment(await Service(documents).comment(document, principal.subject, body.text, body.dispute, body.major))


@router.get("/documents/{document_id}/comments", response_model=list[CommentOut])
async def list_comments(
    document_id: str, documents: Documents, principal: Principal = Depends(Readers)
) -> list[CommentOut]:
    document = await documents.get(document_id)
    ensure_enterprise_access(principal, document.enterprise_id)
    return [_comment(c) for c in await Service(documents).comments(document)]
