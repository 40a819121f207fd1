from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from rvi_eligibility.catalogue import HIGH_RISK_CHAPTERS, NON_VIDEO_CATEGORIES, CatalogueEntry
from rvi_eligibility.dependencies import eligibility_service
from rvi_eligibility.districts import PILOT_DISTRICTS, SUBORDINATE_CUSTOMS
from rvi_eligibility.evaluation import TraceEntry
from rvi_eligibility.facts import EnterpriseStanding
from rvi_eligibility.models import Decision, EnterpriseFactChange
from rvi_eligibility.rules import ALL_RULES, PHYSICAL_DIRECTIVE_KEYWORDS, RULE_SET_VERSION
from rvi_eligibility.schemas import (
    CatalogueEntryOut,
    ConsentOut,
    DecisionOut,
    EnterpriseOut,
    EvaluationOut,
    EvaluationRequest,
    FactChangeOut,
    FactsUpdate,
    RuleCatalogueOut,
    RuleOut,
)
from rvi_eligibility.service import EligibilityService
from rvi_shared.auth import Principal, Role, ensure_enterprise_access, require_roles
from rvi_shared.events.payloads import ItemDecision, Reason

Service = Annotated[EligibilityService, Depends(eligibility_service)]
Staff = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.SYSTEM)
Readers = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.SYSTEM, Role.ENTERPRISE)
Anyone = require_roles(*Role)

enterprises = APIRouter(prefix="/v1/enterprises", tags=["enterprises"])
evaluations = APIRouter(prefix="/v1/evaluations", tags=["evaluations"])
decisions = APIRouter(tags=["decisions"])
rules = APIRouter(prefix="/v1/rules", tags=["rules"])


def enterprise_out(
    service: EligibilityService, standing: EnterpriseStanding, scheduled: list[EnterpriseFactChange]
) -> EnterpriseOut:
    now = service.clock.now()
    return EnterpriseOut(
        enterprise_id=standing.enterprise_id,
        as_at=now,
        effective_from=standing.effective_from,
        name=standing.name,
        consent=ConsentOut(
            given=standing.consent_given,
            scope=standing.consent_scope,
            revoked_at=standing.consent_revoked_at,
            in_effect=standing.consents_at(now),
        ),
        can_cooperate=standing.can_cooperate,
        technical_conditions=standing.technical_conditions,
        credit_status=standing.credit_status,  # type: ignore[arg-type]
        mandatory_onsite=standing.mandatory_onsite,
        mandatory_onsite_reason=standing.mandatory_onsite_reason,
        scheduled_changes=[
            FactChangeOut(
                seq=c.seq,
                effective_from=c.effective_from,
                changes=c.changes,
                source=c.source,
                recorded_at=c.recorded_at,
            )
            for c in scheduled
        ],
    )


def decision_out(decision: Decision) -> DecisionOut:
    return DecisionOut(
        id=decision.id,
        inspection_id=decision.inspection_id,
        enterprise_id=decision.enterprise_id,
        customs=decision.customs,
        remote_allowed=decision.remote_allowed,
        outcome=decision.outcome,  # type: ignore[arg-type]
        items=[ItemDecision.model_validate(i) for i in decision.items],
        reasons=[Reason.model_validate(r) for r in decision.reasons],
        trace=[TraceEntry.model_validate(t) for t in decision.trace],
        rule_set_version=decision.rule_set_version,
        as_at=decision.as_at,
        evaluated_at=decision.evaluated_at,
        supersedes=decision.supersedes,
        trigger=decision.trigger,
    )


@enterprises.put("/{enterprise_id}/facts", response_model=EnterpriseOut)
async def put_facts(
    enterprise_id: str,
    body: FactsUpdate,
    service: Service,
    principal: Principal = Depends(require_roles(Role.SYSTEM)),
) -> EnterpriseOut:
    """Record a partial, effective-dated change of the enterprise's facts (GACC-RVI 2, 3(IV)).
    Open inspections whose decision allowed remote video are re-evaluated; a stricter outcome
    emits a superseding `rvi.eligibility.decided.v1`."""
    values = body.model_dump(exclude_none=True, exclude={"effective_from", "consent"})
    if body.consent is not None:
        values |= {
            "consent_given": body.consent.given,
            "consent_scope": body.consent.scope,
            "consent_revoked_at": body.consent.revoked_at,
        }
    if body.mandatory_onsite is False:
        values["mandatory_onsite_reason"] = body.mandatory_onsite_reason
    effective_from = body.effective_from or service.clock.now()
    await service.record_facts(enterprise_id, values, effective_from, "rest", principal.subject)
    return enterprise_out(service, *await service.enterprise(enterprise_id))


@enterprises.get("/{enterprise_id}", response_model=EnterpriseOut)
async def get_enterprise(
    enterprise_id: str, service: Service, principal: Principal = Depends(Readers)
) -> EnterpriseOut:
    ensure_enterprise_access(principal, enterprise_id)
    return enterprise_out(service, *await service.enterprise(enterprise_id))


@evaluations.post("", response_model=EvaluationOut)
async def what_if(body: EvaluationRequest, service: Service, principal: Principal = Depends(Staff)) -> EvaluationOut:
    """Evaluate a request against the facts and rules in force at `as_at`; nothing is stored."""
    evaluation = await service.what_if(
        body.enterprise_id, body.customs, body.checklist_items, body.special_campaign, body.directives, body.as_at
    )
    return EvaluationOut(
        enterprise_id=body.enterprise_id,
        customs=body.customs,
        remote_allowed=evaluation.remote_allowed,
        outcome=evaluation.outcome,
        items=evaluation.items,
        reasons=evaluation.reasons,
        trace=evaluation.trace,
        rule_set_version=evaluation.rule_set_version,
        as_at=evaluation.as_at,
        evaluated_at=service.clock.now(),
    )


@decisions.get("/v1/decisions/{decision_id}", response_model=DecisionOut)
async def get_decision(decision_id: str, service: Service, principal: Principal = Depends(Readers)) -> DecisionOut:
    decision = await service.decision(decision_id)
    ensure_enterprise_access(principal, decision.enterprise_id)
    return decision_out(decision)


@decisions.get("/v1/inspections/{inspection_id}/decision", response_model=DecisionOut)
async def get_latest_decision(
    inspection_id: str, service: Service, principal: Principal = Depends(Readers)
) -> DecisionOut:
    """The inspection's decision in force: the latest of its chain of superseding decisions."""
    decision = await service.latest_decision(inspection_id)
    ensure_enterprise_access(principal, decision.enterprise_id)
    return decision_out(decision)


@decisions.get("/v1/inspections/{inspection_id}/decisions", response_model=list[DecisionOut])
async def list_decisions(
    inspection_id: str, service: Service, principal: Principal = Depends(Readers)
) -> list[DecisionOut]:
    """Every decision of the inspection, oldest first."""
    latest = await service.latest_decision(inspection_id)
    ensure_enterprise_access(principal, latest.enterprise_id)
    return [decision_out(d) for d in await service.repo.decisions(inspection_id)]


def _entry(e: CatalogueEntry) -> CatalogueEntryOut:
    return CatalogueEntryOut(
        key=e.key, description=e.description, effective_from=e.effective_from, effective_to=e.effective_to
    )


@rules.get("", response_model=RuleCatalogueOut)
async def rule_catalogue(principal: Principal = Depends(Anyone)) -> RuleCatalogueOut:
    """The rules with their legal references and effective dates, and the catalogues they use."""
    return RuleCatalogueOut(
        rule_set_version=RULE_SET_VERSION,
        rules=[
            RuleOut(
                id=r.id,
                reference=r.reference,
                title=r.title,
                scope=r.scope,
                effective_from=r.effective_from,
                effective_to=r.effective_to,
            )
            for r in ALL_RULES
        ],
        high_risk_chapters=[_entry(e) for e in HIGH_RISK_CHAPTERS],
        non_video_categories=[_entry(e) for e in NON_VIDEO_CATEGORIES],
        physical_directive_keywords=list(PHYSICAL_DIRECTIVE_KEYWORDS),
        pilot_districts=list(PILOT_DISTRICTS),
        subordinate_customs=dict(SUBORDINATE_CUSTOMS),
    )


routers = [enterprises, evaluations, decisions, rules]
