from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class DayOut(BaseModel):
    day: date
    working: bool
    source: str = Field(description="official (State Council notice via the holidays library) or override")
    name: str | None = Field(default=None, description="holiday name, or 'make-up working day'")


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    working: bool
    reason: str = Field(min_length=1, max_length=2000, description="e.g. the notice's title and number")


class OverrideOut(BaseModel):
    day: date
    working: bool
    reason: str
    updated_by: str
    updated_at: datetime


class YearIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notice: str = Field(min_length=1, max_length=2000, description="the State Council notice entered")


class YearOut(BaseModel):
    year: int
    notice: str
    declared_by: str
    declared_at: datetime


class AuditOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    day: date | None
    year: int | None
    working: bool | None
    reason: str
