"""Inbox: (consumer, event id) recorded in the effect's transaction; a duplicate changes nothing."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_shared.messaging.tables import MessagingTables


async def claim(
    session: AsyncSession,
    tables: MessagingTables,
    consumer: str,
    events: Sequence[tuple[str, str]],
    announce: tuple[str, Sequence[str]] | None = None,
) -> set[str]:
    """The ids of `events` ((event id, event type) pairs) this consumer sees for the first time;
    the others are duplicates. One statement for a whole batch. With `announce` (a NOTIFY channel
    and subjects), the subjects are notified in the same round trip when anything was claimed
    (delivered on commit: `rvi_shared.messaging.changes`)."""
    t = tables.inbox
    table = f'"{t.schema}"."{t.name}"' if t.schema else f'"{t.name}"'
    claimed = f"""
        INSERT INTO {table} (consumer, event_id, event_type)
        SELECT :consumer, e.id, e.type FROM unnest(CAST(:ids AS text[]), CAST(:types AS text[])) AS e(id, type)
        ON CONFLICT DO NOTHING RETURNING event_id"""
    params: dict[str, object] = {
        "consumer": consumer,
        "ids": [event_id for event_id, _ in events],
        "types": [event_type for _, event_type in events],
    }
    subjects = sorted(set(announce[1])) if announce is not None else []
    if announce is None or not subjects:
        statement = claimed
    else:
        # The NOTIFY runs as the filter's InitPlan: once, and only when a row was claimed.
        statement = f"""
            WITH claimed AS ({claimed}),
            announced AS (SELECT pg_notify(:channel, subject) FROM unnest(CAST(:subjects AS text[])) AS subject)
            SELECT event_id FROM claimed WHERE (SELECT count(*) FROM announced) >= 0"""
        params |= {"channel": announce[0], "subjects": subjects}
    result = await session.execute(text(statement), params)
    return {row[0] for row in result}
