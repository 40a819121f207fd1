"""Team assignment rules, pure so that the planner and the benchmark share them.

At least two officers holding enforcement credentials valid on the day (DOMAIN: practice; DOMAIN 7,
the audit pattern), of the responsible customs office or its district, none double-booked (other
inspections, leave), the load spread fairly: fewest inspections in the period first, then the one
assigned longest ago (round-robin), then the officer id."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from rvi_scheduling.rosters.offices import district_key, office_key

MIN_TEAM = 2
NEVER = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Candidate:
    officer_id: str
    name: str
    credential_no: str
    customs_office: str
    district: str
    valid_from: date
    valid_until: date
    active: bool = True
    load: int = 0
    last_assigned_at: datetime | None = None
    busy: list[tuple[datetime, datetime]] = field(default_factory=list)

    def credential_valid_on(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_until

    def free(self, start: datetime, end: datetime) -> bool:
        return all(end <= b_start or b_end <= start for b_start, b_end in self.busy)

    def of_office(self, office: str) -> bool:
        return office_key(self.customs_office) == office_key(office)

    def belongs_to(self, office: str, district: str | None) -> bool:
        """Of `office` or of `district`, however each is named (code, Chinese or English name)."""
        return self.of_office(office) or (
            district is not None and district_key(self.district) == district_key(district)
        )


@dataclass(frozen=True)
class Violation:
    officer_id: str | None
    rule: str
    message: str


def violations(
    team: Sequence[Candidate | str],
    office: str,
    district: str | None,
    day: date | None,
    start: datetime | None,
    end: datetime | None,
) -> list[Violation]:
    """Every rule a named team breaks; a str member is an officer id the roster does not know.
    With `day`/`start`/`end` None, the rules that need the slot are not checked yet."""
    found: list[Violation] = []
    if len(team) < MIN_TEAM:
        found.append(Violation(None, "team_size", f"a team needs at least {MIN_TEAM} officers, got {len(team)}"))
    for member in team:
        if isinstance(member, str):
            found.append(Violation(member, "roster", f"officer {member!r} is not on the roster"))
            continue
        oid = member.officer_id
        if not member.active:
            found.append(Violation(oid, "active", f"officer {oid!r} is not in service"))
        if not member.belongs_to(office, district):
            found.append(
                Violation(
                    oid, "office", f"officer {oid!r} ({member.customs_office}) is not of {office} or its district"
                )
            )
        if day is not None and not member.credential_valid_on(day):
            found.append(
                Violation(
                    oid,
                    "credential",
                    f"officer {oid!r}: credential {member.credential_no} is valid {member.valid_from} to "
                    f"{member.valid_until}, not on {day}",
                )
            )
        if start is not None and end is not None and not member.free(start, end):
            found.append(Violation(oid, "double_booking", f"officer {oid!r} is already booked or absent then"))
    return found


def fairness_key(candidate: Candidate, office: str) -> tuple[bool, int, datetime, str]:
    return (
        not candidate.of_office(office),
        candidate.load,
        candidate.last_assigned_at or NEVER,
        candidate.officer_id,
    )


def choose_team(
    candidates: Iterable[Candidate],
    office: str,
    district: str | None,
    day: date,
    start: datetime,
    end: datetime,
    size: int = MIN_TEAM,
    exclude: frozenset[str] = frozenset(),
) -> list[Candidate] | None:
    """The `size` fairest eligible officers, or None when fewer are available."""
    eligible = [
        c
        for c in candidates
        if c.officer_id not in exclude
        and c.active
        and c.belongs_to(office, district)
        and c.credential_valid_on(day)
        and c.free(start, end)
    ]
    if len(eligible) < size:
        return None
    eligible.sort(key=lambda c: fairness_key(c, office))
    return eligible[:size]
