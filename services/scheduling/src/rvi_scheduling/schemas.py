from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from rvi_shared.customs import CustomsOfficeName
from rvi_shared.datetimes import Rfc3339DateTime
from rvi_shared.events.payloads import ChecklistItem, Officer, Site
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
                    "officers": [
                        {"officer_id": "O1", "name": "Wang Li", "credential_no": "NB-0001"},
                        {"officer_id": "O2", "name": "Chen Jie", "credential_no": "NB-0002"},
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
    officers: list[Officer] = Field(min_length=2, description="at least two officers holding enforcement credentials")
    special_campaign: StrictBool = False
    directives: list[str] = Field(default_factory=list, description="e.g. unannounced, joint, physical")

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


class Readiness(BaseModel):
    model_config = ConfigDict(extra="forbid")

    equipment_test_passed: StrictBool
    documents_submitted: StrictBool
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
    created_at: datetime
    updated_at: datetime


class TimelineEntryOut(BaseModel):
    seq: int
    event_id: str
    type: str
    source: str
    time: datetime
    data: dict[str, Any]
