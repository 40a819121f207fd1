from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rvi_eligibility.evaluation import TraceEntry
from rvi_shared.events.payloads import ChecklistItem, Consent, CreditStatus, ItemDecision, Outcome, Reason


class FactsUpdate(BaseModel):
    """A partial update: a field left out (or null) keeps its current value."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Cixi Fresh Food Group",
                    "consent": {"given": True, "scope": "export food planting sites"},
                    "can_cooperate": True,
                    "technical_conditions": True,
                    "credit_status": "advanced_certified",
                }
            ]
        },
    )

    name: str | None = Field(default=None, max_length=255)
    consent: Consent | None = None
    can_cooperate: bool | None = None
    technical_conditions: bool | None = None
    credit_status: CreditStatus | None = None
    mandatory_onsite: bool | None = Field(
        default=None, description="GACC-RVI 3(IV): under mandatory on-site verification after falsification"
    )
    mandatory_onsite_reason: str | None = Field(default=None, max_length=2000)
    effective_from: datetime | None = Field(default=None, description="defaults to now")

    @model_validator(mode="after")
    def reason_with_mandatory_onsite(self) -> FactsUpdate:
        if self.mandatory_onsite and not self.mandatory_onsite_reason:
            raise ValueError("mandatory_onsite_reason is required when mandatory_onsite is true")
        if not self.model_dump(exclude_none=True, exclude={"effective_from"}):
            raise ValueError("no fact given: set at least one of the fields")
        return self


class ConsentOut(BaseModel):
    given: bool | None
    scope: str | None
    revoked_at: datetime | None
    in_effect: bool = Field(description="consent holds at as_at (a revocation dated later does not count yet)")


class FactChangeOut(BaseModel):
    seq: int
    effective_from: datetime
    changes: dict[str, Any]
    source: str
    recorded_at: datetime


class EnterpriseOut(BaseModel):
    enterprise_id: str
    as_at: datetime
    effective_from: datetime | None
    name: str | None
    consent: ConsentOut
    can_cooperate: bool | None
    technical_conditions: bool | None
    credit_status: CreditStatus | None
    mandatory_onsite: bool
    mandatory_onsite_reason: str | None
    scheduled_changes: list[FactChangeOut] = Field(description="recorded changes that take effect after as_at")


class EvaluationRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "enterprise_id": "ENT-330282-0001",
                    "customs": "Cixi",
                    "checklist_items": [
                        {"item_id": "I1", "description": "agricultural inputs", "category": "agricultural_inputs"}
                    ],
                }
            ]
        },
    )

    enterprise_id: str = Field(min_length=1, max_length=64)
    customs: str = Field(min_length=1, max_length=64)
    checklist_items: list[ChecklistItem] = Field(default_factory=list)
    special_campaign: bool = False
    directives: list[str] = Field(default_factory=list)
    as_at: datetime | None = Field(default=None, description="evaluate the facts and rules in force then; default now")


class EvaluationOut(BaseModel):
    enterprise_id: str
    customs: str
    remote_allowed: bool
    outcome: Outcome
    items: list[ItemDecision]
    reasons: list[Reason]
    trace: list[TraceEntry]
    rule_set_version: str
    as_at: datetime
    evaluated_at: datetime


class DecisionOut(EvaluationOut):
    id: str
    inspection_id: str
    supersedes: str | None
    trigger: str


class RuleOut(BaseModel):
    id: str
    reference: str
    title: str
    scope: str
    effective_from: date
    effective_to: date | None


class CatalogueEntryOut(BaseModel):
    key: str
    description: str
    effective_from: date
    effective_to: date | None


class RuleCatalogueOut(BaseModel):
    rule_set_version: str
    rules: list[RuleOut]
    high_risk_chapters: list[CatalogueEntryOut]
    non_video_categories: list[CatalogueEntryOut]
    physical_directive_keywords: list[str]
    pilot_districts: list[str]
    subordinate_customs: dict[str, str]
