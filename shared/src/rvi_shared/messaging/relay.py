"""Outbox relay: publishes unsent rows (acks=all), marks them sent, and refills a broker
that lost them (DESIGN: Delivery guarantees)."""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from datetime import timedelta

import asyncpg
from aiokafka import AIOKafkaProducer
from sqlalchemy import and_, bindparam, func, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rvi_shared.clock import Clock
from rvi_shared.db import Statements, asyncpg_dsn, transaction
from rvi_shared.events.envelope import CONTENT_TYPE
from rvi_shared.messaging.changes import ChangeFeed, changes_channel
from rvi_shared.messaging.kafka import RecordProbe, ensure_topics, make_producer
from rvi_shared.messaging.outbox import Outbox
from rvi_shared.observability.metrics import OUTBOX_BACKLOG, OUTBOX_PUBLISHED, OUTBOX_REPUBLISHED

log = logging.getLogger(__name__)

BATCH_SIZE = 500


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        outbox: Outbox,
        sessions: async_sessionmaker[AsyncSession],
        database_url: str,
        bootstrap: str,
        clock: Clock,
        partitions: int,
        poll_interval_s: float = 1.0,
        retention_s: float = 7 * 24 * 3600,
        check_interval_s: float = 5.0,
        changes: ChangeFeed | None = None,
        schema: str | None = None,
    ) -> None:
        self.service = service
        self.outbox = outbox
        self.table = outbox.tables.outbox
        self.sessions = sessions
        self.database_url = database_url
        self.bootstrap = bootstrap
        self.clock = clock
        self.partitions = partitions
        self.poll_interval_s = poll_interval_s
        self.retention = timedelta(seconds=retention_s)
        self.check_interval_s = check_interval_s
        self._wake = asyncio.Event()
        self._producer: AIOKafkaProducer | None = None
        self._probe: RecordProbe | None = None
        self._lock_id = zlib.crc32(f"rvi-outbox-{outbox.channel}".encode())
        self.broker_ok = False
        self.changes = changes
        self._changes_channel = changes_channel(schema) if schema and changes is not None else None
        t = self.table
        # The lock is the query's one-time filter: no rows unless this relay holds it, one round trip.
        locked = select(func.pg_try_advisory_xact_lock(bindparam("lock_id"))).scalar_subquery()
        self._unsent = (
            select(t.c.id, t.c.topic, t.c.key, t.c.payload)
            .where(t.c.sent_at.is_(None), locked)
            .order_by(t.c.id)
            .limit(bindparam("batch_size"))
            .with_for_update(skip_locked=True)
        )
        table = postgresql.dialect().identifier_preparer.format_table(t)
        self._mark_sent = text(
            f"""UPDATE {table} AS o SET sent_at = :now, partition = s.partition, "offset" = s.sent_offset
            FROM unnest(CAST(:ids AS bigint[]), CAST(:partitions AS integer[]), CAST(:offsets AS bigint[]))
                AS s(id, partition, sent_offset)
            WHERE o.id = s.id"""
        )

    async def run(self, stop: asyncio.Event) -> None:
        listener = await self._listen()
        last_check = 0.0
        try:
            while not stop.is_set():
                try:
                    await self._ensure_producer()
                    while await self.publish_batch() == BATCH_SIZE and not stop.is_set():
                        pass
                    if time.monotonic() - last_check >= self.check_interval_s:
                        last_check = time.monotonic()
                        if await self.requeue_lost():
                            continue
                        await self.purge_expired()
                        await self._update_backlog()
                    self.broker_ok = True
                except Exception as exc:  # broker or database away: keep the rows, retry
                    self.broker_ok = False
                    log.warning("outbox relay: %s; retrying", exc)
                    await self._drop_producer()
                    await _sleep_or_stop(stop, min(self.poll_interval_s, 1.0))
                    continue
                self._wake.clear()
                await _wait_any(stop, self._wake, self.poll_interval_s)
        finally:
            await self._drop_producer()
            if listener is not None:
                await listener.close()

    async def _listen(self) -> asyncpg.Connection | None:
        """One connection LISTENs for the outbox (wakes the relay) and, with a change feed, for
        the consumer's changes; both payloads are subjects announced to the feed."""
        try:
            conn = await asyncpg.connect(asyncpg_dsn(self.database_url))
            await conn.add_listener(self.outbox.channel, self._on_outbox)
            if self._changes_channel is not None:
                await conn.add_listener(self._changes_channel, self._on_change)
            return conn
        except Exception as exc:
            log.warning("outbox relay: LISTEN unavailable (%s); polling only", exc)
            return None

    def _on_outbox(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        self._wake.set()
        self._on_change(_conn, _pid, _channel, payload)

    def _on_change(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        if self.changes is not None and payload:
            self.changes.changed(payload)

    async def _ensure_producer(self) -> None:
        if self._producer is None:
            await ensure_topics(self.bootstrap, self.partitions)
            producer = make_producer(self.bootstrap)
            await producer.start()
            self._producer = producer
            self._probe = RecordProbe(self.bootstrap)

    async def _drop_producer(self) -> None:
        producer, probe = self._producer, self._probe
        self._producer, self._probe = None, None
        if producer is not None:
            try:
                await producer.stop()
            except Exception:
                pass
        if probe is not None:
            try:
                await probe.close()
            except Exception:
                pass

    async def publish_batch(self) -> int:
        """Publish one batch in id order; one relay per service at a time keeps per-key order.
        Its two statements run on the driver (`Statements`), compiled once per relay."""
        assert self._producer is not None
        async with transaction(self.sessions) as session:
            statements = Statements(session)
            rows = await statements.fetch(self._unsent, {"lock_id": self._lock_id, "batch_size": BATCH_SIZE})
            if not rows:
                return 0
            headers = [("content-type", CONTENT_TYPE.encode())]
            futures = [
                await self._producer.send(row.topic, value=row.payload, key=row.key.encode(), headers=headers)
                for row in rows
            ]
            metadata = await asyncio.gather(*futures)
            await statements.execute(
                self._mark_sent,
                {
                    "now": self.clock.now(),
                    "ids": [row.id for row in rows],
                    "partitions": [md.partition for md in metadata],
                    "offsets": [md.offset for md in metadata],
                },
            )
        OUTBOX_PUBLISHED.labels(self.service).inc(len(rows))
        return len(rows)

    async def requeue_lost(self) -> int:
        """If the broker no longer holds the last record we sent to a partition (restarted,
        emptied), re-queue the retained rows of that topic. Duplicates are absorbed by the
        consumers' inboxes."""
        assert self._probe is not None
        t = self.table
        async with self.sessions() as session:
            newest = (
                await session.execute(
                    select(t.c.topic, t.c.partition, t.c.offset, t.c.event_id)
                    .where(t.c.sent_at.is_not(None), t.c.partition.is_not(None))
                    .distinct(t.c.topic, t.c.partition)
                    .order_by(t.c.topic, t.c.partition, t.c.offset.desc())
                )
            ).all()
        lost_topics: list[str] = []
        if newest:
            await self._probe.refresh()
        for topic, partition, offset, event_id in newest:
            if topic not in lost_topics and not await self._probe.holds(topic, partition, offset, event_id):
                lost_topics.append(topic)
        if not lost_topics:
            return 0
        await ensure_topics(self.bootstrap, self.partitions)
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                update(t)
                .where(and_(t.c.topic.in_(lost_topics), t.c.sent_at.is_not(None)))
                .values(sent_at=None, partition=None, offset=None)
            )
        count = result.rowcount or 0
        OUTBOX_REPUBLISHED.labels(self.service).inc(count)
        log.warning("outbox relay: broker lost %s; re-queued %d events", lost_topics, count)
        return count

    async def purge_expired(self) -> None:
        t = self.table
        async with self.sessions() as session, session.begin():
            await session.execute(t.delete().where(t.c.sent_at < self.clock.now() - self.retention))

    async def _update_backlog(self) -> None:
        t = self.table
        async with self.sessions() as session:
            backlog = await session.scalar(select(func.count()).select_from(t).where(t.c.sent_at.is_(None)))
        OUTBOX_BACKLOG.labels(self.service).set(backlog or 0)


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event, timeout_s: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
