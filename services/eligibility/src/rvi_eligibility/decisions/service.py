"""Eligibility of the inspections this service follows: their decision chains, the reactions to
other services' events, and enterprise facts changes (which re-check open inspections).
The request or event handler owns the transaction; nothing here commits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rvi_eligibility.decisions.records import NewDecision, new_decision
from rvi_eligibility.decisions.repository import EligibilityRepository
from rvi_eligibility.facts.changes import moments_ahead
from rvi_eligibility.facts.repository import Lock
from rvi_eligibility.facts.store import FactStore
from rvi_eligibility.models import DECISION_OF_INSPECTION, Decision, EnterpriseFactChange, InspectionRequest
from rvi_eligibility.rules.evaluation import Evaluation, OfficerOverride, evaluate, stricter
from rvi_eligibility.rules.model import TaskFacts
from rvi_eligibility.rules.rulesets import RuleSet
from rvi_eligibility.rules.standing import EnterpriseStanding
from rvi_eligibility.settings import EligibilitySettings
from rvi_shared.auth import Principal
from rvi_shared.clock import Clock
from rvi_shared.errors import Conflict, NotFound
from rvi_shared.events import payloads as p
from rvi_shared.events.envelope import CloudEvent
from rvi_shared.messaging.outbox import Outbox


@dataclass(frozen=True)
class EnterpriseView:
    standing: EnterpriseStanding
    known_now: bool
    history: Sequence[EnterpriseFactChange]


def ensure_open(request: InspectionRequest) -> None:
    """409 once the inspection is closed (escalated, cancelled, done): it is not decided again."""
    if request.closed_at is not None:
        raise Conflict(
            f"inspection {request.inspection_id!r} is closed ({request.closed_reason}): it is not decided again",
            current_state=request.closed_reason or "closed",
        )


class EligibilityService:
    def __init__(self, session: AsyncSession, outbox: Outbox, clock: Clock, settings: EligibilitySettings) -> None:
        self.session = session
        self.repo = EligibilityRepository(session)
        self.facts = FactStore(self.repo, clock)
        self.outbox = outbox
        self.clock = clock
        self.settings = settings

    # --- enterprise facts ---

    async def enterprise(self, enterprise_id: str) -> EnterpriseView:
        history = await self.facts.history(enterprise_id)
        if not history:
            raise NotFound(f"no facts recorded for enterprise {enterprise_id!r}")
        standing = await self.facts.standing(enterprise_id, self.clock.now())
        return EnterpriseView(standing or EnterpriseStanding(enterprise_id), standing is not None, history)

    async def record_facts(
        self,
        enterprise_id: str,
        values: Mapping[str, Any],
        effective_from: datetime,
        source: str,
        source_ref: str | None,
        note: str | None = None,
    ) -> None:
        """Record the change, then re-check the enterprise's open inspections (stricter only); a
        change that takes effect later re-checks them again then (see rechecks.py)."""
        await self.facts.record(enterprise_id, values, effective_from, source, source_ref, note)
        cause = f"{source} {source_ref or ''}".strip()
        now = self.clock.now()
        for due_at in moments_ahead(values, effective_from, now):
            await self.repo.schedule_recheck(enterprise_id, due_at, cause, now)
        await self.reevaluate_open(enterprise_id, f"enterprise facts changed ({cause})")

    async def lift_mandatory_onsite(self, enterprise_id: str, reason: str, supervisor: Principal) -> None:
        """GACC-RVI 3(IV) lasts until a supervisor lifts it with a reason. Open inspections are not
        re-decided toward remote by this: only a new evaluation (or a new task) will be."""
        standing = await self.facts.standing(enterprise_id, self.clock.now(), lock="update")
        if standing is None or not standing.mandatory_onsite:
            raise Conflict(
                f"enterprise {enterprise_id!r} is not under mandatory on-site verification (GACC-RVI 3(IV))",
                current_state="not_mandatory_onsite",
            )
        await self.facts.record(
            enterprise_id,
            {"mandatory_onsite": False, "mandatory_onsite_reason": None},
            self.clock.now(),
            "supervisor-lift",
            f"{supervisor.subject} ({supervisor.credential_no})",
            note=reason,
        )

    # --- evaluating and deciding the inspections this service follows ---

    async def evaluate_request(
        self,
        request: InspectionRequest,
        at: datetime,
        lock: Lock = None,
        rule_set: RuleSet | None = None,
        with_overrides: bool = True,
    ) -> Evaluation:
        task = TaskFacts(
            as_at=at,
            enterprise_id=request.enterprise_id,
            enterprise=await self.facts.standing(request.enterprise_id, at, lock=lock),
            customs=request.customs,
            special_campaign=request.special_campaign,
            directives=tuple(request.directives),
        )
        items = [p.ChecklistItem.model_validate(i) for i in request.items]
        overrides = await self.overrides(request.inspection_id) if with_overrides else []
        return evaluate(task, items, rule_set, overrides)

    async def overrides(self, inspection_id: str) -> list[OfficerOverride]:
        return [
            OfficerOverride(o.item_id, o.reason, o.legal_basis, o.officer, o.credential_no, o.created_at)
            for o in await self.repo.active_overrides(inspection_id)
        ]

    async def decide(
        self,
        request: InspectionRequest,
        evaluation: Evaluation,
        trigger: str,
        supersedes: str | None = None,
        decided_by: str | None = None,
    ) -> NewDecision:
        """A new immutable decision in the inspection's chain, emitted in the same transaction."""
        now = self.clock.now()
        decision = new_decision(
            DECISION_OF_INSPECTION,
            request.inspection_id,
            request.enterprise_id,
            request.customs,
            evaluation,
            now,
            trigger,
            decided_by,
            supersedes,
        )
        await self.repo.insert_decisions([decision])
        request.latest_decision_id = decision.id
        await self.outbox.emit(
            self.session,
            p.EligibilityDecided(
                decision_id=decision.id,
                inspection_id=request.inspection_id,
                enterprise_id=request.enterprise_id,
                remote_allowed=evaluation.remote_allowed,
                outcome=evaluation.outcome,
                items=evaluation.items,
                reasons=evaluation.reasons,
                rule_set_version=evaluation.rule_set_version,
                evaluated_at=now,
                supersedes=supersedes,
            ),
            subject=request.inspection_id,
            time=now,
        )
        return decision

    async def open_request(self, inspection_id: str) -> InspectionRequest:
        """The followed inspection, locked; 404 if unknown, 409 once it is closed."""
        request = await self.repo.request(inspection_id, for_update=True)
        if request is None:
            raise NotFound(f"inspection {inspection_id!r} is not known to eligibility")
        ensure_open(request)
        return request

    async def reevaluate_open(self, enterprise_id: str, trigger: str) -> None:
        """Re-check the enterprise's open inspections now. Facts only bear on whole-task rules, so
        only a remote-allowing decision is re-checked, and superseded only by a stricter one."""
        now = self.clock.now()
        for request in await self.repo.open_requests(enterprise_id):
            previous = await self.repo.decision(request.latest_decision_id) if request.latest_decision_id else None
            if previous is None or not previous.remote_allowed:
                continue
            evaluation = await self.evaluate_request(request, now)
            if stricter(evaluation.outcome, previous.outcome):
                await self.decide(request, evaluation, trigger, supersedes=previous.id)

    # --- reading decisions ---

    async def decision(self, decision_id: str) -> Decision:
        decision = await self.repo.decision(decision_id)
        if decision is None:
            raise NotFound(f"decision {decision_id!r} not found")
        return decision

    async def latest_decision(self, inspection_id: str) -> Decision:
        request = await self.repo.request(inspection_id)
        if request is None or request.latest_decision_id is None:
            raise NotFound(f"no decision for inspection {inspection_id!r}")
        return await self.decision(request.latest_decision_id)

    async def chain(self, inspection_id: str) -> list[Decision]:
        return await self.repo.chain(inspection_id)

    async def traces(self, decisions: Sequence[Decision]) -> dict[str, list[dict[str, Any]]]:
        return await self.repo.traces({d.trace_digest for d in decisions})

    # --- reactions to other services' events ---

    async def on_requested(self, event: CloudEvent, requested: p.InspectionRequested) -> NewDecision | None:
        """Store the request facts and decide once per inspection, whatever the event id."""
        now = self.clock.now()
        request = InspectionRequest(
            inspection_id=requested.inspection_id,
            enterprise_id=requested.enterprise_id,
            customs=requested.customs,
            items=[i.model_dump(mode="json") for i in requested.checklist_items],
            special_campaign=requested.special_campaign,
            directives=list(requested.directives),
            requested_at=requested.requested_at,
            received_at=now,
            latest_decision_id=None,
            closed_at=None,
            closed_reason=None,
        )
        await self.repo.lock_inspection(requested.inspection_id)
        if not await self.repo.add_request(request):
            return None
        stored = await self.repo.request(requested.inspection_id, for_update=True)
        assert stored is not None
        # Share-lock the facts so a concurrent fact change waits and then sees this inspection.
        # A new inspection has no 3(V) override yet.
        evaluation = await self.evaluate_request(stored, now, lock="share", with_overrides=False)
        decision = await self.decide(stored, evaluation, f"{event.type} {event.id}")
        parked = await self.repo.take_parked_closure(requested.inspection_id)
        if parked is not None:
            stored.closed_at = now
            stored.closed_reason = parked
        return decision

    async def close(self, inspection_id: str, reason: str) -> None:
        """Closed inspections are no longer re-evaluated. The closure of an inspection not requested
        yet (an event of another topic overtook the request) is parked until it is."""
        request = await self.repo.request(inspection_id, for_update=True)
        if request is None:
            await self.repo.lock_inspection(inspection_id)
            request = await self.repo.request(inspection_id, for_update=True)
            if request is None:
                await self.repo.park_closure(inspection_id, reason[:64], self.clock.now())
                return
        if request.closed_at is None:
            request.closed_at = self.clock.now()
            request.closed_reason = reason

    async def on_escalated(self, event: CloudEvent, escalated: p.SessionEscalated) -> None:
        """The escalated task itself goes on-site (GACC-RVI 5); a confirmed falsification puts the
        enterprise under mandatory on-site verification for later tasks (GACC-RVI 3(IV))."""
        await self.close(escalated.inspection_id, f"escalated {escalated.reason_code}")
        if escalated.falsification_confirmed:
            reason = (
                f"falsification confirmed in session {escalated.session_id} of inspection "
                f"{escalated.inspection_id} ({escalated.reason_code}): {escalated.reason}"
            )
            await self.record_facts(
                escalated.enterprise_id,
                {"mandatory_onsite": True, "mandatory_onsite_reason": reason},
                self.clock.now(),
                "escalation",
                event.id,
            )

    async def on_equipment_tested(self, event: CloudEvent, tested: p.EquipmentTested) -> None:
        """The test result is the enterprise's technical conditions (GACC-RVI 2) from `tested_at` on."""
        await self.record_facts(
            tested.enterprise_id,
            {"technical_conditions": tested.passed},
            tested.tested_at,
            "equipment-test",
            event.id,
            note=f"equipment test for inspection {tested.inspection_id}: {'passed' if tested.passed else 'failed'}",
        )
