from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rvi_shared.customs import CustomsOfficeName
from rvi_shared.datetimes import Rfc3339Date, Rfc3339DateTime


class OfficerIn(BaseModel):
    """From the customs personnel system."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=255)
    credential_no: str = Field(min_length=1, max_length=64, description="enforcement credential number")
    credential_valid_from: Rfc3339Date
    credential_valid_until: Rfc3339Date
    customs_office: CustomsOfficeName = Field(description="the officer's customs office, e.g. Cixi, 3105, 慈溪海关")
    district: CustomsOfficeName = Field(description="its customs district (直属海关), e.g. Ningbo, 3100, 宁波海关")
    languages: list[str] = Field(default_factory=list, description="BCP 47 tags, e.g. zh, en")
    active: bool = True
    email: str | None = Field(default=None, max_length=320, description="where assignments are sent")

    @model_validator(mode="after")
    def validity(self) -> OfficerIn:
        if self.credential_valid_until < self.credential_valid_from:
            raise ValueError("credential_valid_until is before credential_valid_from")
        return self


class OfficerOut(OfficerIn):
    customs_office: str  # as registered; not validated again on the way out
    district: str
    officer_id: str
    last_assigned_at: datetime | None
    updated_at: datetime


class AbsenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["leave", "training", "other_inspection", "other"]
    starts_at: Rfc3339DateTime
    ends_at: Rfc3339DateTime
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def order(self) -> AbsenceIn:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("starts_at and ends_at need a time zone offset")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class AbsenceOut(AbsenceIn):
    absence_id: str
    officer_id: str
    reassigned: list[str] = Field(default_factory=list, description="inspections whose team changed")
    unstaffed: list[str] = Field(default_factory=list, description="inspections left without a replacement")
