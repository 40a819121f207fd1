from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rvi_shared.db import declarative_base
from rvi_shared.messaging.tables import messaging_tables

SCHEMA = "scheduling"
Base = declarative_base(SCHEMA)
messaging = messaging_tables(Base.metadata)


class Inspection(Base):
    __tablename__ = "inspections"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(String(64), index=True)
    enterprise_name: Mapped[str] = mapped_column(String(255))
    customs: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(32), index=True)
    officers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    special_campaign: Mapped[bool] = mapped_column(Boolean, default=False)
    directives: Mapped[list[str]] = mapped_column(JSON)
    outcome: Mapped[str | None] = mapped_column(String(16))
    onsite_items: Mapped[list[str]] = mapped_column(JSON, default=list)
    decision_id: Mapped[str | None] = mapped_column(String(64))
    slot_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    slot_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notice_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ready_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    session_id: Mapped[str | None] = mapped_column(String(64))
    session_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    session_ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    documents_issued: Mapped[list[str]] = mapped_column(JSON, default=list)
    documents_completed: Mapped[list[str]] = mapped_column(JSON, default=list)
    state_reason: Mapped[str | None] = mapped_column(Text)
    # GACC-RVI 4(II): what the notice asks for and what is on record.
    required_documents: Mapped[list[str]] = mapped_column(JSON, default=list)
    uploaded_documents: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    equipment_passed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The day plan booked and the days offered (GACC-RVI 4(I) notice).
    day_plan: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    offered_slots: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    notice_id: Mapped[str | None] = mapped_column(String(64))
    reminded_for: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    no_shows: Mapped[int] = mapped_column(Integer, default=0)
    enterprise_reschedules: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    sites: Mapped[list[Site]] = relationship(order_by="Site.position", lazy="raise", cascade="all, delete-orphan")
    items: Mapped[list[ChecklistItem]] = relationship(
        order_by="ChecklistItem.position", lazy="raise", cascade="all, delete-orphan"
    )


class Site(Base):
    __tablename__ = "sites"

    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True)
    site_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(255))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(Text)


class ChecklistItem(Base):
    __tablename__ = "checklist_items"

    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int]
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(64))
    commodity_code: Mapped[str | None] = mapped_column(String(16))
    method: Mapped[str | None] = mapped_column(String(16))


class TimelineEntry(Base):
    __tablename__ = "timeline"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    inspection_id: Mapped[str] = mapped_column(String(64), index=True)
    event_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(128))
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    subject: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    inspection_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
