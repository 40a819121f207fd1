"""REST schemas of enterprise facts and standing."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Discriminator, Field, StrictBool, StringConstraints, Tag, model_validator

from rvi_eligibility.rules.consent_scope import MATTERS_DESCRIPTION, CoveredMatter, stored_scope
from rvi_eligibility.rules.verdicts import TraceEntry
from rvi_shared.datetimes import Rfc3339DateTime
from rvi_shared.events.payloads import CreditStatus, Reason


def _scope_form(value: Any) -> str:
    return "list" if isinstance(value, list) else "text"


# Tagged, so an error names the form given (`scope.text`, `scope.list.0`), not both; a blank text is
# refused rather than read as a consent without limits.
ScopeForms = Annotated[
    Annotated[list[CoveredMatter], Field(min_length=1), Tag("list")]
    | Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000, pattern=r"\S"), Tag("text")
    ],
    Discriminator(_scope_form),
]


class ConsentIn(BaseModel):
    """The enterprise's consent (GACC-RVI 2). Its scope, as a list of covered matters or as free
    text, is explained in consent_scope.py: only a list without remote_video_inspection fails."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"given": True, "scope": ["remote_video_inspection", "key_step_recording"]},
                {"given": True, "scope": "export food planting sites"},
                {"given": True, "scope": ["remote_video_inspection"], "revoked_at": "2026-12-01T00:00:00+08:00"},
            ]
        },
    )

    given: StrictBool
    scope: ScopeForms | None = Field(
        default=None,
        description="what the consent covers: a list of matters, one or more of "
        f"{MATTERS_DESCRIPTION}; or free text naming the sites or matters of a consent to remote video "
        "inspection (the earlier form: it covers remote video inspection); none: no limits",
    )
    revoked_at: Rfc3339DateTime | None = Field(default=None, description="from when the consent no longer holds")

    def values(self) -> dict[str, Any]:
        return {
            "consent_given": self.given,
            "consent_scope": stored_scope(self.scope),
            "consent_revoked_at": self.revoked_at,
        }


class FactsUpdate(BaseModel):
    """A partial update: a field left out (or null) keeps its current value."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Cixi Fresh Food Group",
                    "consent": {"given": True, "scope": ["remote_video_inspection", "key_step_recording"]},
                    "can_cooperate": True,
                    "technical_conditions": True,
                    "credit_status": "advanced_certified",
                },
                {
                    "consent": {
                        "given": True,
                        "scope": "export food planting sites",
                        "revoked_at": "2026-12-01T00:00:00+08:00",
                    },
                    "effective_from": "2026-11-25T09:00:00+08:00",
                },
            ]
        },
    )

    name: str | None = Field(default=None, max_length=255)
    consent: ConsentIn | None = None
    can_cooperate: StrictBool | None = None
    technical_conditions: StrictBool | None = None
    credit_status: CreditStatus | None = None
    mandatory_onsite: StrictBool | None = Field(
        default=None,
        description="GACC-RVI 3(IV): true puts the enterprise under mandatory on-site verification after a "
        "falsification; only a supervisor lifts it (POST /v1/enterprises/{id}/mandatory-onsite/lift)",
    )
    mandatory_onsite_reason: str | None = Field(default=None, max_length=2000)
    effective_from: Rfc3339DateTime | None = Field(default=None, description="defaults to now")

    @model_validator(mode="after")
    def reason_with_mandatory_onsite(self) -> FactsUpdate:
        if self.mandatory_onsite is False:
            raise ValueError(
                "mandatory_onsite: only a supervisor lifts mandatory on-site verification (GACC-RVI 3(IV)), "
                "with POST /v1/enterprises/{enterprise_id}/mandatory-onsite/lift"
            )
        if self.mandatory_onsite and not self.mandatory_onsite_reason:
            raise ValueError("mandatory_onsite_reason is required when mandatory_onsite is true")
        if not self.model_dump(exclude_none=True, exclude={"effective_from"}):
            raise ValueError("no fact given: set at least one of the fields")
        return self

    def values(self) -> dict[str, Any]:
        values = self.model_dump(exclude_none=True, exclude={"effective_from", "consent"})
        if self.consent is not None:
            values |= self.consent.values()
        return values


class MandatoryOnsiteLift(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"reason": "rectification verified on site on 2026-11-20; record NB-2026-1187"}]
        },
    )

    reason: str = Field(min_length=3, max_length=2000, description="why the supervisor lifts it (kept in the history)")


class ConsentOut(BaseModel):
    given: bool | None
    scope: list[str] | str | None = Field(description="the covered matters, or the free text (see PUT .../facts)")
    revoked_at: datetime | None
    in_effect: bool = Field(description="consent holds at as_at (a revocation dated later does not count yet)")
    covers_remote_video_inspection: bool = Field(
        description="the scope covers remote video inspection, as GACC-RVI 2 requires (free text or none does)"
    )


class FactChangeOut(BaseModel):
    seq: int
    effective_from: datetime
    changes: dict[str, Any]
    source: str
    source_ref: str | None
    note: str | None
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
    remote_eligible: bool = Field(
        description="the enterprise conditions (GACC-RVI 2) hold and no 3(IV) mandatory on-site applies, now; "
        "a task's own rules (1, 3(I)-(III)) are not part of it"
    )
    blocking: list[Reason] = Field(description="the enterprise rules that fail now")
    enterprise_rules: list[TraceEntry] = Field(description="every enterprise rule evaluated now")
    falsification_history: list[FactChangeOut] = Field(
        description="GACC-RVI 3(IV): when mandatory on-site verification was imposed or lifted, and why"
    )
    scheduled_changes: list[FactChangeOut] = Field(description="recorded changes that take effect after as_at")
