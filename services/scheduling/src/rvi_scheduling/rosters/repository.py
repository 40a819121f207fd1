from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import String, bindparam, delete, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_scheduling.rosters.assignment import Candidate
from rvi_scheduling.rosters.models import Assignment, OfficerAbsence, RosterOfficer
from rvi_scheduling.rosters.offices import district_key, office_key
from rvi_shared.db import Row, Statements

_OFFICERS = RosterOfficer.__table__
# What a registration writes: every column but the id and the system's own `last_assigned_at`.
_REGISTERED = [c for c in _OFFICERS.c if c.name not in ("officer_id", "last_assigned_at")]
CREDENTIAL_HOLDER = select(_OFFICERS.c.officer_id).where(
    _OFFICERS.c.credential_no == bindparam("credential_no", type_=String)
)
_INSERT_OFFICER = pg_insert(_OFFICERS).values({c.name: bindparam(c.name, type_=c.type) for c in _OFFICERS.c})
# Insert or update in one statement: concurrent registrations of one officer never collide.
UPSERT_OFFICER = _INSERT_OFFICER.on_conflict_do_update(
    index_elements=[_OFFICERS.c.officer_id], set_={c.name: _INSERT_OFFICER.excluded[c.name] for c in _REGISTERED}
).returning(*_OFFICERS.c)


class RosterRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.statements = Statements(session)

    async def get(self, officer_id: str, for_update: bool = False) -> RosterOfficer | None:
        return await self.session.get(RosterOfficer, officer_id, with_for_update=for_update)

    async def credential_holder(self, credential_no: str) -> str | None:
        """The id of the officer holding `credential_no` (on the driver)."""
        rows = await self.statements.fetch(CREDENTIAL_HOLDER, {"credential_no": credential_no})
        return rows[0].officer_id if rows else None

    async def many(self, officer_ids: Sequence[str]) -> dict[str, RosterOfficer]:
        rows = await self.session.execute(select(RosterOfficer).where(RosterOfficer.officer_id.in_(officer_ids)))
        return {r.officer_id: r for r in rows.scalars()}

    async def listing(self, office: str | None, district: str | None) -> Sequence[RosterOfficer]:
        stmt = select(RosterOfficer).order_by(RosterOfficer.officer_id)
        if office:
            stmt = stmt.where(RosterOfficer.office_key == office_key(office))
        if district:
            stmt = stmt.where(RosterOfficer.district_key == district_key(district))
        return (await self.session.execute(stmt)).scalars().all()

    async def upsert(self, officer_id: str, values: dict[str, object]) -> Row:
        """Registers or updates the officer (on the driver, not in the session): the row as written,
        its columns by name. `values` holds every registered column but the two keys."""
        values = {
            **values,
            "officer_id": officer_id,
            "office_key": office_key(str(values["customs_office"])),
            "district_key": district_key(str(values["district"])),
            "last_assigned_at": None,
        }
        (row,) = await self.statements.fetch(UPSERT_OFFICER, values)
        return row

    def add(self, row: RosterOfficer | OfficerAbsence | Assignment) -> None:
        self.session.add(row)

    async def district_of(self, office: str) -> str | None:
        """The district of an office the registry does not know, as the roster knows it (an office
        is its own district when officers are registered with it as their district)."""
        key = office_key(office)
        stmt = (
            select(RosterOfficer.district)
            .where(or_(RosterOfficer.office_key == key, RosterOfficer.district_key == key))
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def candidates(
        self,
        office: str,
        district: str | None,
        window: tuple[datetime, datetime],
        period: tuple[datetime, datetime],
        officer_ids: Sequence[str] | None = None,
    ) -> list[Candidate]:
        """Officers of the office or district with their bookings in `window` and their number
        of inspections in `period` (the load compared for fairness)."""
        # Team choices for one district are serialised: two events handled at once never book
        # the same officer twice (released at commit).
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"roster:{district_key(district or office)}"}
        )
        stmt = select(RosterOfficer)
        if officer_ids is not None:
            stmt = stmt.where(RosterOfficer.officer_id.in_(officer_ids))
        else:
            conditions = [RosterOfficer.office_key == office_key(office)]
            if district:
                conditions.append(RosterOfficer.district_key == district_key(district))
            stmt = stmt.where(or_(*conditions))
        officers = (await self.session.execute(stmt)).scalars().all()
        if not officers:
            return []
        ids = [o.officer_id for o in officers]
        busy: dict[str, list[tuple[datetime, datetime]]] = {i: [] for i in ids}
        booked = await self.session.execute(
            select(Assignment.officer_id, Assignment.starts_at, Assignment.ends_at).where(
                Assignment.officer_id.in_(ids), Assignment.starts_at < window[1], Assignment.ends_at > window[0]
            )
        )
        absent = await self.session.execute(
            select(OfficerAbsence.officer_id, OfficerAbsence.starts_at, OfficerAbsence.ends_at).where(
                OfficerAbsence.officer_id.in_(ids),
                OfficerAbsence.starts_at < window[1],
                OfficerAbsence.ends_at > window[0],
            )
        )
        for officer_id, start, end in [*booked.all(), *absent.all()]:
            busy[officer_id].append((start, end))
        loads = dict(
            (
                await self.session.execute(
                    select(Assignment.officer_id, func.count())
                    .where(
                        Assignment.officer_id.in_(ids),
                        Assignment.starts_at >= period[0],
                        Assignment.starts_at < period[1],
                    )
                    .group_by(Assignment.officer_id)
                )
            ).all()
        )
        return [
            Candidate(
                officer_id=o.officer_id,
                name=o.name,
                credential_no=o.credential_no,
                customs_office=o.customs_office,
                district=o.district,
                valid_from=o.credential_valid_from,
                valid_until=o.credential_valid_until,
                active=o.active,
                load=loads.get(o.officer_id, 0),
                last_assigned_at=o.last_assigned_at,
                busy=busy[o.officer_id],
            )
            for o in officers
        ]

    async def assignments(self, inspection_id: str) -> Sequence[Assignment]:
        stmt = select(Assignment).where(Assignment.inspection_id == inspection_id).order_by(Assignment.assigned_at)
        return (await self.session.execute(stmt)).scalars().all()

    async def release(self, inspection_id: str, officer_id: str | None = None) -> None:
        stmt = delete(Assignment).where(Assignment.inspection_id == inspection_id)
        if officer_id is not None:
            stmt = stmt.where(Assignment.officer_id == officer_id)
        await self.session.execute(stmt)

    async def inspections_overlapping(self, officer_id: str, start: datetime, end: datetime) -> list[str]:
        stmt = select(Assignment.inspection_id).where(
            Assignment.officer_id == officer_id, Assignment.starts_at < end, Assignment.ends_at > start
        )
        return list((await self.session.execute(stmt)).scalars().all())

    async def absences(self, officer_id: str) -> Sequence[OfficerAbsence]:
        stmt = select(OfficerAbsence).where(OfficerAbsence.officer_id == officer_id).order_by(OfficerAbsence.starts_at)
        return (await self.session.execute(stmt)).scalars().all()

    async def remove_absence(self, officer_id: str, absence_id: str) -> bool:
        result = await self.session.execute(
            delete(OfficerAbsence).where(
                OfficerAbsence.officer_id == officer_id, OfficerAbsence.absence_id == absence_id
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
