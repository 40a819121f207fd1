from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from rvi_shared.db import declarative_base
from rvi_shared.messaging.tables import messaging_tables

SCHEMA = "video_gateway"
Base = declarative_base(SCHEMA)
messaging = messaging_tables(Base.metadata)


class InspectionView(Base):
    """Projection of `rvi.inspections`: what a session needs to know about its task."""

    __tablename__ = "inspections"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(String(64), index=True)
    customs: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(32))
    sites: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    checklist_items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    officers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    team: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    onsite_items: Mapped[list[str]] = mapped_column(JSON, default=list)
    slot_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    slot_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class InspectionSession(Base):
    __tablename__ = "sessions"

    session_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspections.id"), unique=True)
    enterprise_id: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    slot_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    conclusion: Mapped[str | None] = mapped_column(Text)
    manifest_digest: Mapped[str | None] = mapped_column(String(64))
    # The Ed25519 signature over the canonical manifest document, set at session end.
    manifest_signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    manifest_key_id: Mapped[str | None] = mapped_column(String(16))
    manifest_public_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    manifest_signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    instance_id: Mapped[str | None] = mapped_column(String(128), index=True)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    escalation_code: Mapped[str | None] = mapped_column(String(16))
    escalation_reason: Mapped[str | None] = mapped_column(Text)
    falsification_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_reason: Mapped[str | None] = mapped_column(Text)


class ManifestEntry(Base):
    """One link of a session's hash-chained evidence manifest; rows are never updated."""

    __tablename__ = "manifest_entries"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sessions.session_id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry: Mapped[dict[str, Any]] = mapped_column(JSON)
    entry_hash: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GatewayInstance(Base):
    """One running gateway and the load it reported with its last heartbeat (DESIGN: Scale)."""

    __tablename__ = "gateway_instances"

    instance_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    advertised_url: Mapped[str] = mapped_column(String(512))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sessions: Mapped[int] = mapped_column(Integer, default=0)
    feeds: Mapped[int] = mapped_column(Integer, default=0)
    viewers: Mapped[int] = mapped_column(Integer, default=0)
    bitrate_kbps: Mapped[float] = mapped_column(Float, default=0.0)
    cpu_pct: Mapped[float] = mapped_column(Float, default=0.0)
    draining: Mapped[bool] = mapped_column(Boolean, default=False)


class MediaFeed(Base):
    """A source of video for a session (or an inspection's equipment test): a WHIP publisher or
    an RTSP camera the gateway pulls. The live media state is in the instance's memory."""

    __tablename__ = "feeds"

    feed_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspections.id"), index=True)
    session_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sessions.session_id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # session | equipment_test
    kind: Mapped[str] = mapped_column(String(16))  # webrtc | rtsp | talkback
    label: Mapped[str] = mapped_column(String(200), default="")
    source_url: Mapped[str | None] = mapped_column(Text)
    codec: Mapped[str | None] = mapped_column(String(16))
    audio_codec: Mapped[str | None] = mapped_column(String(16))
    # What the camera showed when registered (RTSP): codecs, profile, size, audio.
    probe: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))  # created | live | lost | closed
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    live_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lost_reason: Mapped[str | None] = mapped_column(Text)
    instance_id: Mapped[str] = mapped_column(String(128), index=True)


class Recording(Base):
    """A key step's clip, from start to stop; on the manifest once closed and hashed."""

    __tablename__ = "recordings"

    recording_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.session_id"), index=True)
    feed_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("feeds.feed_id"), index=True)
    kind: Mapped[str] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text, default="")
    site_id: Mapped[str | None] = mapped_column(String(64))
    officer_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # recording | closed
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    close_reason: Mapped[str | None] = mapped_column(Text)
    file: Mapped[str | None] = mapped_column(String(255))
    sha256: Mapped[str | None] = mapped_column(String(64))
    bytes: Mapped[int | None] = mapped_column(Integer)
    frames: Mapped[int | None] = mapped_column(Integer)
    audio_codec: Mapped[str | None] = mapped_column(String(16))
    audio_packets: Mapped[int | None] = mapped_column(Integer)
    manifest_seq: Mapped[int | None] = mapped_column(Integer)
    instance_id: Mapped[str] = mapped_column(String(128))


class EquipmentTest(Base):
    """GACC-RVI 4(II): the enterprise's short test publication and what was measured."""

    __tablename__ = "equipment_tests"

    test_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspections.id"), index=True)
    enterprise_id: Mapped[str] = mapped_column(String(64))
    feed_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("feeds.feed_id"))
    state: Mapped[str] = mapped_column(String(16))  # waiting | passed | failed | expired
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    measurement: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    failures: Mapped[list[str]] = mapped_column(JSON, default=list)


class ItemResultRow(Base):
    """DOMAIN 8: the result of one checklist item at one site of a session; recorded again, replaced."""

    __tablename__ = "item_results"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sessions.session_id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    result: Mapped[str] = mapped_column(String(32))  # conforming | non_conforming | not_verifiable_remotely
    finding: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)  # step ids on the manifest
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SessionAuditEntry(Base):
    """The session's audit trail: who joined and left (officers, the representative), in order."""

    __tablename__ = "session_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.session_id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    action: Mapped[str] = mapped_column(String(32))  # joined | left
    actor: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SessionFocus(Base):
    """The site and checklist item the officers are on now, for the enterprise's screen; `version`
    grows by one at each change so readers can wait for the next one."""

    __tablename__ = "session_focus"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sessions.session_id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
