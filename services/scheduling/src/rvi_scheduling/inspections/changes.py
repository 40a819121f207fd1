"""Changes to a booked inspection: reschedules, slot choice, team changes, no-shows, on-site follow-ups,
and the notifications they raise."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rvi_scheduling.calendar.districts import notice_rule, office_hours
from rvi_scheduling.calendar.official import YearWithoutCalendar
from rvi_scheduling.inspections.base import iso
from rvi_scheduling.inspections.planning import Planning
from rvi_scheduling.lifecycle import Action, State
from rvi_scheduling.models import Inspection
from rvi_scheduling.notifications import messages
from rvi_scheduling.rosters.assignment import Candidate, choose_team, violations
from rvi_scheduling.rosters.service import TeamRuleBroken, as_officer
from rvi_scheduling.schemas import Reschedule
from rvi_shared.errors import Conflict, NotFound, Unprocessable
from rvi_shared.events import payloads as p

log = logging.getLogger(__name__)


class Changes(Planning):
    def _booking(self, inspection: Inspection) -> dict[str, Any]:
        """What the scheduled and rescheduled events say of the booking: slot, team, day plan."""
        assert inspection.slot_start is not None and inspection.slot_end is not None
        return {
            "inspection_id": inspection.id,
            "slot_start": inspection.slot_start,
            "slot_end": inspection.slot_end,
            "team": [p.Officer.model_validate(o) for o in inspection.officers],
            "plan": self.plan_of(inspection),
        }

    async def _send_notice(self, inspection: Inspection, dedup: str, **extra: object) -> ZoneInfo:
        """The notice of the booked day to the enterprise (GACC-RVI 4(I)); the district's zone it was
        written in is returned for the messages that follow."""
        zone = await self._zone(inspection)
        subject, body = messages.notice(inspection, zone, self.settings.gateway_public_url, self.settings.console_url)
        fields = {
            "notice_id": inspection.notice_id,
            "slot_start": iso(inspection.slot_start),
            "plan": inspection.day_plan,
        }
        await self.notifier.to_enterprise(inspection, "notice", subject, body, dedup, fields | extra)
        return zone

    async def _notify_change(self, inspection: Inspection, what: str, dedup: str) -> None:
        """Every change reaches the enterprise and the team (through the notification outbox)."""
        subject, body = messages.change(inspection, await self._zone(inspection), what)
        extra = {"state": inspection.state, "slot_start": iso(inspection.slot_start), "plan": inspection.day_plan}
        await self.notifier.to_enterprise(inspection, "change", subject, body, dedup, extra)
        officer_ids = [o["officer_id"] for o in inspection.officers]
        await self.notifier.to_officers(inspection, officer_ids, "change", subject, body, dedup)

    async def remind(self, inspection: Inspection) -> None:
        """The day before: the enterprise is reminded, with what is still missing (GACC-RVI 4(II))."""
        missing = self.missing_for_readiness(inspection) if inspection.state == State.SCHEDULED else []
        subject, body = messages.reminder(inspection, await self._zone(inspection), missing)
        dedup = f"reminder:{inspection.id}:{iso(inspection.slot_start)}"
        extra = {"slot_start": iso(inspection.slot_start), "missing": missing}
        await self.notifier.to_enterprise(inspection, "reminder", subject, body, dedup, extra)

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
        await self._send_notice(inspection, inspection.notice_id)

    async def _emit_rescheduled(self, inspection: Inspection, reason: str) -> None:
        event = await self._emit(inspection, p.InspectionRescheduled(**self._booking(inspection), reason=reason))
        await self._notify_change(inspection, f"rescheduled ({reason})", event.id)

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
            inspection,
            p.InspectionOnsiteRequired(
                inspection_id=inspection.id,
                enterprise_id=inspection.enterprise_id,
                items=[p.OnsiteItem(item_id=i, reasons=r) for i, r in items.items()],
                planned_start=planned_start,
                team=team,
            ),
        )

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

    async def _shift_onsite_for(self, inspection: Inspection, reason: str, references: list[str]) -> None:
        """On-site from now on: the remote slot's booking is released (the office plans the visit)."""
        self._move(inspection, Action.SHIFT_ONSITE, reason)
        await self.rosters.repo.release(inspection.id)
        await self._emit(
            inspection,
            p.InspectionShiftedOnsite(
                inspection_id=inspection.id,
                enterprise_id=inspection.enterprise_id,
                reason=reason,
                references=references,
            ),
        )
