"""An office's inspections booked in a window, for the officers' day and week views (DOMAIN 10:
an office is named by its customs code, Chinese or English name)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from rvi_scheduling.models import Inspection
from rvi_scheduling.rosters.offices import district_key, office_key
from rvi_shared.errors import Unprocessable

BATCH = 200
ID_LENGTH = 64


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the last row's slot start and id (keyset, stable under inserts)."""

    slot_start: datetime
    inspection_id: str

    def encode(self) -> str:
        raw = f"{self.slot_start.isoformat()}|{self.inspection_id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            at, inspection_id = raw.split("|", 1)
            slot_start = datetime.fromisoformat(at)
            if slot_start.tzinfo is not None:
                slot_start = slot_start.astimezone(UTC)  # PostgreSQL's range, not only Python's
        except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError) as error:
            raise Unprocessable("cursor is not one this service returned", field="cursor") from error
        if slot_start.tzinfo is None or not inspection_id.isprintable() or len(inspection_id) > ID_LENGTH:
            raise Unprocessable("cursor is not one this service returned", field="cursor")
        return cls(slot_start, inspection_id)


async def office_inspections(
    session: AsyncSession,
    office: str | None,
    district: str | None,
    start: datetime,
    end: datetime,
    states: Sequence[str],
    limit: int,
    after: Cursor | None,
) -> tuple[list[Inspection], Cursor | None]:
    """Inspections of `office` (or of every office of `district`) whose slot starts in [`start`,
    `end`), by slot start then id, at most `limit`, after `after`; and the cursor of the next page
    (None on the last). Offices are compared through the registry (`3105`, `慈溪海关` and `Cixi` are
    one office), so rows are read by window in batches and matched here."""

    def wanted(customs: str) -> bool:
        if office is not None:
            return office_key(customs) == office_key(office)
        return district is not None and district_key(customs) == district_key(district)

    found: list[Inspection] = []
    position = after
    while len(found) <= limit:
        stmt = (
            select(Inspection)
            .where(Inspection.slot_start >= start, Inspection.slot_start < end)
            .options(selectinload(Inspection.sites), selectinload(Inspection.items))
            .order_by(Inspection.slot_start, Inspection.id)
            .limit(BATCH)
        )
        if states:
            stmt = stmt.where(Inspection.state.in_(states))
        if position is not None:
            stmt = stmt.where(
                or_(
                    Inspection.slot_start > position.slot_start,
                    and_(Inspection.slot_start == position.slot_start, Inspection.id > position.inspection_id),
                )
            )
        rows = (await session.execute(stmt)).scalars().all()
        found.extend(row for row in rows if wanted(row.customs))
        if len(rows) < BATCH:
            break
        last = rows[-1]
        assert last.slot_start is not None
        position = Cursor(last.slot_start, last.id)
    page = found[:limit]
    if len(found) <= limit:
        return page, None
    last = page[-1]
    assert last.slot_start is not None
    return page, Cursor(last.slot_start, last.id)
