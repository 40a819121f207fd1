"""Transactional outbox: events are written with the state change, in its transaction."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_shared.db import Statements
from rvi_shared.events.envelope import CloudEvent, new_event
from rvi_shared.events.registry import lookup, type_of
from rvi_shared.messaging.tables import MessagingTables
from rvi_shared.observability.tracing import current_traceparent


def notify_channel(schema: str) -> str:
    return f"{schema}_outbox"


class Outbox:
    """Bound to one service: its tables, its CloudEvents source and its clock."""

    def __init__(self, tables: MessagingTables, service: str, schema: str) -> None:
        self.tables = tables
        self.source = f"/rvi/{service}"
        self.channel = notify_channel(schema)
        t = tables.outbox
        row = (
            insert(t)
            .values(
                event_id=bindparam("event_id"),
                event_type=bindparam("event_type"),
                topic=bindparam("topic"),
                key=bindparam("key"),
                payload=bindparam("payload", type_=t.c.payload.type),
            )
            .returning(t.c.key)
            .cte("emitted")
        )
        # One statement object per outbox: compiled once, prepared once per connection.
        self._insert = select(func.pg_notify(bindparam("channel"), row.c.key)).select_from(row)

    async def emit(
        self,
        session: AsyncSession,
        payload: BaseModel,
        *,
        subject: str,
        time: datetime,
        correlationid: str | None = None,
    ) -> CloudEvent:
        """The event whose payload is `payload`, its type named by the payload's model (registry),
        written in `session`'s transaction. UnknownEventType for a model that is no payload."""
        event = new_event(
            type=type_of(payload).name,
            source=self.source,
            subject=subject,
            data=payload,
            time=time,
            traceparent=current_traceparent(),
            correlationid=correlationid,
        )
        await self.add(session, event)
        return event

    async def add(self, session: AsyncSession, event: CloudEvent) -> None:
        """The row and its NOTIFY (payload: the key, the event's subject) in one round trip, on
        the driver in `session`'s transaction (`Statements`); the relay wakes on it and a
        long-poll on that subject too (`rvi_shared.messaging.changes`)."""
        await Statements(session).execute(
            self._insert,
            {
                "event_id": event.id,
                "event_type": event.type,
                "topic": lookup(event.type).topic,
                "key": event.subject or event.id,
                "payload": event.to_json(),
                "channel": self.channel,
            },
        )
