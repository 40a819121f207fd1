from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

SignerName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class SignRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"signer_name": "Zhang Wei", "seal": "SEAL-330282-0001", "accept": True}]},
    )

    signer_name: SignerName = Field(description="the enterprise representative who signs")
    seal: str | None = Field(default=None, max_length=255, description="identifier of the organisation seal")
    accept: Literal[True] = Field(description="must be true: the enterprise accepts the record as issued")


class DocumentOut(BaseModel):
    document_id: str
    inspection_id: str
    enterprise_id: str
    session_id: str
    kind: str
    state: str
    sha256: str = Field(description="SHA-256 of the PDF as issued")
    size_bytes: int
    issued_at: datetime
    signed_at: datetime | None
    signer_name: str | None
    seal: str | None
    signed_sha256: str | None = Field(description="SHA-256 over the PDF bytes followed by the canonical signature")
    signature: dict[str, Any] | None = Field(description="the signature record, as hashed")
    completed_at: datetime | None
    pdf_url: str
