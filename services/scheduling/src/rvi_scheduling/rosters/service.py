"""The roster as the customs personnel system keeps it, and teams drawn from it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from rvi_scheduling.rosters import offices
from rvi_scheduling.rosters.assignment import Candidate, Violation, violations
from rvi_scheduling.rosters.models import Assignment, OfficerAbsence, RosterOfficer
from rvi_scheduling.rosters.repository import RosterRepository
from rvi_scheduling.rosters.schemas import AbsenceIn, OfficerIn
from rvi_scheduling.settings import SchedulingSettings
from rvi_shared.clock import Clock
from rvi_shared.db import Row
from rvi_shared.errors import Conflict, NotFound, Unprocessable
from rvi_shared.events import payloads as p


class TeamRuleBroken(Unprocessable):
    """422 naming the first failing officer and rule; `violations` lists them all."""

    def __init__(self, found: Sequence[Violation], field: str = "officers") -> None:
        first = found[0]
        super().__init__(
            "; ".join(v.message for v in found),
            field=field,
            officer_id=first.officer_id,
            rule=first.rule,
            violations=[{"officer_id": v.officer_id, "rule": v.rule, "message": v.message} for v in found],
        )


class RosterService:
    def __init__(self, session: AsyncSession, clock: Clock, settings: SchedulingSettings) -> None:
        self.repo = RosterRepository(session)
        self.clock = clock
        self.settings = settings

    async def put_officer(self, officer_id: str, body: OfficerIn) -> Row:
        """The officer's row as registered (columns by name, as RosterOfficer's attributes)."""
        holder = await self.repo.credential_holder(body.credential_no)
        if holder is not None and holder != officer_id:
            raise Conflict(f"credential {body.credential_no} belongs to officer {holder!r}", field="credential_no")
        return await self.repo.upsert(officer_id, {**body.model_dump(), "updated_at": self.clock.now()})

    async def officer(self, officer_id: str) -> RosterOfficer:
        row = await self.repo.get(officer_id)
        if row is None:
            raise NotFound(f"officer {officer_id!r} not found")
        return row

    async def add_absence(self, officer_id: str, body: AbsenceIn) -> OfficerAbsence:
        await self.officer(officer_id)
        row = OfficerAbsence(absence_id=str(uuid.uuid4()), officer_id=officer_id, **body.model_dump())
        self.repo.add(row)
        return row

    async def district_of(self, office: str) -> str | None:
        """The office's district from the customs office registry (DOMAIN 10); for a name the
        registry does not know (an inspection stored before it), as the roster knows it."""
        return offices.district_of(office) or await self.repo.district_of(office)

    async def candidates(
        self, office: str, district: str | None, window: tuple[datetime, datetime], officer_ids: Sequence[str] | None
    ) -> list[Candidate]:
        period = timedelta(days=self.settings.fairness_period_days)
        return await self.repo.candidates(
            office, district, window, (window[0] - period, window[0] + period), officer_ids
        )

    async def check_named(self, team: Sequence[p.Officer], office: str) -> list[Candidate]:
        """A caller-named team against the rules that hold without a slot (roster, office, in service,
        credential not yet expired): 422 naming the officer and rule."""
        district = await self.district_of(office)
        now = self.clock.now()
        known = {
            c.officer_id: c for c in await self.candidates(office, district, (now, now), [o.officer_id for o in team])
        }
        members: list[Candidate | str] = [known.get(o.officer_id, o.officer_id) for o in team]
        found = violations(members, office, district, None, None, None)
        found += [
            Violation(
                c.officer_id,
                "credential",
                f"officer {c.officer_id!r}: credential {c.credential_no} expired on {c.valid_until}",
            )
            for c in members
            if isinstance(c, Candidate) and c.valid_until < now.date()
        ]
        found += [
            Violation(
                o.officer_id,
                "roster",
                f"officer {o.officer_id!r} holds credential {known[o.officer_id].credential_no}, not {o.credential_no}",
            )
            for o in team
            if o.officer_id in known and known[o.officer_id].credential_no != o.credential_no
        ]
        if found:
            raise TeamRuleBroken(found)
        return [m for m in members if isinstance(m, Candidate)]

    async def assign(self, inspection_id: str, team: Sequence[Candidate], start: datetime, end: datetime) -> None:
        now = self.clock.now()
        for member in team:
            self.repo.add(
                Assignment(
                    inspection_id=inspection_id,
                    officer_id=member.officer_id,
                    starts_at=start,
                    ends_at=end,
                    assigned_at=now,
                )
            )
            row = await self.repo.get(member.officer_id)
            if row is not None:
                row.last_assigned_at = now
            member.busy.append((start, end))
            member.load += 1
            member.last_assigned_at = now
        await self.repo.session.flush()  # the next event of a batch sees these bookings


def as_officer(candidate: Candidate) -> p.Officer:
    return p.Officer(officer_id=candidate.officer_id, name=candidate.name, credential_no=candidate.credential_no)
