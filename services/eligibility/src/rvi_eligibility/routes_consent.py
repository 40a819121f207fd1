"""The enterprise's own consent to remote video inspection (GACC-RVI 2), given or revoked from the
enterprise portal by its representative."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from rvi_eligibility.dependencies import Service
from rvi_eligibility.presenters import enterprise_out
from rvi_eligibility.schemas import EnterpriseOut
from rvi_eligibility.task_schemas import ConsentIn
from rvi_shared.auth import Principal, Role, ensure_enterprise_access, require_roles
from rvi_shared.identifiers import EnterpriseId

router = APIRouter(prefix="/v1/enterprises", tags=["enterprises"])


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
