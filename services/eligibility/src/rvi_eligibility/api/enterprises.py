"""Enterprise facts (GACC-RVI 2, 3(IV)) and standing."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from rvi_eligibility.api.dependencies import Readers, Service, Supervisors, Systems
from rvi_eligibility.decisions.presenters import enterprise_out
from rvi_eligibility.facts.schemas import ConsentIn, EnterpriseOut, FactsUpdate, MandatoryOnsiteLift
from rvi_shared.auth import Principal, Role, ensure_enterprise_access, require_roles
from rvi_shared.identifiers import EnterpriseId

router = APIRouter(prefix="/v1/enterprises", tags=["enterprises"])


@router.put("/{enterprise_id}/facts", response_model=EnterpriseOut)
async def put_facts(
    enterprise_id: EnterpriseId, body: FactsUpdate, service: Service, principal: Principal = Depends(Systems)
) -> EnterpriseOut:
    """Record a partial, effective-dated change of the enterprise's facts (GACC-RVI 2, 3(IV)), as an
    external system reports it. Open inspections whose decision allowed remote video are
    re-evaluated; a stricter outcome emits a superseding `rvi.eligibility.decided.v1`."""
    effective_from = body.effective_from or service.clock.now()
    await service.record_facts(enterprise_id, body.values(), effective_from, "rest", principal.subject)
    return enterprise_out(await service.enterprise(enterprise_id), service.clock.now())


@router.get("/{enterprise_id}", response_model=EnterpriseOut)
async def get_enterprise(
    enterprise_id: EnterpriseId, service: Service, principal: Principal = Depends(Readers)
) -> EnterpriseOut:
    """The enterprise's current standing: its facts now, whether the enterprise rules allow remote
    video now (and which fail), its falsification history and the changes dated later."""
    ensure_enterprise_access(principal, enterprise_id)
    return enterprise_out(await service.enterprise(enterprise_id), service.clock.now())


@router.post(
    "/{enterprise_id}/mandatory-onsite/lift",
    response_model=EnterpriseOut,
    responses={409: {"description": "the enterprise is not under mandatory on-site verification"}},
)
async def lift_mandatory_onsite(
    enterprise_id: EnterpriseId,
    body: MandatoryOnsiteLift,
    service: Service,
    principal: Principal = Depends(Supervisors),
) -> EnterpriseOut:
    """A supervisor lifts the mandatory on-site verification imposed after a falsification
    (GACC-RVI 3(IV)), with a reason kept in the history. Decisions already taken stay as they are."""
    await service.lift_mandatory_onsite(enterprise_id, body.reason, principal)
    return enterprise_out(await service.enterprise(enterprise_id), service.clock.now())


@router.put("/{enterprise_id}/consent", response_model=EnterpriseOut)
async def put_consent(
    enterprise_id: EnterpriseId,
    body: ConsentIn,
    service: Service,
    principal: Principal = Depends(require_roles(Role.ENTERPRISE)),
) -> EnterpriseOut:
    """The enterprise's representative gives (`given` true, with the `scope` it covers) or withdraws
    (`given` false, or `revoked_at`) its consent (GACC-RVI 2), effective now and recorded as the
    enterprise's own statement (source `enterprise`, the representative as reference). Open
    inspections are re-checked as for any change of facts. 403 for another enterprise's id."""
    ensure_enterprise_access(principal, enterprise_id)
    await service.record_facts(enterprise_id, body.values(), service.clock.now(), "enterprise", principal.subject)
    return enterprise_out(await service.enterprise(enterprise_id), service.clock.now())
