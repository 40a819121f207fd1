"""A decision as it is made: every decision, single, batch or of a followed inspection, is one of
these, stored by EligibilityRepository.insert_decisions and served by decisions/presenters.py."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from rvi_eligibility.models import AD_HOC_DECISION, DECISION_OF_INSPECTION
from rvi_eligibility.rules.evaluation import Evaluation

Kind = Literal["inspection", "adhoc"]


@dataclass(frozen=True)
class NewDecision:
    """Immutable once made. `kind`: "inspection" for the chain of an inspection this service follows
    (`supersedes` the previous decision of the chain), "adhoc" for a task decided on its own
    (`inspection_id` is then only the caller's reference, if any). Items, reasons and the trace are
    the evaluation's (the trace is stored apart, once per distinct content, under its digest)."""

    id: str
    kind: Kind
    inspection_id: str | None
    enterprise_id: str
    customs: str
    evaluation: Evaluation
    evaluated_at: datetime
    supersedes: str | None
    trigger: str
    decided_by: str | None

    @property
    def remote_allowed(self) -> bool:
        return self.evaluation.remote_allowed

    @property
    def outcome(self) -> str:
        return self.evaluation.outcome


def new_decision(
    kind: Kind,
    inspection_id: str | None,
    enterprise_id: str,
    customs: str,
    evaluation: Evaluation,
    now: datetime,
    trigger: str,
    decided_by: str | None,
    supersedes: str | None = None,
) -> NewDecision:
    assert kind in (DECISION_OF_INSPECTION, AD_HOC_DECISION)
    return NewDecision(
        id=str(uuid.uuid4()),
        kind=kind,
        inspection_id=inspection_id,
        enterprise_id=enterprise_id,
        customs=customs,
        evaluation=evaluation,
        evaluated_at=now,
        supersedes=supersedes,
        trigger=trigger[:255],
        decided_by=decided_by,
    )
