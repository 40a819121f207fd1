"""Own tables: a projection of inspections and sessions built from events, and the documents."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, LargeBinary, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from rvi_shared.db import declarative_base
from rvi_shared.messaging.tables import messaging_tables

SCHEMA = "documents"
Base = declarative_base(SCHEMA)
messaging = messaging_tables(Base.metadata)


class Inspection(Base):
    """What the documents need to know about an inspection (from `rvi.inspections`)."""

    __tablename__ = "inspections"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(String(64), index=True)
    enterprise_name: Mapped[str] = mapped_column(String(255))
    customs: Mapped[str] = mapped_column(String(64))
    sites: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    checklist_items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    officers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    team: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    slot_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    slot_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class InspectionSession(Base):
    """A live session of an inspection (from `rvi.sessions`); may arrive before the inspection."""

    __tablename__ = "sessions"

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    inspection_id: Mapped[str] = mapped_column(String(64), index=True)
    enterprise_id: Mapped[str] = mapped_column(String(64))
    officers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    conclusion: Mapped[str | None] = mapped_column(Text)
    steps_declared: Mapped[int | None] = mapped_column(Integer)
    manifest_digest: Mapped[str | None] = mapped_column(String(128))
    results: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    manifest_timestamp: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    manifest_timestamped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RecordedStep(Base):
    """A key procedural step recorded during a session (GACC-RVI 4(III))."""

    __tablename__ = "steps"

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    step_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    inspection_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    site_id: Mapped[str | None] = mapped_column(String(64))
    officer_id: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    digest: Mapped[str | None] = mapped_column(String(128))


class Document(Base):
    """A legal document (GACC-RVI 4(IV); DOMAIN 7). Its bytes are its revisions: the rendered PDF
    (revision 0), the certification by the customs seal (1), then one per signature."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("inspection_id", "kind", "session_id"),)

    document_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    inspection_id: Mapped[str] = mapped_column(String(64), index=True)
    enterprise_id: Mapped[str] = mapped_column(String(64), index=True)
    session_id: Mapped[str] = mapped_column(String(64), doc="the scope: session, upload or served document")
    kind: Mapped[str] = mapped_column(String(64))
    number: Mapped[str | None] = mapped_column(String(64))
    customs: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64), doc="of the rendered PDF (revision 0)")
    size_bytes: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    current_sha256: Mapped[str | None] = mapped_column(String(64))
    signing_order: Mapped[list[list[dict[str, Any]]] | None] = mapped_column(JSON)
    signed_slots: Mapped[list[str] | None] = mapped_column(JSON)
    seal_attempts: Mapped[int] = mapped_column(Integer, default=0)
    seal_error: Mapped[str | None] = mapped_column(Text)
    next_seal_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signer_name: Mapped[str | None] = mapped_column(String(255))
    seal: Mapped[str | None] = mapped_column(String(255))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    service_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    served_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    service_overdue_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    announced: Mapped[bool] = mapped_column(Boolean, default=True, doc="rvi.document.issued.v1 emitted")


class Revision(Base):
    """One immutable revision of a document's PDF (an incremental update of the previous one)."""

    __tablename__ = "revisions"

    document_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True, deferred_raiseload=True)
    slot: Mapped[str | None] = mapped_column(String(128), doc="the signature this revision added")
    signer_subject: Mapped[str | None] = mapped_column(String(255))
    signer_name: Mapped[str | None] = mapped_column(String(255))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Counter(Base):
    """The last number given to a kind of document by a customs office in a year; the row is
    locked by the issuing transaction, so numbers have no gaps."""

    __tablename__ = "counters"

    customs: Mapped[str] = mapped_column(String(64), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class ServiceAddress(Base):
    """The enterprise's consent to electronic service and its signed confirmation of the service
    address (送达地址确认书, DOMAIN 7)."""

    __tablename__ = "service_addresses"

    enterprise_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    consent: Mapped[bool] = mapped_column(Boolean)
    address: Mapped[str] = mapped_column(Text)
    confirmation_upload_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    confirmation_sha256: Mapped[str | None] = mapped_column(String(64))
    recorded_by: Mapped[str] = mapped_column(String(255))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Delivery(Base):
    """One service of a document (送达): electronic (served when it reaches the enterprise, read
    when opened) or by mail (posted, then served by the returned proof or receipt), or refused."""

    __tablename__ = "deliveries"

    delivery_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    document_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    inspection_id: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(Text)
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    served_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    proof_kind: Mapped[str | None] = mapped_column(String(32))
    proof_sha256: Mapped[str | None] = mapped_column(String(64))
    proof: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True, deferred_raiseload=True)
    refused_reason: Mapped[str | None] = mapped_column(Text)
    witness: Mapped[str | None] = mapped_column(String(255))
    recorded_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Upload(Base):
    """A document the enterprise submitted before the session (GACC-RVI 4(II))."""

    __tablename__ = "uploads"

    upload_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    inspection_id: Mapped[str] = mapped_column(String(64), index=True)
    enterprise_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True, deferred_raiseload=True)
    uploaded_by: Mapped[str] = mapped_column(String(255))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    verified_by: Mapped[str | None] = mapped_column(String(255))
    original_location: Mapped[str | None] = mapped_column(Text)
    marked_copy_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class Comment(Base):
    """The enterprise's word on a document within its window; a dispute may be major (5(III))."""

    __tablename__ = "comments"

    comment_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    document_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    inspection_id: Mapped[str] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    dispute: Mapped[bool] = mapped_column(Boolean)
    major: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
