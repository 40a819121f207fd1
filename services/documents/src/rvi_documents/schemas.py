from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from rvi_documents.pki.verification import VerificationReport

SignerName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class SignRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"signer_name": "李梅 Li Mei", "seal": "慈溪市绿源食品集团有限公司", "accept": True}]
        },
    )

    signer_name: SignerName = Field(description="the enterprise representative who accepts and seals")
    seal: str | None = Field(
        default=None, max_length=255, description="the organisation seal, as named by the enterprise"
    )
    accept: Literal[True] = Field(description="must be true: the enterprise has checked the document and accepts it")


class SignerOut(BaseModel):
    key: str = Field(description="customs_seal, officer:<credential no.> or enterprise")
    label_zh: str
    label_en: str


class RevisionOut(BaseModel):
    number: int = Field(description="0 is the rendered PDF; each signature adds one incremental revision")
    sha256: str
    size_bytes: int
    slot: str | None
    signer_subject: str | None
    signer_name: str | None
    remote_addr: str | None
    created_at: datetime
    pdf_url: str


class DocumentOut(BaseModel):
    document_id: str
    inspection_id: str
    enterprise_id: str
    session_id: str = Field(description="what the document is about: the session, an upload, a served document")
    kind: str
    number: str | None = Field(description="the document number, per customs office, kind and year, without gaps")
    state: str = Field(description="awaiting_seal, issued, signing or completed")
    sha256: str = Field(description="SHA-256 of the rendered PDF (revision 0)")
    size_bytes: int
    revision: int
    current_sha256: str | None = Field(description="SHA-256 of the latest revision (what /pdf returns)")
    signed_slots: list[str]
    expected_signers: list[SignerOut] = Field(description="who may sign next (empty when complete)")
    seal_attempts: int
    seal_error: str | None
    issued_at: datetime
    signed_at: datetime | None
    signer_name: str | None
    seal: str | None
    signed_sha256: str | None = Field(description="SHA-256 of the revision the enterprise's signature added")
    completed_at: datetime | None
    service_due_at: datetime | None = Field(description="by when the document must be served")
    served_at: datetime | None
    read_at: datetime | None
    service_overdue_at: datetime | None = Field(description="set by the timer when the deadline passed unserved")
    pdf_url: str
    verification_url: str


class VerificationOut(VerificationReport):
    sha256: str = Field(description="SHA-256 of the PDF verified")
