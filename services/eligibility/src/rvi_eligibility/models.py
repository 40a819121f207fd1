from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Index, Integer, String, Text, UniqueConstraint, text
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
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DueRecheck(Base):
    """A moment at which a fact recorded ahead of time takes effect (a change dated later, a consent
    revocation dated later): the enterprise's open inspections are re-checked then. Claimed with
    SELECT ... FOR UPDATE SKIP LOCKED and marked done in the re-check's transaction, so each is done
    once however many replicas run, and one missed while no replica ran is done at the next start."""

    __tablename__ = "due_rechecks"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "due_at"),
        Index("ix_due_rechecks_pending", "due_at", postgresql_where=text("done_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cause: Mapped[str] = mapped_column(String(255))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


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


class ParkedClosure(Base):
    """A closure (cancelled, completed, escalated...) of an inspection not requested yet: an event
    from another topic overtook the request (a replay from the beginning). Applied when it arrives."""

    __tablename__ = "parked_closures"

    inspection_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(String(64), primary_key=True)
    parked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


DECISION_OF_INSPECTION = "inspection"
AD_HOC_DECISION = "adhoc"


class Decision(Base):
    """Immutable: a re-evaluation adds a row that supersedes the previous one. `kind` says whether
    it belongs to the chain of an inspection this service follows, or decides a submitted task
    on its own (ad hoc; `inspection_id` is then only the caller's reference, if any)."""

    __tablename__ = "decisions"
    __table_args__ = (
        Index(
            "uq_decisions_first_per_inspection",
            "inspection_id",
            unique=True,
            postgresql_where=text(f"supersedes IS NULL AND kind = '{DECISION_OF_INSPECTION}'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    inspection_id: Mapped[str | None] = mapped_column(String(64), index=True)
    enterprise_id: Mapped[str] = mapped_column(String(64), index=True)
    customs: Mapped[str] = mapped_column(String(64))
    remote_allowed: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str] = mapped_column(String(16))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    trace_digest: Mapped[str] = mapped_column(String(64))
    rule_set_version: Mapped[str] = mapped_column(String(32))
    as_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    evaluated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    supersedes: Mapped[str | None] = mapped_column(String(64), unique=True)
    trigger: Mapped[str] = mapped_column(String(255))
    decided_by: Mapped[str | None] = mapped_column(String(128))


class DecisionTrace(Base):
    """The trace of a decision (every rule evaluated, with the facts it saw), stored once per
    distinct content under its SHA-256: the decisions of one enterprise with the same checklist
    and facts share it. Immutable, as the decisions citing it."""

    __tablename__ = "decision_traces"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    trace: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class Override(Base):
    """GACC-RVI 3(V): an officer sent an inspection (item_id None) or one item on-site. Lifting
    keeps the row and records who lifted it and why."""

    __tablename__ = "overrides"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    inspection_id: Mapped[str] = mapped_column(String(64), index=True)
    item_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    officer: Mapped[str] = mapped_column(String(128))
    credential_no: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lifted_by: Mapped[str | None] = mapped_column(String(128))
    lift_reason: Mapped[str | None] = mapped_column(Text)
