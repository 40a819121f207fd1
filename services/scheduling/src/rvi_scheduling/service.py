"""Scheduling rules: the inspection task and its lifecycle. Handlers own the transaction."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_scheduling.calendar.districts import notice_rule, office_hours
from rvi_scheduling.calendar.official import YearWithoutCalendar
from rvi_scheduling.calendar.repository import CalendarRepository
from rvi_scheduling.calendar.rules import NoticeRule, OfficeHours
from rvi_scheduling.calendar.working import WorkingCalendar
from rvi_scheduling.lifecycle import Action, State, can, transition
from rvi_scheduling.models import ChecklistItem, Inspection, Site
from rvi_scheduling.notifications import messages
from rvi_scheduling.notifications.service import Notifier
from rvi_scheduling.plans.planner import Offer, SolverLimits, plan_offers
from rvi_scheduling.plans.solver import SiteTask
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


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


class SchedulingService:
    def __init__(self, session: AsyncSession, outbox: Outbox, clock: Clock, settings: SchedulingSettings) -> None:
        self.session = session
        self.repo = InspectionRepository(session)
        self.calendars = CalendarRepository(session)
        self.rosters = RosterService(session, clock, settings)
        self.notifier = Notifier(session, clock)
        self.outbox = outbox
        self.clock = clock
        self.settings = settings

    async def _emit(self, type_name: str, inspection: Inspection, data: BaseModel) -> CloudEvent:
        event = await self.outbox.emit(self.session, type_name, inspection.id, data, self.clock.now())
        await self.repo.record_timeline(event)
        return event

    async def _zone(self, inspection: Inspection) -> ZoneInfo:
        return office_hours(self.settings, await self.rosters.district_of(inspection.customs)).zone

    async def _notify_change(self, inspection: Inspection, what: str, dedup: str) -> None:
        """Every change reaches the enterprise and the team (through the notification outbox)."""
        subject, body = messages.change(inspection, await self._zone(inspection), what)
        extra = {"state": inspection.state, "slot_start": _iso(inspection.slot_start), "plan": inspection.day_plan}
        await self.notifier.to_enterprise(inspection, "change", subject, body, dedup, extra)
        officer_ids = [o["officer_id"] for o in inspection.officers]
        await self.notifier.to_officers(inspection, officer_ids, "change", subject, body, dedup)

    async def remind(self, inspection: Inspection) -> None:
        """The day before: the enterprise is reminded, with what is still missing (GACC-RVI 4(II))."""
        missing = self.missing_for_readiness(inspection) if inspection.state == State.SCHEDULED else []
        subject, body = messages.reminder(inspection, await self._zone(inspection), missing)
        dedup = f"reminder:{inspection.id}:{_iso(inspection.slot_start)}"
        extra = {"slot_start": _iso(inspection.slot_start), "missing": missing}
        await self.notifier.to_enterprise(inspection, "reminder", subject, body, dedup, extra)

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

    def missing_for_readiness(self, inspection: Inspection) -> list[str]:
        """GACC-RVI 4(II): what still keeps the inspection from being ready, each as a sentence."""
        missing = []
        max_age = timedelta(days=self.settings.equipment_test_max_age_days)
        if inspection.equipment_passed_at is None:
            missing.append("equipment test: no passed test (rvi.equipment.tested.v1) on record for this inspection")
        elif self.clock.now() - inspection.equipment_passed_at > max_age:
            missing.append(
                f"equipment test: the last pass ({inspection.equipment_passed_at.isoformat()}) is older than "
                f"{self.settings.equipment_test_max_age_days} days"
            )
        submitted = {u["kind"] for u in inspection.uploaded_documents or []}
        missing += [
            f"document not submitted: {kind}" for kind in inspection.required_documents or [] if kind not in submitted
        ]
        return missing

    async def confirm_ready(self, inspection: Inspection, readiness: Readiness) -> Inspection:
        """The enterprise confirms; ready only with a passed equipment test on record (not older than
        `equipment_test_max_age_days`) and every document the notice asked for submitted
        (GACC-RVI 4(II)). 409 naming the state, or 409 with `missing` listing each missing element."""
        if not can(inspection.state, Action.CONFIRM_READY):
            transition(inspection.state, Action.CONFIRM_READY)
        if missing := self.missing_for_readiness(inspection):
            raise Conflict(
                f"not ready (GACC-RVI 4(II)): {'; '.join(missing)}", current_state=inspection.state, missing=missing
            )
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
            "rvi.inspection.cancelled.v1",
            inspection,
            p.InspectionCancelled(inspection_id=inspection.id, reason=reason),
        )
        await self.rosters.repo.release(inspection.id)
        await self._notify_change(inspection, f"cancelled by customs ({reason})", event.id)
        return inspection

    async def reschedule(self, inspection: Inspection, request: Reschedule) -> Inspection:
        """A new day plan from `slot_start` on a working day within office hours, with notice
        (GACC-RVI 4(I)): 422 naming `slot_start` otherwise, 409 naming the year when it has no
        official calendar, 409 when no team of two is free for the plan."""
        await self.check_slot(inspection, request.slot_start)
        self._move(inspection, Action.RESCHEDULE, request.reason)
        offer = await self._plan_from(inspection, request.slot_start)
        await self._book(inspection, offer)
        inspection.notice_sent_at = self.clock.now()
        await self._emit_rescheduled(inspection, request.reason)
        return inspection

    async def choose_slot(self, inspection: Inspection, offer_id: str) -> Inspection:
        """The enterprise picks one of the days offered in the notice: 422 naming `offer_id` when it
        was not offered or no longer gives the notice the rule asks (GACC-RVI 4(I))."""
        if inspection.state not in (State.SCHEDULED, State.READY):
            raise Conflict(
                f"cannot choose a slot: inspection is in state {inspection.state!r}", current_state=inspection.state
            )
        offered = {o["offer_id"]: o for o in inspection.offered_slots or []}
        if offer_id not in offered:
            raise Unprocessable(f"offer {offer_id!r} was not offered; offered: {sorted(offered)}", field="offer_id")
        start = datetime.fromisoformat(offered[offer_id]["slot_start"])
        calendar = await self.calendars.load()
        hours = office_hours(self.settings, await self.rosters.district_of(inspection.customs))
        rule = notice_rule(self.settings)
        if not rule.satisfied(self.clock.now(), start, calendar, hours):
            raise Unprocessable(f"offer {offer_id!r} no longer gives {rule.describe()}", field="offer_id")
        if inspection.slot_start == start:
            return inspection
        offer = await self._plan_from(inspection, start)
        await self._book(inspection, offer)
        await self._emit_rescheduled(inspection, f"the enterprise chose offer {offer_id}")
        return inspection

    async def _plan_from(self, inspection: Inspection, not_before: datetime) -> Offer:
        """That day's plan from `not_before`, by the current team when free, else the fairest."""
        await self.rosters.repo.release(inspection.id)
        calendar = await self.calendars.load()
        district = await self.rosters.district_of(inspection.customs)
        hours = office_hours(self.settings, district)
        day = hours.local_date(not_before)
        opens, closes = hours.day_window(day)
        candidates = await self.rosters.candidates(inspection.customs, district, (opens, closes), None)
        by_id = {c.officer_id: c for c in candidates}
        current = [by_id[o["officer_id"]] for o in inspection.officers if o["officer_id"] in by_id]
        sites, now, rule, limits = self._sites(inspection), self.clock.now(), notice_rule(self.settings), self._limits()
        offers: list[Offer] = []
        for named in ([current] if len(current) >= 2 else []) + [None]:
            offers = plan_offers(
                sites,
                candidates,
                inspection.customs,
                district,
                now,
                calendar,
                hours,
                rule,
                1,
                0,
                limits,
                named=named,
                not_before=not_before,
            )
            if offers:
                return offers[0]
        raise Conflict(
            f"no team of two of {inspection.customs} or its district is free for the day plan from "
            f"{not_before.isoformat()}",
            field="slot_start",
        )

    async def _emit_rescheduled(self, inspection: Inspection, reason: str) -> None:
        assert inspection.slot_start is not None and inspection.slot_end is not None
        event = await self._emit(
            "rvi.inspection.rescheduled.v1",
            inspection,
            p.InspectionRescheduled(
                inspection_id=inspection.id,
                slot_start=inspection.slot_start,
                slot_end=inspection.slot_end,
                reason=reason,
                team=[p.Officer.model_validate(o) for o in inspection.officers],
                plan=self.plan_of(inspection),
            ),
        )
        await self._notify_change(inspection, f"rescheduled ({reason})", event.id)

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
        sites = self._sites(inspection)
        shortest = timedelta(
            minutes=sum(s.minutes for s in sites) + self.settings.site_buffer_minutes * (len(sites) - 1)
        )
        if not (opens <= slot_start and slot_start + shortest <= closes):
            raise Unprocessable(
                f"the day plan ({len(sites)} sites, at least {int(shortest.total_seconds() // 60)} min) must lie "
                f"within office hours {hours.opens:%H:%M}-{hours.closes:%H:%M} {hours.timezone}",
                field="slot_start",
            )
        if not rule.satisfied(self.clock.now(), slot_start, calendar, hours):
            raise Unprocessable(f"slot_start must give {rule.describe()}", field="slot_start")

    def _sites(self, inspection: Inspection) -> list[SiteTask]:
        return [SiteTask(s.site_id, s.latitude, s.longitude, self.settings.minutes_per_site) for s in inspection.sites]

    def _limits(self) -> SolverLimits:
        return SolverLimits(
            min_buffer_minutes=self.settings.site_buffer_minutes,
            camera_speed_kmh=self.settings.camera_move_speed_kmh,
            time_limit_s=self.settings.solver_time_limit_s,
            team_pairs_per_day=self.settings.team_pairs_per_day,
        )

    async def find_offers(
        self,
        inspection: Inspection,
        now: datetime,
        named_ids: list[str] | None = None,
        not_before: datetime | None = None,
    ) -> list[Offer]:
        """Up to `offered_slots` day plans on successive working days (office hours, notice rule),
        each with the fairest team of two free for it, or the named team. Raises YearWithoutCalendar,
        or Conflict when none is found."""
        calendar = await self.calendars.load()
        district = await self.rosters.district_of(inspection.customs)
        hours = office_hours(self.settings, district)
        rule = notice_rule(self.settings)
        horizon = self.settings.planning_horizon_days
        first_day = rule.earliest_day(now, calendar, hours)
        window_start = datetime.combine(first_day, time.min, hours.zone)
        window = (window_start, window_start + timedelta(days=horizon + 1))
        candidates = await self.rosters.candidates(inspection.customs, district, window, named_ids or None)
        named = None
        if named_ids:
            by_id = {c.officer_id: c for c in candidates}
            members: list[Candidate | str] = [by_id.get(i, i) for i in named_ids]
            if found := violations(members, inspection.customs, district, None, None, None):
                raise TeamRuleBroken(found)
            named = [m for m in members if isinstance(m, Candidate)]
        unavailable = (
            "the named team is not available"
            if named
            else f"no two officers of {inspection.customs} or its district are available"
        )
        try:
            offers = plan_offers(
                self._sites(inspection),
                candidates,
                inspection.customs,
                district,
                now,
                calendar,
                hours,
                rule,
                self.settings.offered_slots,
                horizon,
                self._limits(),
                named,
                not_before=not_before,
            )
        except YearWithoutCalendar as exc:
            if exc.context["year"] == first_day.year:
                raise
            raise Conflict(
                f"{unavailable} up to {exc.context['year'] - 1}-12-31; {exc.message}", year=exc.context["year"]
            ) from exc
        together = await self._with_siblings(inspection, candidates, district, now, calendar, hours, rule, named)
        if together is not None:
            offers = [together, *(o for o in offers if o.day != together.day)][: self.settings.offered_slots]
        if not offers:
            raise Conflict(f"{unavailable} for a day plan on any working day within {horizon} days", field="officers")
        return offers

    async def _with_siblings(
        self,
        inspection: Inspection,
        candidates: list[Candidate],
        district: str | None,
        now: datetime,
        calendar: WorkingCalendar,
        hours: OfficeHours,
        rule: NoticeRule,
        named: list[Candidate] | None,
    ) -> Offer | None:
        """The enterprise's other tasks already planned in the period: this one joins the same day
        and team after them when it fits (the Cixi case: all tasks of one enterprise in one day)."""
        horizon_end = now + timedelta(days=self.settings.planning_horizon_days)
        by_id = {c.officer_id: c for c in candidates}
        for sibling in await self.repo.planned_for_enterprise(
            inspection.enterprise_id, inspection.id, now, horizon_end
        ):
            team = [by_id[o["officer_id"]] for o in sibling.officers if o["officer_id"] in by_id]
            if len(team) < 2 or (named is not None and {c.officer_id for c in named} != {c.officer_id for c in team}):
                continue
            assert sibling.slot_end is not None
            after = sibling.slot_end + timedelta(minutes=self.settings.site_buffer_minutes)
            found = plan_offers(
                self._sites(inspection),
                candidates,
                inspection.customs,
                district,
                now,
                calendar,
                hours,
                rule,
                1,
                0,
                self._limits(),
                team,
                not_before=after,
            )
            if found and hours.local_date(found[0].start) == hours.local_date(sibling.slot_start or after):
                return found[0]
        return None

    async def _book(self, inspection: Inspection, offer: Offer) -> None:
        await self.rosters.repo.release(inspection.id)
        await self.rosters.assign(inspection.id, offer.team, offer.start, offer.end)
        inspection.slot_start, inspection.slot_end = offer.start, offer.end
        inspection.officers = [as_officer(c).model_dump() for c in offer.team]
        inspection.day_plan = [
            {"site_id": site_id, "start": start.isoformat(), "end": end.isoformat()}
            for site_id, start, end in offer.visits
        ]

    def plan_of(self, inspection: Inspection) -> list[p.PlannedVisit]:
        return [p.PlannedVisit.model_validate(v) for v in inspection.day_plan or []]

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
        await self._emit_rescheduled(inspection, f"team named: {reason}")
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
        await self._emit_rescheduled(inspection, f"officer {officer_id} replaced by {chosen[0].officer_id}: {reason}")
        return inspection

    def _offer(self, inspection: Inspection, offers: list[Offer], now: datetime) -> None:
        inspection.offered_slots = [
            {
                "offer_id": str(n + 1),
                "slot_start": o.start.isoformat(),
                "slot_end": o.end.isoformat(),
                "team": [c.officer_id for c in o.team],
                "plan": [{"site_id": v[0], "start": v[1].isoformat(), "end": v[2].isoformat()} for v in o.visits],
            }
            for n, o in enumerate(offers)
        ]
        inspection.notice_id = str(uuid.uuid4())
        inspection.notice_sent_at = now

    async def _replan(self, inspection: Inspection, reason: str, not_before: datetime | None = None) -> None:
        """A new day plan with notice again (GACC-RVI 4(I)), a fair team drawn anew, new days offered."""
        now = self.clock.now()
        await self.rosters.repo.release(inspection.id)
        offers = await self.find_offers(inspection, now, None, not_before)
        self._move(inspection, Action.RESCHEDULE, reason)
        await self._book(inspection, offers[0])
        self._offer(inspection, offers, now)
        inspection.updated_at = now
        await self._emit_rescheduled(inspection, reason)
        zone = await self._zone(inspection)
        subject, body = messages.notice(inspection, zone, self.settings.gateway_public_url, self.settings.console_url)
        extra = {
            "notice_id": inspection.notice_id,
            "slot_start": _iso(inspection.slot_start),
            "plan": inspection.day_plan,
        }
        await self.notifier.to_enterprise(inspection, "notice", subject, body, inspection.notice_id, extra)

    async def request_reschedule(self, inspection: Inspection, reason: str) -> Inspection:
        """The enterprise asks for another day, with a reason, at most `max_enterprise_reschedules`
        times (409 beyond); the new plan starts after the booked day and keeps the notice rule."""
        if inspection.state not in (State.SCHEDULED, State.READY):
            raise Conflict(
                f"cannot reschedule: inspection is in state {inspection.state!r}", current_state=inspection.state
            )
        if inspection.enterprise_reschedules >= self.settings.max_enterprise_reschedules:
            raise Conflict(
                f"the enterprise may ask to reschedule at most {self.settings.max_enterprise_reschedules} times",
                field="reason",
            )
        assert inspection.slot_start is not None
        hours = office_hours(self.settings, await self.rosters.district_of(inspection.customs))
        next_day = datetime.combine(hours.local_date(inspection.slot_start) + timedelta(days=1), time.min, hours.zone)
        inspection.enterprise_reschedules += 1
        await self._replan(inspection, f"asked by the enterprise: {reason}", not_before=next_day)
        return inspection

    async def no_show(self, inspection: Inspection) -> None:
        """Nobody on the enterprise's side: still not ready `no_show_grace_minutes` after the slot
        started. Rescheduled with notice again, or on-site after `max_no_shows` (GACC-RVI 5(I))."""
        assert inspection.slot_start is not None
        inspection.no_shows += 1
        on_site = inspection.no_shows >= self.settings.max_no_shows
        slot_start = inspection.slot_start
        await self._emit(
            "rvi.inspection.no_show.v1",
            inspection,
            p.InspectionNoShow(
                inspection_id=inspection.id,
                enterprise_id=inspection.enterprise_id,
                slot_start=slot_start,
                no_shows=inspection.no_shows,
                action="shifted_onsite" if on_site else "rescheduled",
            ),
        )
        reason = f"no-show {inspection.no_shows} at {slot_start.isoformat()}"
        if on_site:
            await self.rosters.repo.release(inspection.id)
            event_reason = f"GACC-RVI 5(I): the enterprise did not take part ({reason})"
            await self._shift_onsite_for(inspection, event_reason, ["GACC-RVI 5(I)"])
            await self._notify_change(inspection, f"sent on-site after {inspection.no_shows} no-shows", reason)
            return
        try:
            await self._replan(inspection, reason)
        except (YearWithoutCalendar, Conflict) as exc:
            inspection.state_reason = f"{reason}; cannot reschedule: {exc.message}"

    async def _require_onsite(self, inspection: Inspection, items: dict[str, list[str]]) -> None:
        """Hybrid task: these items get an on-site follow-up, proposed on the first working day after
        the remote slot with a fair team (not booked: the on-site visit is planned by the office)."""
        planned_start, team = None, []
        try:
            calendar = await self.calendars.load()
            district = await self.rosters.district_of(inspection.customs)
            hours = office_hours(self.settings, district)
            base = hours.local_date(inspection.slot_start or self.clock.now())
            day = calendar.next_working_day(base)
            opens, closes = hours.day_window(day)
            candidates = await self.rosters.candidates(inspection.customs, district, (opens, closes), None)
            chosen = choose_team(candidates, inspection.customs, district, day, opens, closes) or []
            planned_start, team = opens, [as_officer(c) for c in chosen]
        except YearWithoutCalendar:
            pass
        await self._emit(
            "rvi.inspection.onsite_required.v1",
            inspection,
            p.InspectionOnsiteRequired(
                inspection_id=inspection.id,
                enterprise_id=inspection.enterprise_id,
                items=[p.OnsiteItem(item_id=i, reasons=r) for i, r in items.items()],
                planned_start=planned_start,
                team=team,
            ),
        )

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
            offers = await self.find_offers(inspection, now, [o["officer_id"] for o in inspection.officers])
        except (YearWithoutCalendar, Conflict) as exc:
            inspection.state_reason = f"cannot schedule: {exc.message}"
            log.warning("inspection %s: %s", inspection.id, exc.message, extra={"inspection_id": inspection.id})
            return
        self._move(inspection, Action.SCHEDULE)
        await self._book(inspection, offers[0])
        self._offer(inspection, offers, now)
        event = await self._emit(
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
                notice_id=inspection.notice_id,
                plan=self.plan_of(inspection),
                offered_slots=[
                    p.OfferedSlot(offer_id=o["offer_id"], slot_start=o["slot_start"], slot_end=o["slot_end"])
                    for o in inspection.offered_slots
                ],
                required_documents=inspection.required_documents or [],
                equipment_test_by=inspection.slot_start,
            ),
        )
        zone = await self._zone(inspection)
        subject, body = messages.notice(inspection, zone, self.settings.gateway_public_url, self.settings.console_url)
        extra = {
            "notice_id": inspection.notice_id,
            "slot_start": _iso(inspection.slot_start),
            "plan": inspection.day_plan,
            "offered_slots": [{k: v for k, v in o.items() if k != "team"} for o in inspection.offered_slots],
            "required_documents": inspection.required_documents,
        }
        await self.notifier.to_enterprise(inspection, "notice", subject, body, event.id, extra)
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
                "rvi.inspection.completed.v1",
                inspection,
                p.InspectionCompleted(
                    inspection_id=inspection.id,
                    enterprise_id=inspection.enterprise_id,
                    completed_at=self.clock.now(),
                    document_ids=inspection.documents_completed,
                ),
            )
