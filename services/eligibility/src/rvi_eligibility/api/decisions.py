"""Evaluations (what-if), decisions (single, batch), reading them, and 3(V) overrides."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from rvi_eligibility.api.dependencies import Officers, Overrides, Readers, Service, Staff, Tasks
from rvi_eligibility.decisions.presenters import batch_out, decision_out, evaluation_out
from rvi_eligibility.decisions.schemas import (
    BatchIn,
    BatchOut,
    DecisionOut,
    EvaluationOut,
    EvaluationRequest,
    OverrideIn,
    TaskIn,
)
from rvi_eligibility.decisions.service import EligibilityService
from rvi_eligibility.models import Decision
from rvi_shared.auth import Principal, ensure_enterprise_access

router = APIRouter(tags=["decisions"])


def _error(example: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"example": example}}}


UNKNOWN_CUSTOMS = _error(
    {"detail": "customs: 'Xiamen' is not a customs office of the 17 pilot districts (GACC-RVI 1)", "field": "customs"},
    "a customs office outside the pilot, an as_at before the pilot, or an unpublished rule-set version",
)
OVERRIDE_REFUSED = _error(
    {
        "detail": "remote video cannot be ordered while mandatory-onsite-after-falsification (GACC-RVI 3(IV)) "
        "applies: only GACC-RVI 3(V) overrides can be lifted",
        "current_state": "onsite",
        "rules": [
            {
                "rule_id": "mandatory-onsite-after-falsification",
                "reference": "GACC-RVI 3(IV)",
                "message": "the enterprise is under mandatory on-site verification: falsified footage",
            }
        ],
    },
    "toward remote while 3(I), 3(II) or 3(IV) applies, with no 3(V) override to lift, or on a closed inspection",
)


@router.post("/v1/decisions", status_code=201, response_model=DecisionOut, responses={422: UNKNOWN_CUSTOMS})
async def decide(body: TaskIn, tasks: Tasks, principal: Principal = Depends(Staff)) -> DecisionOut:
    """Evaluate a task and store the decision. With the id of an open inspection this service
    follows, the decision supersedes that inspection's previous one and is emitted as
    `rvi.eligibility.decided.v1`; any other task is stored ad hoc and not emitted."""
    return decision_out(await tasks.decide(body, principal))


@router.post("/v1/evaluations", response_model=EvaluationOut, responses={422: UNKNOWN_CUSTOMS})
async def what_if(body: EvaluationRequest, tasks: Tasks, principal: Principal = Depends(Staff)) -> EvaluationOut:
    """Evaluate a task against the facts and rules in force at `as_at` (default now), or against
    alternative `facts` and another published `rule_set_version`. Nothing is stored."""
    evaluation = await tasks.what_if(body)
    return evaluation_out(body.enterprise_id, body.customs, evaluation, tasks.clock.now())


@router.post("/v1/decisions:batch", response_model=BatchOut)
async def decide_batch(body: BatchIn, tasks: Tasks, principal: Principal = Depends(Staff)) -> BatchOut:
    """Decide and store up to 1,000 tasks in one transaction. The results come in order, one per
    task: a decision summary (read the full trace with GET /v1/decisions/{id}) or an error, e.g.
    422 for a customs office outside the pilot; the other tasks are stored all the same."""
    return batch_out(await tasks.decide_batch(body.tasks, principal))


@router.get("/v1/decisions/{decision_id}", response_model=DecisionOut)
async def get_decision(decision_id: str, service: Service, principal: Principal = Depends(Readers)) -> DecisionOut:
    return await _stored(service, await service.decision(decision_id), principal)


@router.get("/v1/inspections/{inspection_id}/decision", response_model=DecisionOut)
async def get_latest_decision(
    inspection_id: str, service: Service, principal: Principal = Depends(Readers)
) -> DecisionOut:
    """The inspection's decision in force: the latest of its chain of superseding decisions."""
    return await _stored(service, await service.latest_decision(inspection_id), principal)


async def _stored(service: EligibilityService, decision: Decision, principal: Principal) -> DecisionOut:
    ensure_enterprise_access(principal, decision.enterprise_id)
    traces = await service.traces([decision])
    return decision_out(decision, traces[decision.trace_digest])


@router.get("/v1/inspections/{inspection_id}/decisions", response_model=list[DecisionOut])
async def list_decisions(
    inspection_id: str, service: Service, principal: Principal = Depends(Readers)
) -> list[DecisionOut]:
    """Every decision of the inspection, oldest first, each superseding the one before."""
    latest = await service.latest_decision(inspection_id)
    ensure_enterprise_access(principal, latest.enterprise_id)
    chain = await service.chain(inspection_id)
    traces = await service.traces(chain)
    return [decision_out(d, traces[d.trace_digest]) for d in chain]


@router.post(
    "/v1/inspections/{inspection_id}/override",
    status_code=201,
    response_model=DecisionOut,
    responses={409: OVERRIDE_REFUSED},
)
async def override(
    inspection_id: str, body: OverrideIn, overrides: Overrides, principal: Principal = Depends(Officers)
) -> DecisionOut:
    """GACC-RVI 3(V): an officer or supervisor sends the inspection (or some items) on-site with a
    reason and legal basis, or lifts such an override. Each creates a new decision superseding
    the previous one, emitted as `rvi.eligibility.decided.v1`. Toward remote is refused (409,
    naming the rules) while 3(I), 3(II) or 3(IV) applies."""
    return decision_out(await overrides.apply(inspection_id, body, principal))
