from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from rvi_shared.customs import CustomsOfficeName
from rvi_shared.datetimes import Rfc3339DateTime
from rvi_shared.events.payloads import ChecklistItem, Officer, Site, UploadKind
from rvi_shared.identifiers import EnterpriseId
from rvi_shared.text import Identifier


class InspectionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "enterprise_id": "ENT-330282-0001",
                    "enterprise_name": "Cixi Fresh Food Group",
                    "customs": "Cixi",
                    "sites": [{"site_id": "S1", "name": "Zhouxiang base", "latitude": 30.17, "longitude": 121.27}],
                    "checklist_items": [
                        {
                            "item_id": "I1",
                            "description": "agricultural inputs",
                            "category": "agricultural_inputs",
                        }
                    ],
                }
            ]
        },
    )

    id: Identifier | None = Field(
        default=None, description="caller's task id (e.g. 宁波海关-2026-001); generated if absent"
    )
    enterprise_id: EnterpriseId
    enterprise_name: str = Field(min_length=1, max_length=255)
    customs: CustomsOfficeName
    sites: list[Site] = Field(min_length=1)
    checklist_items: list[ChecklistItem] = Field(min_length=1)
    officers: list[Officer] = Field(
        default_factory=list,
        description="a caller-named team (at least two officers of the roster, checked by the assignment rules); "
        "empty: the team is assigned automatically when the inspection is scheduled",
    )
    special_campaign: StrictBool = False
    directives: list[str] = Field(default_factory=list, description="e.g. unannounced, joint, physical")
    required_documents: list[UploadKind] | None = Field(
        default=None,
        description="documents the notice asks the enterprise to upload before the slot (GACC-RVI 4(II)); "
        "absent: the service's default list",
    )

    @model_validator(mode="after")
    def unique_ids(self) -> InspectionCreate:
        for name, ids in (
            ("sites", [s.site_id for s in self.sites]),
            ("checklist_items", [i.item_id for i in self.checklist_items]),
            ("officers", [o.credential_no for o in self.officers]),
        ):
            if len(set(ids)) != len(ids):
                raise ValueError(f"{name}: ids must be unique")
        return self

    @field_validator("officers")
    @classmethod
    def team_of_two(cls, officers: list[Officer]) -> list[Officer]:
        if len(officers) == 1:
            raise ValueError("a team needs at least two officers (or none for automatic assignment)")
        return officers


class Readiness(BaseModel):
    """The enterprise's confirmation. Equipment and documents are checked from the record
    (rvi.equipment.tested.v1, rvi.document.uploaded.v1), not taken from this body."""

    model_config = ConfigDict(extra="forbid")

    equipment_test_passed: StrictBool | None = Field(default=None, description="ignored: the gateway's result counts")
    documents_submitted: StrictBool | None = Field(default=None, description="ignored: the uploads on record count")
    contact_name: str | None = None


class Cancellation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1)


class Reschedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slot_start: Rfc3339DateTime
    reason: str = Field(min_length=1)


class InspectionOut(BaseModel):
    id: str
    enterprise_id: str
    enterprise_name: str
    customs: str
    state: str
    state_reason: str | None
    outcome: str | None
    decision_id: str | None
    slot_start: datetime | None
    slot_end: datetime | None
    notice_sent_at: datetime | None
    session_id: str | None
    sites: list[Site]
    checklist_items: list[dict[str, Any]]
    officers: list[Officer]
    onsite_items: list[str]
    documents: list[str]
    required_documents: list[str] = Field(default_factory=list)
    documents_submitted: list[str] = Field(default_factory=list, description="kinds uploaded so far")
    equipment_test_passed_at: datetime | None = None
    readiness_missing: list[str] = Field(default_factory=list, description="what keeps it from being ready")
    notice_id: str | None = None
    no_shows: int = 0
    enterprise_reschedules: int = 0
    day_plan: list[dict[str, Any]] = Field(default_factory=list, description="sites in order with their windows")
    offered_slots: list[dict[str, Any]] = Field(default_factory=list, description="days offered; choose one")
    created_at: datetime
    updated_at: datetime


class TimelineEntryOut(BaseModel):
    seq: int
    event_id: str
    type: str
    source: str
    time: datetime
    data: dict[str, Any]


class SlotChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    offer_id: str = Field(min_length=1, max_length=16, description="one of `offered_slots`")
