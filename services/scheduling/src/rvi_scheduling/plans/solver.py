"""One day's plan for an enterprise's sites with OR-Tools CP-SAT: an order of the sites, a window
for each, a buffer between consecutive sites for the enterprise to move its camera (longer for
sites further apart), clear of the team's other bookings, as early and compact as possible.
The solver's time is bounded; a day it cannot plan in that time counts as not plannable."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

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
    total = sum(s.minutes for s in sites)
    if earliest + total > latest:
        return None
    model = cp_model.CpModel()
    starts, ends, intervals = [], [], []
    for i, site in enumerate(sites):
        start = model.new_int_var(earliest, latest - site.minutes, f"start_{i}")
        end = model.new_int_var(earliest + site.minutes, latest, f"end_{i}")
        intervals.append(model.new_interval_var(start, site.minutes, end, f"visit_{i}"))
        starts.append(start)
        ends.append(end)
    for k, (b_start, b_end) in enumerate(merged(busy)):
        if b_end > earliest and b_start < latest:
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
    makespan = model.new_int_var(earliest, latest, "makespan")
    model.add_max_equality(makespan, ends)
    model.minimize(makespan)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = 1
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    visits = [Visit(s.site_id, solver.value(starts[i]), solver.value(ends[i])) for i, s in enumerate(sites)]
    return sorted(visits, key=lambda v: v.start)
