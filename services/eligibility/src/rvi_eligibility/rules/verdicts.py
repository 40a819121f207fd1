"""The parts of a decision's trace: an entry per rule evaluated, the parts memoized per task or
item, and officers' 3(V) overrides, which enter a trace like a failing rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from pydantic_core import to_json

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


@dataclass(frozen=True)
class TraceEntry:
    rule_id: str
    reference: str
    scope: str
    item_id: str | None
    result: Result
    message: str
    facts: dict[str, object]

    def as_json(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "reference": self.reference,
            "scope": self.scope,
            "item_id": self.item_id,
            "result": self.result.value,
            "message": self.message,
            "facts": self.facts,
        }

    @cached_property
    def json(self) -> bytes:
        """Serialized once: memoized entries recur in many decisions."""
        return to_json(self.as_json())


@dataclass(frozen=True, eq=False)
class Part:
    """The verdicts of the task rules, or of the item rules for one item. Compared by identity:
    memoized parts recur, and so do the traces made of them (serialized once, see evaluation.py)."""

    trace: tuple[TraceEntry, ...]
    reasons: tuple[Reason, ...]


def reason_of(rule_id: str, reference: str, verdict: Verdict) -> Reason:
    return Reason(rule_id=rule_id, reference=reference, message=verdict.message, facts=verdict.facts)


def trace_of(rule: Rule, scope: str, verdict: Verdict, item_id: str | None = None) -> TraceEntry:
    return TraceEntry(rule.id, rule.reference, scope, item_id, verdict.result, verdict.message, verdict.facts)
