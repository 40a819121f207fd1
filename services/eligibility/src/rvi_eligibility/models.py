from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from rvi_shared.db import declarative_base
from rvi_shared.messaging.tables import messaging_tables

SCHEMA = "eligibility"
Base = declarative_base(SCHEMA)
messaging = messaging_tables(Base.metadata)


class EnterpriseFacts(Base):
    """The current standing: every recorded change folded in effective order."""

    __tablename__ = "enterprise_facts"

    enterprise_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255))
    consent_given: Mapped[bool | None] = mapped_column(Boolean)
    consent_scope: Mapped[str | None] = mapped_column(Text)
    consent_revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    can_cooperate: Mapped[bool | None] = mapped_column(Boolean)
    technical_conditions: Mapped[bool | None] = mapped_column(Boolean)
    credit_status: Mapped[str | None] = mapped_column(String(32))
    mandatory_onsite: Mapped[bool] = mapped_column(Boolean, default=False)
    mandatory_onsite_reason: Mapped[str | None] = mapped_column(Text)
    effective_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EnterpriseFactChange(Base):
    """Append-only history: each change with the facts it set and when they take effect."""

    __tablename__ = "enterprise_fact_history"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(String(64), index=True)
    effective_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(32))
    source_ref: Mapped[str | None] = mapped_column(String(255))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class InspectionRequest(Base):
    """The request facts of an inspection, from `rvi.inspection.requested.v1`."""

    __tablename__ = "inspection_requests"

    inspection_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(String(64), index=True)
    customs: Mapped[str] = mapped_column(String(64))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    special_campaign: Mapped[bool] = mapped_column(Boolean, default=False)
    directives: Mapped[list[str]] = mapped_column(JSON)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    latest_decision_id: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_reason: Mapped[str | None] = mapped_column(String(64))


class Decision(Base):
    """Immutable: a re-evaluation adds a row that supersedes the previous one."""

    __tablename__ = "decisions"
    __table_args__ = (
        Index(
            "uq_decisions_first_per_inspection",
            "inspection_id",
            unique=True,
            postgresql_where=text("supersedes IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    inspection_id: Mapped[str] = mapped_column(String(64), index=True)
    enterprise_id: Mapped[str] = mapped_column(String(64), index=True)
    customs: Mapped[str] = mapped_column(String(64))
    remote_allowed: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str] = mapped_column(String(16))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    trace: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    rule_set_version: Mapped[str] = mapped_column(String(32))
    as_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    evaluated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    supersedes: Mapped[str | None] = mapped_column(String(64), unique=True)
    trigger: Mapped[str] = mapped_column(String(255))
