"""Inbox: (consumer, event id) recorded in the effect's transaction; a duplicate changes nothing."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, TextClause, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_shared.db import Statements
from rvi_shared.messaging.tables import MessagingTables

_STATEMENTS: dict[tuple[str, bool], TextClause] = {}


def _statement(t: Table, announcing: bool) -> TextClause:
    """The claim for inbox table `t`, with or without the NOTIFY: one object each, so that it is
    compiled once and prepared once per connection (`Statements`)."""
    key = (t.fullname, announcing)
    statement = _STATEMENTS.get(key)
    if statement is None:
        table = postgresql.dialect().identifier_preparer.format_table(t)
        claimed = f"""
            INSERT INTO {table} (consumer, event_id, event_type)
            SELECT :consumer, e.id, e.type FROM unnest(CAST(:ids AS text[]), CAST(:types AS text[])) AS e(id, type)
            ON CONFLICT DO NOTHING RETURNING event_id"""
        if announcing:
            # The NOTIFY runs as the filter's InitPlan: once, and only when a row was claimed.
            claimed = f"""
                WITH claimed AS ({claimed}),
                announced AS (SELECT pg_notify(:channel, subject) FROM unnest(CAST(:subjects AS text[])) AS subject)
                SELECT event_id FROM claimed WHERE (SELECT count(*) FROM announced) >= 0"""
        statement = _STATEMENTS[key] = text(claimed)
    return statement


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
    params: dict[str, object] = {
        "consumer": consumer,
        "ids": [event_id for event_id, _ in events],
        "types": [event_type for _, event_type in events],
    }
    subjects = sorted(set(announce[1])) if announce is not None else []
    if announce is not None and subjects:
        params |= {"channel": announce[0], "subjects": subjects}
    rows = await Statements(session).fetch(_statement(tables.inbox, bool(subjects)), params)
    return {row[0] for row in rows}
