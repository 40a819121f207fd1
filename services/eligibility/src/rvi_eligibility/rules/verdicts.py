"""The entries of a decision's trace: one per rule evaluated, and officers' 3(V) overrides, which
enter a trace like a failing rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict

from rvi_eligibility.rules.model import Result, Rule, Verdict
from rvi_shared.events.payloads import Reason

OFFICER_JUDGEMENT = "officer-judgement"
OFFICER_REFERENCE = "GACC-RVI 3(V)"


@dataclass(frozen=True, slots=True)
class OfficerOverride:
    """GACC-RVI 3(V): customs judged remote video unsuitable, for the whole task or one item."""

    item_id: str | None
    reason: str
    legal_basis: str
    officer: str
    credential_no: str | None
    at: datetime

    def verdict(self) -> Verdict:
        return Verdict(
            Result.FAIL,
            f"customs judged remote video unsuitable: {self.reason}",
            {
                "item_id": self.item_id,
                "legal_basis": self.legal_basis,
                "officer": self.officer,
                "credential_no": self.credential_no,
                "overridden_at": self.at.isoformat(),
            },
        )


class TraceEntry(BaseModel):
    """One rule evaluated (or one 3(V) override): its verdict and the facts it saw. Served as it
    is in decisions, evaluations and enterprise standings."""

    model_config = ConfigDict(frozen=True)

    rule_id: str
    reference: str
    scope: str
    item_id: str | None = None
    result: Result
    message: str
    facts: dict[str, object]

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @cached_property
    def json(self) -> bytes:
        """Serialized once: an entry recurs in every evaluation of the same facts."""
        return self.__pydantic_serializer__.to_json(self)


def reason_of(rule_id: str, reference: str, verdict: Verdict) -> Reason:
    return Reason(rule_id=rule_id, reference=reference, message=verdict.message, facts=verdict.facts)


def trace_of(rule: Rule, scope: str, verdict: Verdict, item_id: str | None = None) -> TraceEntry:
    return TraceEntry(
        rule_id=rule.id,
        reference=rule.reference,
        scope=scope,
        item_id=item_id,
        result=verdict.result,
        message=verdict.message,
        facts=verdict.facts,
    )
