"""Inbox: (consumer, event id) recorded in the effect's transaction; a duplicate changes nothing."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_shared.messaging.tables import MessagingTables


async def claim(session: AsyncSession, tables: MessagingTables, consumer: str, event_id: str, event_type: str) -> bool:
    """True the first time this consumer sees the event, False for a duplicate."""
    result = await session.execute(
        insert(tables.inbox)
        .values(consumer=consumer, event_id=event_id, event_type=event_type)
        .on_conflict_do_nothing()
        .returning(tables.inbox.c.event_id)
    )
    return result.first() is not None
