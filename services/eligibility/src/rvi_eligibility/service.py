"""Eligibility: enterprise facts, evaluations and immutable decisions. Handlers own the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rvi_eligibility.catalogue import PILOT_START, legal_date
from rvi_eligibility.districts import district_of
from rvi_eligibility.evaluation import Evaluation, evaluate, stricter
from rvi_eligibility.facts import (
    FACT_FIELDS,
    EnterpriseStanding,
    FactChange,
    fold,
    values_from_json,
    values_from_update,
    values_to_json,
)
from rvi_eligibility.models import Decision, EnterpriseFactChange, EnterpriseFacts, InspectionRequest
from rvi_eligibility.repository import EligibilityRepository, Lock
from rvi_eligibility.rules import TaskFacts
from rvi_eligibility.settings import EligibilitySettings
from rvi_shared.clock import Clock
from rvi_shared.errors import NotFound, Unprocessable
from rvi_shared.events import payloads as p
from rvi_shared.events.envelope import CloudEvent
from rvi_shared.messaging.outbox import Outbox

DECIDED = "rvi.eligibility.decided.v1"


class EligibilityService:
    def __init__(self, session: AsyncSession, outbox: Outbox, clock: Clock, settings: EligibilitySettings) -> None:
        self.session = session
        self.repo = EligibilityRepository(session)
        self.outbox = outbox
        self.clock = clock
        self.settings = settings

    # --- enterprise facts ---

    async def standing(self, enterprise_id: str, as_at: datetime, lock: Lock = None) -> EnterpriseStanding | None:
        row = await self.repo.facts(enterprise_id, lock=lock)
        if row is None or row.effective_from is None:
            return None
        if as_at >= row.effective_from:
            return _standing_of(row)
        return fold(enterprise_id, _changes(await self.repo.changes(enterprise_id)), as_at=as_at)

    async def enterprise(self, enterprise_id: str) -> tuple[EnterpriseStanding, list[EnterpriseFactChange]]:
        """The standing now, and the recorded changes that only take effect later."""
        now = self.clock.now()
        changes = await self.repo.changes(enterprise_id)
        if not changes:
            raise NotFound(f"no facts recorded for enterprise {enterprise_id!r}")
        standing = await self.standing(enterprise_id, now) or EnterpriseStanding(enterprise_id)
        return standing, [c for c in changes if c.effective_from > now]

    async def record_facts(
        self,
        enterprise_id: str,
        values: Mapping[str, Any],
        effective_from: datetime,
        source: str,
        source_ref: str | None,
    ) -> EnterpriseStanding:
        """Append the change to the history, refold the current row, then re-check open inspections."""
        unknown = set(values) - set(FACT_FIELDS)
        assert not unknown, f"not enterprise facts: {unknown}"
        now = self.clock.now()
        row = await self.repo.lock_facts_creating(enterprise_id, now)
        self.repo.add_change(
            EnterpriseFactChange(
                enterprise_id=enterprise_id,
                effective_from=effective_from,
                changes=values_to_json(values),
                source=source,
                source_ref=source_ref,
                recorded_at=now,
            )
        )
        await self.session.flush()
        current = fold(enterprise_id, _changes(await self.repo.changes(enterprise_id)))
        assert current is not None
        for name in FACT_FIELDS:
            setattr(row, name, getattr(current, name))
        row.effective_from = current.effective_from
        row.updated_at = now
        await self.session.flush()
        await self._reevaluate_open(enterprise_id, f"enterprise facts changed ({source} {source_ref or ''})".strip())
        standing = await self.standing(enterprise_id, now)
        return standing or EnterpriseStanding(enterprise_id)

    async def record_update(self, update: p.EnterpriseUpdated, source_ref: str) -> None:
        await self.record_facts(
            update.enterprise_id, values_from_update(update), update.effective_from, "event", source_ref
        )

    # --- evaluation ---

    async def what_if(
        self,
        enterprise_id: str,
        customs: str,
        items: Sequence[p.ChecklistItem],
        special_campaign: bool,
        directives: Sequence[str],
        as_at: datetime | None,
    ) -> Evaluation:
        """Evaluate without storing anything."""
        if district_of(customs) is None:
            raise Unprocessable(f"customs: {customs!r} is not a customs office of the 17 pilot districts (GACC-RVI 1)")
        at = as_at or self.clock.now()
        if legal_date(at) < PILOT_START:
            raise Unprocessable(f"as_at: {at.isoformat()} precedes the pilot rules ({PILOT_START.isoformat()})")
        return await self._evaluate(enterprise_id, customs, items, special_campaign, directives, at)

    async def _evaluate(
        self,
        enterprise_id: str,
        customs: str,
        items: Sequence[p.ChecklistItem],
        special_campaign: bool,
        directives: Sequence[str],
        at: datetime,
        lock: Lock = None,
    ) -> Evaluation:
        task = TaskFacts(
            as_at=at,
            enterprise_id=enterprise_id,
            enterprise=await self.standing(enterprise_id, at, lock=lock),
            customs=customs,
            special_campaign=special_campaign,
            directives=tuple(directives),
        )
        return evaluate(task, items)

    async def _evaluate_request(self, request: InspectionRequest, at: datetime, lock: Lock = None) -> Evaluation:
        items = [p.ChecklistItem.model_validate(i) for i in request.items]
        return await self._evaluate(
            request.enterprise_id, request.customs, items, request.special_campaign, request.directives, at, lock
        )

    async def _decide(
        self, request: InspectionRequest, evaluation: Evaluation, trigger: str, supersedes: str | None = None
    ) -> Decision:
        now = self.clock.now()
        decision = Decision(
            id=str(uuid.uuid4()),
            inspection_id=request.inspection_id,
            enterprise_id=request.enterprise_id,
            customs=request.customs,
            remote_allowed=evaluation.remote_allowed,
            outcome=evaluation.outcome,
            items=[i.model_dump(mode="json") for i in evaluation.items],
            reasons=[r.model_dump(mode="json") for r in evaluation.reasons],
            trace=[t.model_dump(mode="json") for t in evaluation.trace],
            rule_set_version=evaluation.rule_set_version,
            as_at=evaluation.as_at,
            evaluated_at=now,
            supersedes=supersedes,
            trigger=trigger[:255],
        )
        self.repo.add_decision(decision)
        request.latest_decision_id = decision.id
        await self.session.flush()
        await self.outbox.emit(
            self.session,
            DECIDED,
            subject=request.inspection_id,
            data=p.EligibilityDecided(
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
            time=now,
        )
        return decision

    async def _reevaluate_open(self, enterprise_id: str, trigger: str) -> None:
        """Facts only bear on whole-task rules, so a remote-allowing decision can only turn stricter."""
        now = self.clock.now()
        for request in await self.repo.open_requests(enterprise_id):
            previous = await self.repo.decision(request.latest_decision_id) if request.latest_decision_id else None
            if previous is None or not previous.remote_allowed:
                continue
            evaluation = await self._evaluate_request(request, now)
            if stricter(evaluation.outcome, previous.outcome):
                await self._decide(request, evaluation, trigger, supersedes=previous.id)

    # --- decisions ---

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

    # --- reactions to other services' events ---

    async def on_requested(self, event: CloudEvent, requested: p.InspectionRequested) -> Decision | None:
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
        if not await self.repo.add_request(request):
            return None
        stored = await self.repo.request(requested.inspection_id, for_update=True)
        assert stored is not None
        # Share-lock the facts so a concurrent fact change waits and then sees this inspection.
        evaluation = await self._evaluate_request(stored, now, lock="share")
        return await self._decide(stored, evaluation, f"{event.type} {event.id}")

    async def close(self, inspection_id: str, reason: str) -> None:
        request = await self.repo.request(inspection_id, for_update=True)
        if request is not None and request.closed_at is None:
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


def _changes(rows: Sequence[EnterpriseFactChange]) -> list[FactChange]:
    return [FactChange(r.effective_from, values_from_json(r.changes)) for r in rows]


def _standing_of(row: EnterpriseFacts) -> EnterpriseStanding:
    return EnterpriseStanding(
        enterprise_id=row.enterprise_id,
        effective_from=row.effective_from,
        **{name: getattr(row, name) for name in FACT_FIELDS},
    )
