"""Own tables: a projection of inspections and sessions built from events, and the documents."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, LargeBinary, String, Text, UniqueConstraint, Uuid
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
    """A legal document prepared from the results (GACC-RVI 4(IV)); the PDF is loaded only on demand."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("inspection_id", "kind", "session_id"),)

    document_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    inspection_id: Mapped[str] = mapped_column(String(64), index=True)
    enterprise_id: Mapped[str] = mapped_column(String(64), index=True)
    session_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True, deferred_raiseload=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signer_name: Mapped[str | None] = mapped_column(String(255))
    seal: Mapped[str | None] = mapped_column(String(255))
    signed_sha256: Mapped[str | None] = mapped_column(String(64))
    signature: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
