"""Responses: the pydantic models the routes declare, served and validated by FastAPI."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rvi_eligibility.decisions.records import NewDecision
from rvi_eligibility.decisions.schemas import (
    BatchItemOut,
    BatchOut,
    DecisionOut,
    DecisionSummary,
    EvaluationOut,
    ItemError,
)
from rvi_eligibility.decisions.service import EnterpriseView
from rvi_eligibility.decisions.tasks import BatchResult
from rvi_eligibility.facts.schemas import ConsentOut, EnterpriseOut, FactChangeOut
from rvi_eligibility.models import Decision, EnterpriseFactChange
from rvi_eligibility.rules.consent_scope import covers_remote_video, scope_out
from rvi_eligibility.rules.evaluation import Evaluation, TraceEntry, evaluate_enterprise
from rvi_eligibility.rules.model import Result
from rvi_shared.events.payloads import Reason


def _summary(d: NewDecision | Decision) -> dict[str, Any]:
    """A decision's fields but its trace: a new one's (with its evaluation) or a stored one's."""
    if isinstance(d, NewDecision):
        e = d.evaluation
        made = {"remote_allowed": e.remote_allowed, "outcome": e.outcome, "items": e.judgement.items}
        made |= {"reasons": e.judgement.reasons, "rule_set_version": e.rule_set_version, "as_at": e.as_at}
    else:
        made = {"remote_allowed": d.remote_allowed, "outcome": d.outcome, "items": d.items, "reasons": d.reasons}
        made |= {"rule_set_version": d.rule_set_version, "as_at": d.as_at}
    return made | {
        "id": d.id,
        "kind": d.kind,
        "inspection_id": d.inspection_id,
        "enterprise_id": d.enterprise_id,
        "supersedes": d.supersedes,
    }


def decision_out(d: NewDecision | Decision, trace: Sequence[TraceEntry | dict[str, Any]] | None = None) -> DecisionOut:
    """With its trace: a new decision's evaluation's, or `trace` (the stored one of a Decision row)."""
    if isinstance(d, NewDecision):
        trace = d.evaluation.judgement.trace
    assert trace is not None
    return DecisionOut.model_validate(
        _summary(d)
        | {
            "customs": d.customs,
            "trace": trace,
            "evaluated_at": d.evaluated_at,
            "trigger": d.trigger,
            "decided_by": d.decided_by,
        }
    )


def batch_out(results: Sequence[BatchResult]) -> BatchOut:
    out: list[BatchItemOut] = []
    for r in results:
        if r.error is not None:
            error = ItemError(status=r.error.status_code, detail=r.error.message)
            out.append(BatchItemOut(index=r.index, error=error))
        else:
            assert r.decision is not None
            out.append(BatchItemOut(index=r.index, decision=DecisionSummary.model_validate(_summary(r.decision))))
    failed = sum(1 for r in results if r.error is not None)
    return BatchOut(stored=len(results) - failed, failed=failed, results=out)


def evaluation_out(enterprise_id: str, customs: str, evaluation: Evaluation, now: datetime) -> EvaluationOut:
    return EvaluationOut(
        enterprise_id=enterprise_id,
        customs=customs,
        remote_allowed=evaluation.remote_allowed,
        outcome=evaluation.outcome,
        items=evaluation.items,
        reasons=evaluation.reasons,
        trace=evaluation.trace,
        rule_set_version=evaluation.rule_set_version,
        as_at=evaluation.as_at,
        evaluated_at=now,
    )


def _change_out(c: EnterpriseFactChange) -> FactChangeOut:
    return FactChangeOut(
        seq=c.seq,
        effective_from=c.effective_from,
        changes=c.changes,
        source=c.source,
        source_ref=c.source_ref,
        note=c.note,
        recorded_at=c.recorded_at,
    )


def _failing(trace: Sequence[TraceEntry]) -> list[Reason]:
    return [
        Reason(rule_id=t.rule_id, reference=t.reference, message=t.message, facts=t.facts)
        for t in trace
        if t.result is Result.FAIL
    ]


def enterprise_out(view: EnterpriseView, now: datetime) -> EnterpriseOut:
    standing = view.standing
    rules = evaluate_enterprise(standing.enterprise_id, standing if view.known_now else None, now)
    blocking = _failing(rules)
    return EnterpriseOut(
        enterprise_id=standing.enterprise_id,
        as_at=now,
        effective_from=standing.effective_from,
        name=standing.name,
        consent=ConsentOut(
            given=standing.consent_given,
            scope=scope_out(standing.consent_scope),
            revoked_at=standing.consent_revoked_at,
            in_effect=standing.consents_at(now),
            covers_remote_video_inspection=covers_remote_video(standing.consent_scope),
        ),
        can_cooperate=standing.can_cooperate,
        technical_conditions=standing.technical_conditions,
        credit_status=standing.credit_status,  # type: ignore[arg-type]
        mandatory_onsite=standing.mandatory_onsite,
        mandatory_onsite_reason=standing.mandatory_onsite_reason,
        remote_eligible=not blocking,
        blocking=blocking,
        enterprise_rules=rules,
        falsification_history=[_change_out(c) for c in view.history if "mandatory_onsite" in c.changes],
        scheduled_changes=[_change_out(c) for c in view.history if c.effective_from > now],
    )
