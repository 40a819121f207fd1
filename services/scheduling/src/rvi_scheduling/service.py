"""Scheduling rules: the inspection task and its lifecycle. Handlers own the transaction."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid

from rvi_scheduling.calendar.official import YearWithoutCalendar
from rvi_scheduling.inspections.changes import Changes
from rvi_scheduling.lifecycle import INSPECTION, Action, State, can
from rvi_scheduling.models import ChecklistItem, Inspection, Site
from rvi_scheduling.notifications import messages
from rvi_scheduling.schemas import InspectionCreate, Readiness
from rvi_shared.errors import Conflict, Unprocessable
from rvi_shared.events import payloads as p
from rvi_shared.events.envelope import CloudEvent

log = logging.getLogger(__name__)


class SchedulingService(Changes):
    async def create(
        self, request: InspectionCreate, idempotency_key: str | None, caller: str
    ) -> tuple[Inspection, bool]:
        """Returns the inspection and whether it was created now (False: an idempotent replay)."""
        inspection_id = request.id or str(uuid.uuid4())
        if idempotency_key:
            digest = hashlib.sha256(json.dumps(request.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()
            if not await self.repo.claim_idempotency_key(idempotency_key, caller, digest, inspection_id):
                previous = await self.repo.idempotency_key(idempotency_key, caller)
                assert previous is not None
                if previous.request_hash != digest:
                    raise Unprocessable("Idempotency-Key was already used with a different request body")
                return await self.get(previous.inspection_id), False
        if await self.repo.exists(inspection_id):
            raise Conflict(f"inspection {inspection_id!r} already exists")
        if request.officers:
            await self.rosters.check_named(request.officers, request.customs)
        now = self.clock.now()
        inspection = Inspection(
            id=inspection_id,
            enterprise_id=request.enterprise_id,
            enterprise_name=request.enterprise_name,
            customs=request.customs,
            state=State.REQUESTED,
            officers=[o.model_dump() for o in request.officers],
            special_campaign=request.special_campaign,
            directives=request.directives,
            required_documents=list(
                request.required_documents
                if request.required_documents is not None
                else self.settings.required_documents
            ),
            uploaded_documents=[],
            onsite_items=[],
            documents_issued=[],
            documents_completed=[],
            created_at=now,
            updated_at=now,
            sites=[Site(position=i, **s.model_dump()) for i, s in enumerate(request.sites)],
            items=[ChecklistItem(position=i, **c.model_dump()) for i, c in enumerate(request.checklist_items)],
        )
        self.repo.add(inspection)
        await self.session.flush()
        await self._emit(
            inspection,
            p.InspectionRequested(
                inspection_id=inspection.id,
                enterprise_id=request.enterprise_id,
                enterprise_name=request.enterprise_name,
                customs=request.customs,
                sites=request.sites,
                checklist_items=request.checklist_items,
                officers=request.officers,
                special_campaign=request.special_campaign,
                directives=request.directives,
                requested_at=now,
            ),
        )
        return inspection, True

    async def confirm_ready(self, inspection: Inspection, readiness: Readiness) -> Inspection:
        """The enterprise confirms; ready only with a passed equipment test on record (not older than
        `equipment_test_max_age_days`) and every document the notice asked for submitted
        (GACC-RVI 4(II)). 409 naming the state, or 409 with `missing` listing each missing element."""
        INSPECTION.require(inspection.state, Action.CONFIRM_READY)
        if missing := self.missing_for_readiness(inspection):
            raise Conflict(
                f"not ready (GACC-RVI 4(II)): {'; '.join(missing)}", current_state=inspection.state, missing=missing
            )
        self._move(inspection, Action.CONFIRM_READY)
        inspection.ready_at = self.clock.now()
        await self._emit(
            inspection,
            p.InspectionReady(
                inspection_id=inspection.id,
                enterprise_id=inspection.enterprise_id,
                confirmed_at=inspection.ready_at,
                equipment_test_passed=True,
                documents_submitted=True,
            ),
        )
        return inspection

    async def on_equipment_tested(self, inspection: Inspection, tested: p.EquipmentTested) -> None:
        if tested.passed and (
            inspection.equipment_passed_at is None or tested.tested_at > inspection.equipment_passed_at
        ):
            inspection.equipment_passed_at = tested.tested_at

    async def on_document_uploaded(self, inspection: Inspection, uploaded: p.DocumentUploaded) -> None:
        uploads = inspection.uploaded_documents or []
        if all(u["upload_id"] != uploaded.upload_id for u in uploads):
            inspection.uploaded_documents = [*uploads, {"upload_id": uploaded.upload_id, "kind": uploaded.kind}]

    async def cancel(self, inspection: Inspection, reason: str) -> Inspection:
        self._move(inspection, Action.CANCEL, reason)
        event = await self._emit(
            inspection,
            p.InspectionCancelled(inspection_id=inspection.id, reason=reason),
        )
        await self.rosters.repo.release(inspection.id)
        await self._notify_change(inspection, f"cancelled by customs ({reason})", event.id)
        return inspection

    async def record(self, event: CloudEvent, with_children: bool = False) -> Inspection | None:
        """Every event about an inspection goes on its timeline; returns the inspection, locked."""
        assert event.subject is not None
        inspection = await self.repo.get(event.subject, for_update=True, with_children=with_children)
        if inspection is not None:
            await self.repo.record_timeline(event)
        return inspection

    async def on_decided(self, inspection: Inspection, decision: p.EligibilityDecided) -> None:
        if decision.supersedes is None and inspection.decision_id is not None:
            return
        inspection.decision_id = decision.decision_id
        inspection.outcome = decision.outcome
        methods = {item.item_id: item.method for item in decision.items}
        for item in inspection.items:
            item.method = methods.get(item.item_id)
        inspection.onsite_items = [i for i, m in methods.items() if m == "onsite"]
        if decision.outcome == "onsite" or not decision.remote_allowed:
            if can(inspection.state, Action.SHIFT_ONSITE):
                await self._shift_onsite(inspection, decision)
            return
        if inspection.state != State.REQUESTED:
            return
        now = self.clock.now()
        try:
            offers = await self.find_offers(inspection, now, [o["officer_id"] for o in inspection.officers])
        except (YearWithoutCalendar, Conflict) as exc:
            inspection.state_reason = f"cannot schedule: {exc.message}"
            log.warning("inspection %s: %s", inspection.id, exc.message, extra={"inspection_id": inspection.id})
            return
        self._move(inspection, Action.SCHEDULE)
        await self._book(inspection, offers[0])
        self._offer(inspection, offers, now)
        event = await self._emit(
            inspection,
            p.InspectionScheduled(
                **self._booking(inspection),
                enterprise_id=inspection.enterprise_id,
                notice_sent_at=now,
                outcome=decision.outcome,
                onsite_items=inspection.onsite_items,
                notice_id=inspection.notice_id,
                offered_slots=[
                    p.OfferedSlot(offer_id=o["offer_id"], slot_start=o["slot_start"], slot_end=o["slot_end"])
                    for o in inspection.offered_slots
                ],
                required_documents=inspection.required_documents or [],
                equipment_test_by=inspection.slot_start,
            ),
        )
        zone = await self._send_notice(
            inspection,
            event.id,
            offered_slots=[{k: v for k, v in o.items() if k != "team"} for o in inspection.offered_slots],
            required_documents=inspection.required_documents,
        )
        subject, body = messages.assignment(inspection, zone)
        officer_ids = [o["officer_id"] for o in inspection.officers]
        await self.notifier.to_officers(inspection, officer_ids, "assignment", subject, body, event.id)
        if inspection.onsite_items:
            reasons = {d.item_id: [f"{r.reference}: {r.message}" for r in d.reasons] for d in decision.items}
            await self._require_onsite(inspection, {i: reasons.get(i, []) for i in inspection.onsite_items})

    async def _shift_onsite(self, inspection: Inspection, decision: p.EligibilityDecided) -> None:
        reason = "; ".join(f"{r.reference}: {r.message}" for r in decision.reasons) or "remote video not allowed"
        await self._shift_onsite_for(inspection, reason, sorted({r.reference for r in decision.reasons}))

    async def on_escalated(self, inspection: Inspection, escalation: p.SessionEscalated) -> None:
        if not can(inspection.state, Action.SHIFT_ONSITE):
            return
        reference = f"GACC-RVI {escalation.reason_code}"
        await self._shift_onsite_for(inspection, f"{reference}: {escalation.reason}", [reference])

    async def on_session_started(self, inspection: Inspection, started: p.SessionStarted) -> None:
        inspection.session_id = started.session_id
        inspection.session_started_at = started.started_at
        await self.advance(inspection)

    async def on_session_ended(self, inspection: Inspection, ended: p.SessionEnded) -> None:
        inspection.session_id = ended.session_id
        inspection.session_ended_at = ended.ended_at
        remote_gaps = {
            item.item_id: [
                f"GACC-RVI 3(III): not verifiable remotely at site {site.site_id}: {item.finding}".rstrip(": ")
            ]
            for site in ended.results
            for item in site.items
            if item.result == "not_verifiable_remotely"
        }
        if remote_gaps:
            await self._require_onsite(inspection, remote_gaps)
        await self.advance(inspection)

    async def on_document_issued(self, inspection: Inspection, issued: p.DocumentIssued) -> None:
        if issued.document_id not in inspection.documents_issued:
            inspection.documents_issued = [*inspection.documents_issued, issued.document_id]
        await self.advance(inspection)

    async def on_document_completed(self, inspection: Inspection, completed: p.DocumentCompleted) -> None:
        if completed.document_id not in inspection.documents_completed:
            inspection.documents_completed = [*inspection.documents_completed, completed.document_id]
        await self.advance(inspection)

    async def advance(self, inspection: Inspection) -> None:
        """Apply every step whose facts are known. Facts from different topics may arrive in
        any order (documents can overtake sessions); the state still moves in causal order."""
        if inspection.state == State.READY and inspection.session_started_at is not None:
            self._move(inspection, Action.START)
        if inspection.state == State.IN_PROGRESS and inspection.session_ended_at is not None:
            self._move(inspection, Action.END)
        if inspection.state == State.ENDED and inspection.documents_issued:
            self._move(inspection, Action.ISSUE_DOCUMENTS)
        if (
            inspection.state == State.DOCUMENTS_ISSUED
            and inspection.documents_issued
            and set(inspection.documents_issued) <= set(inspection.documents_completed)
        ):
            self._move(inspection, Action.COMPLETE)
            await self._emit(
                inspection,
                p.InspectionCompleted(
                    inspection_id=inspection.id,
                    enterprise_id=inspection.enterprise_id,
                    completed_at=self.clock.now(),
                    document_ids=inspection.documents_completed,
                ),
            )
