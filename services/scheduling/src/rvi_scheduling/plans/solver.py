"""One day's plan for an enterprise's sites with OR-Tools CP-SAT: an order of the sites, a window
for each, a buffer between consecutive sites for the enterprise to move its camera (longer for
sites further apart), clear of the team's other bookings, as early and compact as possible.
The solver's time is bounded; a day it cannot plan in that time counts as not plannable."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ortools.sat.python import cp_model


@dataclass(frozen=True)
class SiteTask:
    site_id: str
    latitude: float
    longitude: float
    minutes: int


@dataclass(frozen=True)
class Visit:
    site_id: str
    start: int  # minutes from the day's reference (midnight local)
    end: int


def distance_km(a: SiteTask, b: SiteTask) -> float:
    """Great-circle distance (haversine, mean Earth radius 6371 km)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def buffer_minutes(a: SiteTask, b: SiteTask, min_buffer: int, camera_speed_kmh: float) -> int:
    """Time for the enterprise to carry its camera from site `a` to `b`, at least `min_buffer`."""
    return max(min_buffer, math.ceil(distance_km(a, b) / camera_speed_kmh * 60))


def merged(busy: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The union of the team's bookings: members' overlapping bookings as one interval."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(b for b in busy if b[1] > b[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def plan_day(
    sites: Sequence[SiteTask],
    earliest: int,
    latest: int,
    busy: Sequence[tuple[int, int]] = (),
    min_buffer: int = 10,
    camera_speed_kmh: float = 40.0,
    time_limit_s: float = 0.2,
) -> list[Visit] | None:
    """Visits in order within [earliest, latest] (minutes), or None when the day cannot hold them
    (or the solver found no plan within `time_limit_s`)."""
    n = len(sites)
    if n == 0:
        return []
    if earliest + sum(s.minutes for s in sites) > latest:
        return None
    blocked = tuple(
        (max(b_start, earliest) - earliest, min(b_end, latest) - earliest)
        for b_start, b_end in merged(busy)
        if b_end > earliest and b_start < latest
    )
    if n == 1:
        visits = _first_gap(sites[0], 0, latest - earliest, list(blocked))
    else:
        visits = _solve(tuple(sites), latest - earliest, blocked, min_buffer, camera_speed_kmh, time_limit_s)
    if visits is None:
        return None
    return [Visit(v.site_id, v.start + earliest, v.end + earliest) for v in visits]


@lru_cache(maxsize=4096)
def _solve(
    sites: tuple[SiteTask, ...],
    horizon: int,
    busy: tuple[tuple[int, int], ...],
    min_buffer: int,
    camera_speed_kmh: float,
    time_limit_s: float,
) -> list[Visit] | None:
    """The CP-SAT model in minutes from the day's earliest start; memoised, since the same sites
    on a day with the same bookings (often none) give the same plan."""
    n = len(sites)
    model = cp_model.CpModel()
    starts, ends, intervals = [], [], []
    for i, site in enumerate(sites):
        start = model.new_int_var(0, horizon - site.minutes, f"start_{i}")
        end = model.new_int_var(site.minutes, horizon, f"end_{i}")
        intervals.append(model.new_interval_var(start, site.minutes, end, f"visit_{i}"))
        starts.append(start)
        ends.append(end)
    for k, (b_start, b_end) in enumerate(busy):
        intervals.append(model.new_fixed_size_interval_var(b_start, b_end - b_start, f"busy_{k}"))
    model.add_no_overlap(intervals)
    arcs: list[tuple[int, int, cp_model.IntVar]] = []
    for i in range(n):
        arcs.append((0, i + 1, model.new_bool_var(f"first_{i}")))
        arcs.append((i + 1, 0, model.new_bool_var(f"last_{i}")))
        for j in range(n):
            if i == j:
                continue
            follows = model.new_bool_var(f"{i}_then_{j}")
            arcs.append((i + 1, j + 1, follows))
            gap = buffer_minutes(sites[i], sites[j], min_buffer, camera_speed_kmh)
            model.add(starts[j] >= ends[i] + gap).only_enforce_if(follows)
    model.add_circuit(arcs)
    makespan = model.new_int_var(0, horizon, "makespan")
    model.add_max_equality(makespan, ends)
    model.minimize(makespan)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = 1
    # A model of a handful of sites: presolve, linearisation and symmetry detection cost more
    # than they save (measured in bench-scheduling).
    solver.parameters.cp_model_presolve = False
    solver.parameters.linearization_level = 0
    solver.parameters.symmetry_level = 0
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    visits = [Visit(s.site_id, solver.value(starts[i]), solver.value(ends[i])) for i, s in enumerate(sites)]
    return sorted(visits, key=lambda v: v.start)


def _first_gap(site: SiteTask, earliest: int, latest: int, busy: list[tuple[int, int]]) -> list[Visit] | None:
    """One site needs no order: the earliest free gap is the optimum (no solver needed)."""
    start = earliest
    for b_start, b_end in busy:
        if start + site.minutes <= b_start:
            break
        start = max(start, b_end)
    if start + site.minutes > latest:
        return None
    return [Visit(site.site_id, start, start + site.minutes)]
