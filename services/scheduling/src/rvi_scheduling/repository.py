from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import JSON, DateTime, String, bindparam, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from rvi_scheduling.models import ChecklistItem, IdempotencyKey, Inspection, Site, TimelineEntry
from rvi_shared.db import Row, Statements
from rvi_shared.events.envelope import CloudEvent

_INSPECTIONS = Inspection.__table__.fullname
_TIMELINE = TimelineEntry.__table__.fullname
_SITES = Site.__table__.fullname
_ITEMS = ChecklistItem.__table__.fullname
# An event that changes nothing but the timeline, listed in one statement on the driver: once
# (a replay past a lost inbox adds nothing), and only for an inspection that exists. Returns 1
# row with `known` 0 or 1.
RECORD_ON_TIMELINE = text(
    f"WITH known AS (SELECT id FROM {_INSPECTIONS} WHERE id = CAST(:inspection_id AS varchar)), "
    f"listed AS (INSERT INTO {_TIMELINE} (inspection_id, event_id, event_type, source, time, data) "
    "SELECT id, CAST(:event_id AS varchar), CAST(:event_type AS varchar), CAST(:source AS varchar), "
    "CAST(:time AS timestamptz), CAST(:data AS json) FROM known "
    f"WHERE NOT EXISTS (SELECT 1 FROM {_TIMELINE} "
    "WHERE inspection_id = CAST(:inspection_id AS varchar) AND event_id = CAST(:event_id AS varchar))) "
    "SELECT count(*) AS known FROM known"
).bindparams(bindparam("time", type_=DateTime(timezone=True)), bindparam("data", type_=JSON))

# An inspection with its sites and items in their order, in one statement on the driver (the ORM's
# selectinload asks three); the children come as arrays of anonymous records, fields as listed.
READ_INSPECTION = text(
    "SELECT i.*, "
    f"ARRAY(SELECT ROW(s.site_id, s.name, s.latitude, s.longitude, s.address) FROM {_SITES} s "
    "WHERE s.inspection_id = i.id ORDER BY s.position) AS site_rows, "
    f"ARRAY(SELECT ROW(c.item_id, c.description, c.category, c.commodity_code, c.method) FROM {_ITEMS} c "
    "WHERE c.inspection_id = i.id ORDER BY c.position) AS item_rows "
    f"FROM {_INSPECTIONS} i WHERE i.id = CAST(:inspection_id AS varchar)"
)

EXISTS = text(f"SELECT 1 AS found FROM {_INSPECTIONS} WHERE id = CAST(:inspection_id AS varchar)")
_KEYS = IdempotencyKey.__table__
CLAIM_KEY = (
    insert(_KEYS)
    .values(
        key=bindparam("key", type_=String),
        subject=bindparam("subject", type_=String),
        request_hash=bindparam("request_hash", type_=String),
        inspection_id=bindparam("inspection_id", type_=String),
    )
    .on_conflict_do_nothing()
    .returning(_KEYS.c.key)
)


class SiteRead(NamedTuple):
    site_id: str
    name: str
    latitude: float
    longitude: float
    address: str | None


class ItemRead(NamedTuple):
    item_id: str
    description: str
    category: str | None
    commodity_code: str | None
    method: str | None


class InspectionRead:
    """An inspection as READ_INSPECTION reads it, for its representation only (not in the session,
    never written): every column of `inspections` as an attribute of the same name and value as
    the ORM's (JSON decoded by the connection's codec), `sites` and `items` in their order."""

    sites: list[SiteRead]
    items: list[ItemRead]

    def __init__(self, row: Row) -> None:
        fields = dict(row.items())
        self.sites = [SiteRead(*s) for s in fields.pop("site_rows")]
        self.items = [ItemRead(*c) for c in fields.pop("item_rows")]
        self.__dict__.update(fields)


class InspectionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.statements = Statements(session)

    async def record_timeline(self, event: CloudEvent) -> bool:
        """`event` on its inspection's timeline, once per event (a replay past a lost inbox adds
        nothing), in one statement without loading the inspection; False when no inspection has
        the event's subject. Changes the session holds are flushed first, so the timeline keeps
        the order in which a transaction's events were recorded."""
        assert event.subject is not None
        if self.session.new or self.session.dirty or self.session.deleted:
            await self.session.flush()
        rows = await self.statements.fetch(
            RECORD_ON_TIMELINE,
            {
                "inspection_id": event.subject,
                "event_id": event.id,
                "event_type": event.type,
                "source": event.source,
                "time": event.time,
                "data": event.data,
            },
        )
        return bool(rows[0].known)

    async def read(self, inspection_id: str) -> InspectionRead | None:
        """The inspection with its sites and items for a representation, in one driver statement."""
        rows = await self.statements.fetch(READ_INSPECTION, {"inspection_id": inspection_id})
        return InspectionRead(rows[0]) if rows else None

    async def exists(self, inspection_id: str) -> bool:
        return bool(await self.statements.fetch(EXISTS, {"inspection_id": inspection_id}))

    async def get(self, inspection_id: str, for_update: bool = False, with_children: bool = True) -> Inspection | None:
        stmt = select(Inspection).where(Inspection.id == inspection_id)
        if with_children:
            stmt = stmt.options(selectinload(Inspection.sites), selectinload(Inspection.items))
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def planned_for_enterprise(
        self, enterprise_id: str, exclude: str, start: datetime, end: datetime
    ) -> Sequence[Inspection]:
        """The enterprise's other inspections booked (scheduled or ready) between `start` and `end`."""
        stmt = (
            select(Inspection)
            .where(
                Inspection.enterprise_id == enterprise_id,
                Inspection.id != exclude,
                Inspection.state.in_(("scheduled", "ready")),
                Inspection.slot_start >= start,
                Inspection.slot_start < end,
            )
            .order_by(Inspection.slot_start)
        )
        return (await self.session.execute(stmt)).scalars().all()

    def add(self, inspection: Inspection) -> None:
        self.session.add(inspection)

    async def claim_idempotency_key(self, key: str, subject: str, request_hash: str, inspection_id: str) -> bool:
        params = {"key": key, "subject": subject, "request_hash": request_hash, "inspection_id": inspection_id}
        return bool(await self.statements.fetch(CLAIM_KEY, params))

    async def idempotency_key(self, key: str, subject: str) -> IdempotencyKey | None:
        return await self.session.get(IdempotencyKey, (key, subject))

    async def timeline(self, inspection_id: str) -> Sequence[TimelineEntry]:
        result = await self.session.execute(
            select(TimelineEntry).where(TimelineEntry.inspection_id == inspection_id).order_by(TimelineEntry.seq)
        )
        return result.scalars().all()
