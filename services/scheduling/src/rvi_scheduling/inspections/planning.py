"""Planning an inspection: day plans and teams for the days offered, booking one (GACC-RVI 4(I))."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, time, timedelta

from rvi_scheduling.calendar.districts import notice_rule, office_hours
from rvi_scheduling.calendar.official import YearWithoutCalendar
from rvi_scheduling.calendar.rules import NoticeRule, OfficeHours
from rvi_scheduling.calendar.working import WorkingCalendar
from rvi_scheduling.inspections.base import ServiceBase
from rvi_scheduling.models import Inspection
from rvi_scheduling.plans.planner import Offer, plan_offers
from rvi_scheduling.rosters.assignment import Candidate, violations
from rvi_scheduling.rosters.service import TeamRuleBroken, as_officer
from rvi_shared.errors import Conflict, Unprocessable
from rvi_shared.events import payloads as p

log = logging.getLogger(__name__)


class Planning(ServiceBase):
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
