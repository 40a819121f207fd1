from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rvi_scheduling.models import Base


class RosterOfficer(Base):
    """An officer as the customs personnel system keeps them."""

    __tablename__ = "officers"

    officer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    credential_no: Mapped[str] = mapped_column(String(64), unique=True)
    credential_valid_from: Mapped[date] = mapped_column(Date)
    credential_valid_until: Mapped[date] = mapped_column(Date)
    customs_office: Mapped[str] = mapped_column(String(64), index=True)
    district: Mapped[str] = mapped_column(String(64), index=True)
    # The registry's office and district as written above resolve to (rosters/offices.py), so that
    # a roster query finds the officer however the inspection names the office.
    office_key: Mapped[str] = mapped_column(String(64), index=True)
    district_key: Mapped[str] = mapped_column(String(64), index=True)
    languages: Mapped[list[str]] = mapped_column(JSON)
    email: Mapped[str | None] = mapped_column(String(320))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OfficerAbsence(Base):
    """Leave, training or an inspection outside this platform: the officer is not available."""

    __tablename__ = "officer_absences"

    absence_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    officer_id: Mapped[str] = mapped_column(ForeignKey("officers.officer_id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)


class Assignment(Base):
    """An officer on an inspection's team for its slot."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_officer_time", "officer_id", "starts_at"),)

    inspection_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    officer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
