"""GACC-RVI 3(V): customs may judge remote video unsuitable. An officer or supervisor sends an
inspection (or some of its items) on-site with a reason and legal basis; the way back to remote
only lifts such an override, and never while 3(I), 3(II) or 3(IV) applies."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from rvi_eligibility.decisions.records import NewDecision
from rvi_eligibility.decisions.schemas import OverrideIn
from rvi_eligibility.decisions.service import EligibilityService
from rvi_eligibility.models import InspectionRequest, Override
from rvi_shared.auth import Principal
from rvi_shared.errors import Conflict, Unprocessable
from rvi_shared.events.payloads import Reason

NOT_OVERRIDABLE = ("GACC-RVI 3(I)", "GACC-RVI 3(II)", "GACC-RVI 3(IV)")


class OverrideService:
    def __init__(self, service: EligibilityService) -> None:
        self.service = service
        self.repo = service.repo
        self.clock = service.clock

    async def apply(self, inspection_id: str, body: OverrideIn, officer: Principal) -> NewDecision:
        request = await self.service.open_request(inspection_id)
        _check_items(request, body.items)
        if body.direction == "onsite":
            return await self._onsite(request, body, officer)
        return await self._lift(request, body, officer)

    async def _onsite(self, request: InspectionRequest, body: OverrideIn, officer: Principal) -> NewDecision:
        now = self.clock.now()
        for item_id in body.items or [None]:
            self.repo.add_override(
                Override(
                    id=str(uuid.uuid4()),
                    inspection_id=request.inspection_id,
                    item_id=item_id,
                    reason=body.reason,
                    legal_basis=body.legal_basis,
                    officer=officer.subject,
                    credential_no=officer.credential_no,
                    created_at=now,
                )
            )
        await self.repo.session.flush()
        what = f"items {', '.join(body.items)}" if body.items else "the whole task"
        return await self._redecide(request, f"3(V) override on-site ({what}) by {officer.subject}", officer)

    async def _lift(self, request: InspectionRequest, body: OverrideIn, officer: Principal) -> NewDecision:
        rules_alone = await self.service.evaluate_request(request, self.clock.now(), with_overrides=False)
        blocking = _blocking(rules_alone.reasons, body.items)
        if blocking:
            rules = ", ".join(f"{r.rule_id} ({r.reference})" for r in blocking)
            raise Conflict(
                f"remote video cannot be ordered while {rules} applies: only GACC-RVI 3(V) overrides can be lifted",
                current_state=rules_alone.outcome,
                rules=[{"rule_id": r.rule_id, "reference": r.reference, "message": r.message} for r in blocking],
            )
        active = await self.repo.active_overrides(request.inspection_id)
        if body.items and any(o.item_id is None for o in active):
            raise Conflict(
                "a whole-task GACC-RVI 3(V) override is in force: lift it without items", current_state="overridden"
            )
        lifting = [o for o in active if body.items is None or o.item_id in body.items]
        if not lifting:
            raise Conflict(
                f"no GACC-RVI 3(V) override is in force for inspection {request.inspection_id!r}"
                f"{' items ' + ', '.join(body.items) if body.items else ''}: remote video is decided by the rules",
                current_state=rules_alone.outcome,
            )
        now = self.clock.now()
        for override in lifting:
            override.lifted_at = now
            override.lifted_by = officer.subject
            override.lift_reason = body.reason
        await self.repo.session.flush()
        return await self._redecide(request, f"3(V) override lifted by {officer.subject}: {body.reason}", officer)

    async def _redecide(self, request: InspectionRequest, trigger: str, officer: Principal) -> NewDecision:
        evaluation = await self.service.evaluate_request(request, self.clock.now())
        return await self.service.decide(
            request, evaluation, trigger, supersedes=request.latest_decision_id, decided_by=officer.subject
        )


def _check_items(request: InspectionRequest, items: Sequence[str] | None) -> None:
    known = {i["item_id"] for i in request.items}
    unknown = [i for i in items or () if i not in known]
    if unknown:
        raise Unprocessable(f"items: {', '.join(unknown)} not in inspection {request.inspection_id!r}", field="items")


def _blocking(reasons: Sequence[Reason], items: Sequence[str] | None) -> list[Reason]:
    """3(II) and 3(IV) bind the whole task; 3(I) binds the items it names."""
    return [
        r
        for r in reasons
        if r.reference in NOT_OVERRIDABLE
        and (items is None or r.reference != "GACC-RVI 3(I)" or r.facts.get("item_id") in items)
    ]
