from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import DateTime, Integer, String, Uuid, bindparam, literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_shared.db import Statements
from rvi_video_gateway.models import InspectionSession, InspectionView, ItemResultRow, ManifestEntry, SessionAuditEntry

SESSIONS = InspectionSession.__table__
VIEWS = InspectionView.__table__
ENTRIES = ManifestEntry.__table__
_SESSION_ID = bindparam("session_id", type_=Uuid)
# What recording a step reads, in one statement, with the session row locked until commit: the
# step's checks need the session's state and its inspection's team, sites and items.
STEP_CONTEXT = (
    select(
        SESSIONS.c.state,
        SESSIONS.c.inspection_id,
        VIEWS.c.officers,
        VIEWS.c.team,
        VIEWS.c.sites,
        VIEWS.c.checklist_items,
        VIEWS.c.onsite_items,
    )
    .join_from(SESSIONS, VIEWS, VIEWS.c.id == SESSIONS.c.inspection_id)
    .where(SESSIONS.c.session_id == _SESSION_ID)
    .with_for_update(of=SESSIONS)
)
# The chain's last link, read once the session row is locked (a statement of its own: a join
# read before the lock was granted would see the chain as it was before the lock holder's append).
CHAIN_END = (
    select(ENTRIES.c.seq, ENTRIES.c.entry_hash)
    .where(ENTRIES.c.session_id == _SESSION_ID)
    .order_by(ENTRIES.c.seq.desc())
    .limit(literal_column("1"))  # in the SQL, not a parameter the driver statement would need
)
APPEND = insert(ENTRIES).values(
    session_id=_SESSION_ID,
    seq=bindparam("seq", type_=Integer),
    prev_hash=bindparam("prev_hash", type_=String),
    entry=bindparam("entry", type_=ENTRIES.c.entry.type),
    entry_hash=bindparam("entry_hash", type_=String),
    recorded_at=bindparam("recorded_at", type_=DateTime(timezone=True)),
)

INSPECTION = select(VIEWS).where(VIEWS.c.id == bindparam("inspection_id", type_=String))
SESSION_OF = select(SESSIONS).where(SESSIONS.c.inspection_id == bindparam("inspection_id", type_=String))
OPEN_SESSION = (
    insert(SESSIONS)
    .values(
        session_id=_SESSION_ID,
        inspection_id=bindparam("inspection_id", type_=String),
        enterprise_id=bindparam("enterprise_id", type_=String),
        state=bindparam("state", type_=String),
        slot_start=bindparam("slot_start", type_=DateTime(timezone=True)),
        opened_at=bindparam("opened_at", type_=DateTime(timezone=True)),
        falsification_confirmed=literal_column("false"),
    )
    .on_conflict_do_nothing(index_elements=[SESSIONS.c.inspection_id])
    .returning(SESSIONS.c.session_id)
)


class StepContext(NamedTuple):
    """STEP_CONTEXT's row: the session's state and inspection, and the projected inspection."""

    state: str
    inspection_id: str
    inspection: InspectionView


class GatewayRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.statements = Statements(session)

    async def lock_for_step(self, session_id: uuid.UUID) -> StepContext | None:
        """The session row locked FOR UPDATE with what a step's checks read (on the driver); None
        for an unknown session."""
        rows = await self.statements.fetch(STEP_CONTEXT, {"session_id": session_id})
        if not rows:
            return None
        row = rows[0]  # the JSON columns come decoded (the dialect's codec on the connection)
        view = InspectionView(
            id=row.inspection_id,
            officers=row.officers,
            team=row.team,
            sites=row.sites,
            checklist_items=row.checklist_items,
            onsite_items=row.onsite_items,
        )
        return StepContext(row.state, row.inspection_id, view)

    async def chain_end(self, session_id: uuid.UUID) -> tuple[int, str] | None:
        """(seq, entry_hash) of the session's last manifest entry, None before the first."""
        rows = await self.statements.fetch(CHAIN_END, {"session_id": session_id})
        return (rows[0].seq, rows[0].entry_hash) if rows else None

    async def append(self, link: ManifestEntry) -> None:
        """Inserts `link` (a transient row: not added to the ORM session)."""
        await self.statements.execute(
            APPEND,
            {
                "session_id": link.session_id,
                "seq": link.seq,
                "prev_hash": link.prev_hash,
                "entry": link.entry,
                "entry_hash": link.entry_hash,
                "recorded_at": link.recorded_at,
            },
        )

    async def inspection(self, inspection_id: str, for_update: bool = False) -> InspectionView | None:
        stmt = select(InspectionView).where(InspectionView.id == inspection_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    def add(self, row: InspectionView | ManifestEntry | ItemResultRow | SessionAuditEntry) -> None:
        self.session.add(row)

    async def session_of(self, inspection_id: str, for_update: bool = False) -> InspectionSession | None:
        stmt = select(InspectionSession).where(InspectionSession.inspection_id == inspection_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def read_inspection(self, inspection_id: str) -> InspectionView | None:
        """The projected inspection read on the driver, as a transient row (not in the ORM session:
        changes to it are not saved); None when it is not projected."""
        return await self.statements.fetch_transient(InspectionView, INSPECTION, {"inspection_id": inspection_id})

    async def read_session_of(self, inspection_id: str) -> InspectionSession | None:
        """The inspection's session read on the driver, as a transient row (not in the ORM
        session: changes to it are not saved); None when it has none."""
        return await self.statements.fetch_transient(InspectionSession, SESSION_OF, {"inspection_id": inspection_id})

    async def open_session(self, inspection: InspectionView, state: str, opened_at: datetime) -> uuid.UUID | None:
        """Inserts the inspection's one session (on the driver): its id, None when it already has one."""
        rows = await self.statements.fetch(
            OPEN_SESSION,
            {
                "session_id": uuid.uuid4(),
                "inspection_id": inspection.id,
                "enterprise_id": inspection.enterprise_id,
                "state": state,
                "slot_start": inspection.slot_start,
                "opened_at": opened_at,
            },
        )
        return rows[0].session_id if rows else None

    async def entries(self, session_id: uuid.UUID) -> Sequence[ManifestEntry]:
        result = await self.session.execute(
            select(ManifestEntry).where(ManifestEntry.session_id == session_id).order_by(ManifestEntry.seq)
        )
        return result.scalars().all()

    async def item_result(self, session_id: uuid.UUID, site_id: str, item_id: str) -> ItemResultRow | None:
        return await self.session.get(ItemResultRow, (session_id, site_id, item_id))

    async def item_results(self, session_id: uuid.UUID) -> Sequence[ItemResultRow]:
        result = await self.session.execute(
            select(ItemResultRow)
            .where(ItemResultRow.session_id == session_id)
            .order_by(ItemResultRow.site_id, ItemResultRow.item_id)
        )
        return result.scalars().all()

    async def audit_trail(self, session_id: uuid.UUID) -> Sequence[SessionAuditEntry]:
        result = await self.session.execute(
            select(SessionAuditEntry).where(SessionAuditEntry.session_id == session_id).order_by(SessionAuditEntry.id)
        )
        return result.scalars().all()
