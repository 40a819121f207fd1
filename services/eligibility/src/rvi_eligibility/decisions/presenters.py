"""Responses. Decisions are served as JSON built directly from their stored (already JSON-shaped)
columns or from their serialized parts: re-validating a full trace through pydantic would cost
more than the rest of a request."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fastapi import Response
from pydantic_core import to_json

from rvi_eligibility.decisions.schemas import EvaluationOut, TraceEntryOut
from rvi_eligibility.decisions.service import EnterpriseView
from rvi_eligibility.decisions.tasks import AdHocDecision, BatchResult
from rvi_eligibility.facts.schemas import ConsentOut, EnterpriseOut, FactChangeOut
from rvi_eligibility.models import Decision, EnterpriseFactChange
from rvi_eligibility.rules.consent_scope import covers_remote_video, scope_out
from rvi_eligibility.rules.evaluation import Evaluation, TraceEntry, evaluate_enterprise
from rvi_eligibility.rules.model import Result
from rvi_shared.events.payloads import Reason

SUMMARY_FIELDS = (
    "id",
    "kind",
    "inspection_id",
    "enterprise_id",
    "remote_allowed",
    "outcome",
    "items",
    "reasons",
    "rule_set_version",
    "as_at",
    "supersedes",
)


AD_HOC_SCALARS = (
    *(name for name in SUMMARY_FIELDS if name not in ("items", "reasons")),
    "customs",
    "evaluated_at",
    "trigger",
    "decided_by",
)


def json_response(content: Any, status_code: int = 200) -> Response:
    return Response(to_json(content), status_code=status_code, media_type="application/json")


def decision_response(
    d: Decision | AdHocDecision, status_code: int = 200, trace: list[dict[str, Any]] | None = None
) -> Response:
    """A stored decision with its trace (`trace`: the stored one of a Decision row)."""
    if isinstance(d, Decision):
        assert trace is not None
        return json_response(decision_json(d, trace), status_code)
    # Items, reasons and trace are serialized already (for the row): spliced in, not serialized again.
    evaluation = d.evaluation
    scalars = to_json({name: d.row[name] for name in AD_HOC_SCALARS})
    body = b"".join(
        (
            scalars[:-1],
            b',"items":',
            evaluation.items_bytes,
            b',"reasons":',
            evaluation.reasons_bytes,
            b',"trace":',
            evaluation.trace_bytes,
            b"}",
        )
    )
    return Response(body, status_code=status_code, media_type="application/json")


def decision_summary(d: Decision | AdHocDecision) -> dict[str, Any]:
    if isinstance(d, AdHocDecision):
        # The row's JSON columns are serialized text; the evaluation holds the same as objects.
        return {name: d.row[name] for name in SUMMARY_FIELDS} | {
            "items": d.evaluation.items,
            "reasons": d.evaluation.reasons,
        }
    return {name: getattr(d, name) for name in SUMMARY_FIELDS}


def decision_json(d: Decision, trace: list[dict[str, Any]]) -> dict[str, Any]:
    return decision_summary(d) | {
        "customs": d.customs,
        "trace": trace,
        "evaluated_at": d.evaluated_at,
        "trigger": d.trigger,
        "decided_by": d.decided_by,
    }


def batch_response(results: Sequence[BatchResult]) -> Response:
    out: list[dict[str, Any]] = []
    for r in results:
        if r.error is not None:
            error = {"status": r.error.status_code, "detail": r.error.message}
            out.append({"index": r.index, "decision": None, "error": error})
        else:
            assert r.decision is not None
            out.append({"index": r.index, "decision": decision_summary(r.decision), "error": None})
    failed = sum(1 for r in results if r.error is not None)
    return json_response({"stored": len(results) - failed, "failed": failed, "results": out})


def evaluation_out(enterprise_id: str, customs: str, evaluation: Evaluation, now: datetime) -> EvaluationOut:
    return EvaluationOut(
        enterprise_id=enterprise_id,
        customs=customs,
        remote_allowed=evaluation.remote_allowed,
        outcome=evaluation.outcome,
        items=evaluation.items,
        reasons=evaluation.reasons,
        trace=[TraceEntryOut.model_validate(t.as_json()) for t in evaluation.trace],
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
        enterprise_rules=[TraceEntryOut.model_validate(t.as_json()) for t in rules],
        falsification_history=[_change_out(c) for c in view.history if "mandatory_onsite" in c.changes],
        scheduled_changes=[_change_out(c) for c in view.history if c.effective_from > now],
    )
