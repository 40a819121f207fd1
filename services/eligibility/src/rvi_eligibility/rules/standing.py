"""What the rules know of an enterprise at one moment (GACC-RVI 2 and 3(IV)): the standing its
recorded facts fold into (see facts/changes.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

FACT_FIELDS: tuple[str, ...] = (
    "name",
    "consent_given",
    "consent_scope",
    "consent_revoked_at",
    "can_cooperate",
    "technical_conditions",
    "credit_status",
    "mandatory_onsite",
    "mandatory_onsite_reason",
)


@dataclass(frozen=True)
class EnterpriseStanding:
    """What is known about an enterprise at one moment; None means never reported."""

    enterprise_id: str
    effective_from: datetime | None = None
    name: str | None = None
    consent_given: bool | None = None
    consent_scope: str | None = None
    consent_revoked_at: datetime | None = None
    can_cooperate: bool | None = None
    technical_conditions: bool | None = None
    credit_status: str | None = None
    mandatory_onsite: bool = False
    mandatory_onsite_reason: str | None = None

    def consents_at(self, at: datetime) -> bool:
        """A revocation counts from its own time on: one dated later still leaves consent at `at`."""
        revoked = self.consent_revoked_at is not None and self.consent_revoked_at <= at
        return bool(self.consent_given) and not revoked

    def facts(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FACT_FIELDS}
