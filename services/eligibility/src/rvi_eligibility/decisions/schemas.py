"""REST schemas of tasks, evaluations, decisions, batches and 3(V) overrides."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from rvi_eligibility.facts.schemas import ConsentIn
from rvi_eligibility.rules.verdicts import TraceEntry
from rvi_shared.datetimes import Rfc3339DateTime
from rvi_shared.events.payloads import ChecklistItem, CreditStatus, ItemDecision, Outcome, Reason
from rvi_shared.identifiers import EnterpriseId
from rvi_shared.text import Identifier

MAX_BATCH = 1000

CIXI_TASK: dict[str, Any] = {
    "enterprise_id": "ENT-330282-0001",
    "customs": "Cixi",
    "checklist_items": [
        {"item_id": "I1", "description": "agricultural inputs", "category": "agricultural_inputs"},
        {"item_id": "I2", "description": "crop conditions", "category": "crop_conditions"},
        {"item_id": "I3", "description": "land boundaries", "category": "land_boundaries"},
        {"item_id": "I4", "description": "production records", "category": "production_records"},
    ],
}
HYBRID_TASK: dict[str, Any] = {
    **CIXI_TASK,
    "checklist_items": [
        *CIXI_TASK["checklist_items"],
        {"item_id": "I5", "description": "soil samples for the laboratory", "category": "laboratory_sampling"},
    ],
}


class TaskFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_id: EnterpriseId
    customs: str = Field(min_length=1, max_length=64, description="customs office, e.g. Cixi (under Ningbo)")
    checklist_items: list[ChecklistItem] = Field(default_factory=list)
    special_campaign: StrictBool = Field(
        default=False,
        description="GACC-RVI 3(II): part of a special campaign led by GACC or a directly subordinate customs",
    )
    directives: list[str] = Field(
        default_factory=list, description="GACC-RVI 3(II): directives, e.g. 'unannounced on-site verification'"
    )
    as_at: Rfc3339DateTime | None = Field(
        default=None, description="evaluate the facts and rules in force then; default now"
    )

    @model_validator(mode="after")
    def unique_item_ids(self) -> TaskFields:
        ids = [i.item_id for i in self.checklist_items]
        if len(set(ids)) != len(ids):
            raise ValueError("checklist_items: item ids must be unique")
        return self


class TaskIn(TaskFields):
    """A task to decide and store. With the id of an open inspection this service follows, the
    decision joins that inspection's chain and is emitted; otherwise it stands alone (ad hoc)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [CIXI_TASK, {**HYBRID_TASK, "inspection_id": "INS-2026-0042"}]},
    )

    inspection_id: Identifier | None = None


class WhatIfFacts(BaseModel):
    """Alternative enterprise facts: each field given replaces the recorded one."""

    model_config = ConfigDict(extra="forbid")

    consent: ConsentIn | None = None
    can_cooperate: StrictBool | None = None
    technical_conditions: StrictBool | None = None
    credit_status: CreditStatus | None = None
    mandatory_onsite: StrictBool | None = None
    mandatory_onsite_reason: str | None = Field(default=None, max_length=2000)


class EvaluationRequest(TaskFields):
    """A what-if: evaluated, never stored."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                CIXI_TASK,
                {**CIXI_TASK, "facts": {"credit_status": "discredited"}},
                {
                    **CIXI_TASK,
                    "checklist_items": [
                        {"item_id": "A1", "description": "hunting rifles", "commodity_code": "9303.20"}
                    ],
                    "as_at": "2026-10-15T10:00:00+08:00",
                    "rule_set_version": "2026-11-01",
                },
            ]
        },
    )

    rule_set_version: str | None = Field(
        default=None, description="apply this published rule set instead of the one in force at as_at"
    )
    facts: WhatIfFacts | None = Field(default=None, description="alternative enterprise facts")


class EvaluationOut(BaseModel):
    enterprise_id: str
    customs: str
    remote_allowed: bool
    outcome: Outcome
    items: list[ItemDecision]
    reasons: list[Reason] = Field(description="every failing rule, with its legal reference and the facts it saw")
    trace: list[TraceEntry] = Field(description="every rule evaluated")
    rule_set_version: str
    as_at: datetime
    evaluated_at: datetime


class DecisionOut(EvaluationOut):
    id: str
    kind: Literal["inspection", "adhoc"]
    inspection_id: str | None
    supersedes: str | None
    trigger: str
    decided_by: str | None


class BatchIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"tasks": [CIXI_TASK, HYBRID_TASK, {**CIXI_TASK, "customs": "Xiamen"}]}]},
    )

    tasks: list[TaskIn] = Field(min_length=1, max_length=MAX_BATCH)


class DecisionSummary(BaseModel):
    id: str
    kind: Literal["inspection", "adhoc"]
    inspection_id: str | None
    enterprise_id: str
    remote_allowed: bool
    outcome: Outcome
    items: list[ItemDecision]
    reasons: list[Reason]
    rule_set_version: str
    as_at: datetime
    supersedes: str | None


class ItemError(BaseModel):
    status: int
    detail: str


class BatchItemOut(BaseModel):
    index: int
    decision: DecisionSummary | None = None
    error: ItemError | None = None


class BatchOut(BaseModel):
    stored: int
    failed: int
    results: list[BatchItemOut] = Field(description="one per task, in order: a decision or an error")


class OverrideIn(BaseModel):
    """GACC-RVI 3(V). `onsite` sends the inspection (or the items) on-site; `remote` lifts an earlier
    3(V) override, and is refused while 3(I), 3(II) or 3(IV) applies."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "direction": "onsite",
                    "reason": "storage room layout changed since the last visit; the camera cannot cover it",
                    "legal_basis": "GACC-RVI 3(V)",
                    "items": ["I3"],
                },
                {
                    "direction": "remote",
                    "reason": "new floor plan received and verified",
                    "legal_basis": "GACC-RVI 3(V)",
                },
            ]
        },
    )

    direction: Literal["onsite", "remote"]
    reason: str = Field(min_length=3, max_length=2000)
    legal_basis: str = Field(min_length=3, max_length=500, description="e.g. GACC-RVI 3(V) and the directive applied")
    items: list[str] | None = Field(default=None, min_length=1, description="checklist items; absent: the whole task")
