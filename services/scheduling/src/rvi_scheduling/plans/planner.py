"""Offers for an inspection: on successive working days, the fairest free team of two and a CP-SAT
day plan of the sites that fits the team's day within office hours and the notice rule."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from time import perf_counter

from rvi_scheduling.calendar.rules import NoticeRule, OfficeHours
from rvi_scheduling.calendar.working import WorkingCalendar
from rvi_scheduling.plans.solver import SiteTask, Visit, plan_day
from rvi_scheduling.rosters.assignment import MIN_TEAM, Candidate, fairness_key

ROUND_TO_MINUTES = 5


@dataclass(frozen=True)
class SolverLimits:
    min_buffer_minutes: int = 10
    camera_speed_kmh: float = 40.0
    time_limit_s: float = 0.2
    team_pairs_per_day: int = 6


@dataclass
class Offer:
    day: date
    start: datetime
    end: datetime
    visits: list[tuple[str, datetime, datetime]]
    team: list[Candidate]


def _minutes(moment: datetime, day: date, hours: OfficeHours) -> int:
    local = moment.astimezone(hours.zone)
    return (local.date() - day).days * 1440 + local.hour * 60 + local.minute + math.ceil(local.second / 60)


def _at(day: date, minutes: int, hours: OfficeHours) -> datetime:
    return datetime.combine(day, time(), hours.zone) + timedelta(minutes=minutes)


def eligible_on(candidates: Sequence[Candidate], office: str, district: str | None, day: date) -> list[Candidate]:
    chosen = [c for c in candidates if c.active and c.belongs_to(office, district) and c.credential_valid_on(day)]
    return sorted(chosen, key=lambda c: fairness_key(c, office))


def plan_offers(
    sites: Sequence[SiteTask],
    candidates: Sequence[Candidate],
    office: str,
    district: str | None,
    now: datetime,
    calendar: WorkingCalendar,
    hours: OfficeHours,
    rule: NoticeRule,
    count: int,
    horizon_days: int,
    limits: SolverLimits = SolverLimits(),
    named: Sequence[Candidate] | None = None,
    solve_times_ms: list[float] | None = None,
    not_before: datetime | None = None,
) -> list[Offer]:
    """Up to `count` offers on different working days, earliest first. Stops at a year without
    calendar data once an offer is found; raises YearWithoutCalendar when it reaches one before."""
    offers: list[Offer] = []
    local = [c for c in candidates if c.active and c.belongs_to(office, district)]
    day = rule.earliest_day(now, calendar, hours)
    if not_before is not None:
        day = max(day, hours.local_date(not_before))
    last = day + timedelta(days=horizon_days)
    work = sum(s.minutes for s in sites)
    while day <= last and len(offers) < count:
        if not calendar.has_year(day.year) and offers:
            break  # fewer days offered rather than days guessed in a year without calendar data
        if not calendar.is_working_day(day):
            day += timedelta(days=1)
            continue
        opens, closes = hours.day_window(day)
        earliest = _minutes(opens, day, hours)
        if rule.unit == "calendar":
            earliest = max(earliest, _minutes(now + timedelta(days=rule.days), day, hours))
        earliest = math.ceil(earliest / ROUND_TO_MINUTES) * ROUND_TO_MINUTES
        if not_before is not None:
            earliest = max(earliest, _minutes(not_before, day, hours))
        latest = _minutes(closes, day, hours)
        if named is not None:
            on_duty = all(c.active and c.belongs_to(office, district) and c.credential_valid_on(day) for c in named)
            teams: Sequence[Sequence[Candidate]] = [named] if on_duty else []
        else:
            # Only officers, then pairs, with time enough left that day count towards the solver's
            # pairs: the fairest officers being absent or booked all day must not hide the others.
            pool = [
                c
                for c in eligible_on(local, office, district, day)
                if _free(_busy([c], day, opens, closes, hours), earliest, latest) >= work
            ]
            pairs = (
                t
                for t in itertools.combinations(pool, MIN_TEAM)
                if _free(_busy(t, day, opens, closes, hours), earliest, latest) >= work
            )
            teams = list(itertools.islice(pairs, limits.team_pairs_per_day))
        for team in teams:
            busy = _busy(team, day, opens, closes, hours)
            began = perf_counter()
            visits = plan_day(
                sites,
                earliest,
                latest,
                busy,
                limits.min_buffer_minutes,
                limits.camera_speed_kmh,
                limits.time_limit_s,
            )
            if solve_times_ms is not None:
                solve_times_ms.append((perf_counter() - began) * 1000)
            if visits:
                offers.append(_offer(day, visits, list(team), hours))
                break
        day += timedelta(days=1)
    return offers


def _busy(
    team: Sequence[Candidate], day: date, opens: datetime, closes: datetime, hours: OfficeHours
) -> list[tuple[int, int]]:
    """The team's bookings and absences that day, in minutes, clipped to office hours."""
    return [
        (_minutes(max(b_start, opens), day, hours), _minutes(min(b_end, closes), day, hours))
        for member in team
        for b_start, b_end in member.busy
        if b_start < closes and b_end > opens
    ]


def _free(busy: Sequence[tuple[int, int]], earliest: int, latest: int) -> int:
    """Minutes of [earliest, latest] outside every busy interval."""
    free, at = 0, earliest
    for start, end in sorted(busy):
        if start > at:
            free += min(start, latest) - at
        at = max(at, end)
        if at >= latest:
            return free
    return free + max(0, latest - at)


def _offer(day: date, visits: list[Visit], team: list[Candidate], hours: OfficeHours) -> Offer:
    timed = [(v.site_id, _at(day, v.start, hours), _at(day, v.end, hours)) for v in visits]
    return Offer(day, timed[0][1], timed[-1][2], timed, team)
