"""Scheduling rules: the inspection task and its lifecycle. Handlers own the transaction."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from datetime import datetime, time, timedelta

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_scheduling.calendar.districts import notice_rule, office_hours
from rvi_scheduling.calendar.official import YearWithoutCalendar
from rvi_scheduling.calendar.repository import CalendarRepository
from rvi_scheduling.calendar.rules import candidate_starts
from rvi_scheduling.lifecycle import Action, State, can, transition
from rvi_scheduling.models import ChecklistItem, Inspection, Site
from rvi_scheduling.repository import InspectionRepository
from rvi_scheduling.rosters.assignment import Candidate, choose_team, violations
from rvi_scheduling.rosters.service import RosterService, TeamRuleBroken, as_officer
from rvi_scheduling.schemas import InspectionCreate, Readiness, Reschedule
from rvi_scheduling.settings import SchedulingSettings
from rvi_shared.clock import Clock
from rvi_shared.errors import Conflict, NotFound, Unprocessable
from rvi_shared.events import payloads as p
from rvi_shared.events.envelope import CloudEvent
from rvi_shared.messaging.outbox import Outbox

log = logging.getLogger(__name__)


class SchedulingService:
    def __init__(self, session: AsyncSession, outbox: Outbox, clock: Clock, settings: SchedulingSettings) -> None:
        self.session = session
        self.repo = InspectionRepository(session)
        self.calendars = CalendarRepository(session)
        self.rosters = RosterService(session, clock, settings)
        self.outbox = outbox
        self.clock = clock
        self.settings = settings

    async def _emit(self, type_name: str, inspection: Inspection, data: BaseModel) -> None:
        event = await self.outbox.emit(self.session, type_name, inspection.id, data, self.clock.now())
        await self.repo.record_timeline(event)

    def _move(self, inspection: Inspection, action: Action, reason: str | None = None) -> None:
        previous = inspection.state
        inspection.state = transition(inspection.state, action)
        log.info(
            "inspection %s: %s -> %s", inspection.id, previous, inspection.state, extra={"inspection_id": inspection.id}
        )
        inspection.updated_at = self.clock.now()
        if reason is not None:
            inspection.state_reason = reason

    async def get(self, inspection_id: str, for_update: bool = False) -> Inspection:
        inspection = await self.repo.get(inspection_id, for_update=for_update)
        if inspection is None:
            raise NotFound(f"inspection {inspection_id!r} not found")
        return inspection

    # --- commands from REST ---

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
        if await self.repo.get(inspection_id, with_children=False) is not None:
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
            "rvi.inspection.requested.v1",
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
        """GACC-RVI 4(II): equipment tested and documents submitted before the session."""
        missing = [
            what
            for what, done in (
                ("equipment test not passed", readiness.equipment_test_passed),
                ("required documents not submitted", readiness.documents_submitted),
            )
            if not done
        ]
        if missing:
            raise Conflict(f"not ready (GACC-RVI 4(II)): {', '.join(missing)}", current_state=inspection.state)
        self._move(inspection, Action.CONFIRM_READY)
        inspection.ready_at = self.clock.now()
        await self._emit(
            "rvi.inspection.ready.v1",
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

    async def cancel(self, inspection: Inspection, reason: str) -> Inspection:
        self._move(inspection, Action.CANCEL, reason)
        await self._emit(
            "rvi.inspection.cancelled.v1",
            inspection,
            p.InspectionCancelled(inspection_id=inspection.id, reason=reason),
        )
        return inspection

    async def reschedule(self, inspection: Inspection, request: Reschedule) -> Inspection:
        """A new slot on a working day within office hours, with notice (GACC-RVI 4(I)):
        422 naming `slot_start` otherwise, 409 naming the year when it has no official calendar."""
        slot_start = request.slot_start
        await self.check_slot(inspection, slot_start)
        self._move(inspection, Action.RESCHEDULE, request.reason)
        slot_end = slot_start + self._duration(inspection)
        await self._restaff(inspection, slot_start, slot_end)
        inspection.slot_start = slot_start
        inspection.slot_end = slot_end
        inspection.notice_sent_at = self.clock.now()
        await self._emit(
            "rvi.inspection.rescheduled.v1",
            inspection,
            p.InspectionRescheduled(
                inspection_id=inspection.id,
                slot_start=inspection.slot_start,
                slot_end=inspection.slot_end,
                reason=request.reason,
                team=[p.Officer.model_validate(o) for o in inspection.officers],
            ),
        )
        return inspection

    async def _restaff(self, inspection: Inspection, start: datetime, end: datetime) -> None:
        """The team keeps the inspection at its new slot when free then; else a fair team is drawn
        (409 when there is none)."""
        await self.rosters.repo.release(inspection.id)
        district = await self.rosters.district_of(inspection.customs)
        day = office_hours(self.settings, district).local_date(start)
        candidates = await self.rosters.candidates(inspection.customs, district, (start, end), None)
        by_id = {c.officer_id: c for c in candidates}
        current: list[Candidate | str] = [by_id.get(o["officer_id"], o["officer_id"]) for o in inspection.officers]
        if current and not violations(current, inspection.customs, district, day, start, end):
            team = [m for m in current if isinstance(m, Candidate)]
        else:
            chosen = choose_team(candidates, inspection.customs, district, day, start, end)
            if not chosen:
                raise Conflict(
                    f"no two officers of {inspection.customs} or its district are free at {start.isoformat()}",
                    field="slot_start",
                )
            team = chosen
        await self.rosters.assign(inspection.id, team, start, end)
        inspection.officers = [as_officer(c).model_dump() for c in team]

    async def check_slot(self, inspection: Inspection, slot_start: datetime) -> None:
        if slot_start.tzinfo is None:
            raise Unprocessable("slot_start needs a time zone offset", field="slot_start")
        calendar = await self.calendars.load()
        hours = office_hours(self.settings, await self.rosters.district_of(inspection.customs))
        rule = notice_rule(self.settings)
        day = hours.local_date(slot_start)
        calendar.require_year(day.year, "slot_start")
        if not calendar.is_working_day(day):
            raise Unprocessable(f"{day.isoformat()} is not a working day (DOMAIN 9)", field="slot_start")
        opens, closes = hours.day_window(day)
        if not (opens <= slot_start and slot_start + self._duration(inspection) <= closes):
            raise Unprocessable(
                f"the slot must lie within office hours {hours.opens:%H:%M}-{hours.closes:%H:%M} {hours.timezone}",
                field="slot_start",
            )
        if not rule.satisfied(self.clock.now(), slot_start, calendar, hours):
            raise Unprocessable(f"slot_start must give {rule.describe()}", field="slot_start")

    async def find_slot(self, inspection: Inspection, now: datetime) -> tuple[datetime, list[Candidate]]:
        """The first slot (working day, office hours, notice rule) for which the named team is free
        or a fair team can be drawn. Raises YearWithoutCalendar, or Conflict when none is found."""
        calendar = await self.calendars.load()
        district = await self.rosters.district_of(inspection.customs)
        hours = office_hours(self.settings, district)
        rule = notice_rule(self.settings)
        duration = self._duration(inspection)
        horizon = self.settings.planning_horizon_days
        first_day = rule.earliest_day(now, calendar, hours)
        window_start = datetime.combine(first_day, time.min, hours.zone)
        window = (window_start, window_start + timedelta(days=horizon + 1))
        named = [o["officer_id"] for o in inspection.officers]
        candidates = await self.rosters.candidates(inspection.customs, district, window, named or None)
        by_id = {c.officer_id: c for c in candidates}
        step = timedelta(minutes=self.settings.slot_step_minutes)
        unavailable = (
            "the named team is not available"
            if named
            else f"no two officers of {inspection.customs} or its district are available"
        )
        try:
            for start in candidate_starts(now, duration, calendar, hours, rule, step, horizon):
                end, day = start + duration, hours.local_date(start)
                if named:
                    team: list[Candidate | str] = [by_id.get(i, i) for i in named]
                    if not violations(team, inspection.customs, district, day, start, end):
                        return start, [m for m in team if isinstance(m, Candidate)]
                elif chosen := choose_team(candidates, inspection.customs, district, day, start, end):
                    return start, chosen
        except YearWithoutCalendar as exc:
            if exc.context["year"] == first_day.year:
                raise
            raise Conflict(
                f"{unavailable} up to {exc.context['year'] - 1}-12-31; {exc.message}", year=exc.context["year"]
            ) from exc
        raise Conflict(f"{unavailable} on any working day within {horizon} days", field="officers")

    async def set_team(self, inspection: Inspection, team: list[p.Officer], reason: str) -> Inspection:
        """A caller names the team for the booked slot: every assignment rule is checked, 422 naming
        the failing officer and rule (roster, office, active, credential, double_booking, team_size)."""
        if inspection.state not in (State.SCHEDULED, State.READY):
            raise Conflict(
                f"cannot name a team: inspection is in state {inspection.state!r}", current_state=inspection.state
            )
        assert inspection.slot_start is not None and inspection.slot_end is not None
        start, end = inspection.slot_start, inspection.slot_end
        district = await self.rosters.district_of(inspection.customs)
        await self.rosters.repo.release(inspection.id)
        candidates = await self.rosters.candidates(
            inspection.customs, district, (start, end), [o.officer_id for o in team]
        )
        by_id = {c.officer_id: c for c in candidates}
        members: list[Candidate | str] = [by_id.get(o.officer_id, o.officer_id) for o in team]
        day = office_hours(self.settings, district).local_date(start)
        if found := violations(members, inspection.customs, district, day, start, end):
            raise TeamRuleBroken(found)
        chosen = [m for m in members if isinstance(m, Candidate)]
        await self.rosters.assign(inspection.id, chosen, start, end)
        inspection.officers = [as_officer(c).model_dump() for c in chosen]
        inspection.updated_at = self.clock.now()
        await self._emit(
            "rvi.inspection.rescheduled.v1",
            inspection,
            p.InspectionRescheduled(
                inspection_id=inspection.id,
                slot_start=start,
                slot_end=end,
                reason=f"team named: {reason}",
                team=[as_officer(c) for c in chosen],
            ),
        )
        return inspection

    async def replace_officer(self, inspection: Inspection, officer_id: str, reason: str) -> Inspection:
        """An officer dropped out: a replacement by the same rules for the same slot (409 when none)."""
        if inspection.state not in (State.SCHEDULED, State.READY):
            raise Conflict(
                f"cannot replace an officer: inspection is in state {inspection.state!r}",
                current_state=inspection.state,
            )
        team_ids = [o["officer_id"] for o in inspection.officers]
        if officer_id not in team_ids:
            raise NotFound(f"officer {officer_id!r} is not on the team of inspection {inspection.id!r}")
        assert inspection.slot_start is not None and inspection.slot_end is not None
        start, end = inspection.slot_start, inspection.slot_end
        district = await self.rosters.district_of(inspection.customs)
        hours = office_hours(self.settings, district)
        await self.rosters.repo.release(inspection.id, officer_id)
        candidates = await self.rosters.candidates(inspection.customs, district, (start, end), None)
        chosen = choose_team(
            candidates, inspection.customs, district, hours.local_date(start), start, end, 1, frozenset(team_ids)
        )
        if not chosen:
            raise Conflict(
                f"no officer of {inspection.customs} or its district can replace {officer_id!r} on "
                f"{start.isoformat()}: reschedule the inspection",
                officer_id=officer_id,
            )
        await self.rosters.assign(inspection.id, chosen, start, end)
        inspection.officers = [
            as_officer(chosen[0]).model_dump() if o["officer_id"] == officer_id else o for o in inspection.officers
        ]
        inspection.updated_at = self.clock.now()
        await self._emit(
            "rvi.inspection.rescheduled.v1",
            inspection,
            p.InspectionRescheduled(
                inspection_id=inspection.id,
                slot_start=start,
                slot_end=end,
                reason=f"officer {officer_id} replaced by {chosen[0].officer_id}: {reason}",
                team=[p.Officer.model_validate(o) for o in inspection.officers],
            ),
        )
        return inspection

    def _duration(self, inspection: Inspection) -> timedelta:
        return timedelta(minutes=self.settings.minutes_per_site * max(len(inspection.sites), 1))

    # --- reactions to other services' events ---

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
            slot, team = await self.find_slot(inspection, now)
        except (YearWithoutCalendar, Conflict) as exc:
            inspection.state_reason = f"cannot schedule: {exc.message}"
            log.warning("inspection %s: %s", inspection.id, exc.message, extra={"inspection_id": inspection.id})
            return
        self._move(inspection, Action.SCHEDULE)
        inspection.slot_start, inspection.slot_end = slot, slot + self._duration(inspection)
        await self.rosters.assign(inspection.id, team, inspection.slot_start, inspection.slot_end)
        inspection.officers = [as_officer(c).model_dump() for c in team]
        inspection.notice_sent_at = now
        await self._emit(
            "rvi.inspection.scheduled.v1",
            inspection,
            p.InspectionScheduled(
                inspection_id=inspection.id,
                enterprise_id=inspection.enterprise_id,
                slot_start=inspection.slot_start,
                slot_end=inspection.slot_end,
                team=[p.Officer.model_validate(o) for o in inspection.officers],
                notice_sent_at=now,
                outcome=decision.outcome,
                onsite_items=inspection.onsite_items,
            ),
        )

    async def _shift_onsite(self, inspection: Inspection, decision: p.EligibilityDecided) -> None:
        reason = "; ".join(f"{r.reference}: {r.message}" for r in decision.reasons) or "remote video not allowed"
        await self._shift_onsite_for(inspection, reason, sorted({r.reference for r in decision.reasons}))

    async def on_escalated(self, inspection: Inspection, escalation: p.SessionEscalated) -> None:
        if not can(inspection.state, Action.SHIFT_ONSITE):
            return
        reference = f"GACC-RVI {escalation.reason_code}"
        await self._shift_onsite_for(inspection, f"{reference}: {escalation.reason}", [reference])

    async def _shift_onsite_for(self, inspection: Inspection, reason: str, references: list[str]) -> None:
        self._move(inspection, Action.SHIFT_ONSITE, reason)
        await self._emit(
            "rvi.inspection.shifted_onsite.v1",
            inspection,
            p.InspectionShiftedOnsite(
                inspection_id=inspection.id,
                enterprise_id=inspection.enterprise_id,
                reason=reason,
                references=references,
            ),
        )

    async def on_session_started(self, inspection: Inspection, started: p.SessionStarted) -> None:
        inspection.session_id = started.session_id
        inspection.session_started_at = started.started_at
        await self.advance(inspection)

    async def on_session_ended(self, inspection: Inspection, ended: p.SessionEnded) -> None:
        inspection.session_id = ended.session_id
        inspection.session_ended_at = ended.ended_at
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
                "rvi.inspection.completed.v1",
                inspection,
                p.InspectionCompleted(
                    inspection_id=inspection.id,
                    enterprise_id=inspection.enterprise_id,
                    completed_at=self.clock.now(),
                    document_ids=inspection.documents_completed,
                ),
            )
