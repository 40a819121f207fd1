"""Consumer runner: both CloudEvents Kafka content modes, idempotent handlers, bounded retries,
dead-letter topic, offsets after commit."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.structs import OffsetAndMetadata, TopicPartition
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rvi_shared.events.envelope import CloudEvent, EnvelopeError
from rvi_shared.events.kafka_binding import parse_record
from rvi_shared.events.registry import decode_payload, dlq_topic, lookup, type_for
from rvi_shared.messaging import inbox
from rvi_shared.messaging.kafka import make_producer
from rvi_shared.messaging.tables import MessagingTables
from rvi_shared.observability.context import inspection_id_var
from rvi_shared.observability.metrics import CONSUMER_LAG, DLQ_COUNT, EVENTS_CONSUMED
from rvi_shared.observability.tracing import span_from

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, CloudEvent, Any], Awaitable[None]]


class PermanentError(Exception):
    """The event can never be processed: no retry, straight to the DLQ."""


@dataclass
class HandlerRegistry:
    handlers: dict[str, Handler] = field(default_factory=dict)

    def on(self, model: type[BaseModel]) -> Callable[[Handler], Handler]:
        """Registers the handler of the event type whose payload model is `model` (the model names the
        type, as in `Outbox.emit`); UnknownEventType for a model that is no payload, ValueError for a
        second handler of one type."""
        type_name = type_for(model).name

        def register(fn: Handler) -> Handler:
            if type_name in self.handlers:
                raise ValueError(f"{type_name} has a handler already")
            self.handlers[type_name] = fn
            return fn

        return register

    def topics(self) -> list[str]:
        return sorted({lookup(t).topic for t in self.handlers})


class EventConsumer:
    def __init__(
        self,
        *,
        name: str,
        service: str,
        registry: HandlerRegistry,
        sessions: async_sessionmaker[AsyncSession],
        tables: MessagingTables,
        bootstrap: str,
        max_retries: int = 3,
        retry_backoff_s: float = 0.2,
        fetch_max_wait_ms: int = 20,
        changes_channel: str | None = None,
        idle_fetch_max_wait_ms: int | None = None,
        idle_after_s: float = 2.0,
    ) -> None:
        self.name = name
        self.service = service
        self.registry = registry
        self.sessions = sessions
        self.tables = tables
        self.bootstrap = bootstrap
        self.max_retries = max_retries
        self.retry_backoff_s = retry_backoff_s
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self.changes_channel = changes_channel
        self.idle_fetch_max_wait_ms = idle_fetch_max_wait_ms or fetch_max_wait_ms
        self.idle_after_s = idle_after_s
        self._consumer: AIOKafkaConsumer | None = None
        self._dlq: AIOKafkaProducer | None = None
        self.connected = False

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self._start()
                await self._loop(stop)
            except Exception as exc:
                self.connected = False
                log.warning("consumer %s: %s; reconnecting", self.name, exc)
                await self._close()
                try:
                    await asyncio.wait_for(stop.wait(), timeout=1.0)
                except TimeoutError:
                    pass
        await self._close()

    async def _start(self) -> None:
        if self._consumer is not None:
            return
        consumer = AIOKafkaConsumer(
            *self.registry.topics(),
            bootstrap_servers=self.bootstrap,
            group_id=self.name,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            metadata_max_age_ms=5_000,
            session_timeout_ms=10_000,
            heartbeat_interval_ms=1_000,
            fetch_max_wait_ms=self.fetch_max_wait_ms,
        )
        await consumer.start()
        self._consumer = consumer
        dlq = make_producer(self.bootstrap)
        await dlq.start()
        self._dlq = dlq
        self.connected = True

    async def _close(self) -> None:
        consumer, dlq = self._consumer, self._dlq
        self._consumer, self._dlq = None, None
        for client in (consumer, dlq):
            if client is not None:
                try:
                    await client.stop()
                except Exception:
                    pass

    async def _loop(self, stop: asyncio.Event) -> None:
        assert self._consumer is not None
        consumer = self._consumer
        last_record = time.monotonic()
        while not stop.is_set():
            try:
                batches = await consumer.getmany(timeout_ms=200, max_records=200)
            except UnicodeDecodeError:
                await self._read_past_undecodable(consumer)
                continue
            if not batches:
                if time.monotonic() - last_record > self.idle_after_s:
                    self._fetch_wait(consumer, self.idle_fetch_max_wait_ms)
                continue
            last_record = time.monotonic()
            self._fetch_wait(consumer, self.fetch_max_wait_ms)
            # Partitions in parallel, records of one partition (one inspection) in order.
            await asyncio.gather(*(self._process_partition(tp, records) for tp, records in batches.items()))
            await consumer.commit(
                {tp: OffsetAndMetadata(records[-1].offset + 1, "") for tp, records in batches.items()}
            )
            for tp in batches:
                highwater = consumer.highwater(tp)
                if highwater is not None:
                    position = await consumer.position(tp)
                    CONSUMER_LAG.labels(self.name, tp.topic, tp.partition).set(max(highwater - position, 0))

    async def _read_past_undecodable(self, consumer: AIOKafkaConsumer) -> None:
        """aiokafka decodes header names while fetching: one that is not UTF-8 fails the whole fetch
        and would stall every partition. Each partition is read again from its committed offset,
        record by record once the fault shows, and the undecodable record is dead-lettered by its
        coordinates (the client cannot hand out its bytes) with the reason."""
        for tp in consumer.assignment():
            committed = await consumer.committed(tp)
            offset = committed if committed is not None else (await consumer.beginning_offsets([tp]))[tp]
            consumer.seek(tp, offset)
            size = 200
            while True:
                try:
                    batch = await consumer.getmany(tp, timeout_ms=200, max_records=size)
                except UnicodeDecodeError as exc:
                    if size > 1:
                        size = 1  # find the record: the ones before it are handled
                    else:
                        reason = f"a header name is not UTF-8 ({exc.reason} at byte {exc.start})"
                        await self._dead_letter_unreadable(tp, offset, reason)
                        offset, size = offset + 1, 200
                        await consumer.commit({tp: OffsetAndMetadata(offset, "")})
                    consumer.seek(tp, offset)
                    continue
                records = batch.get(tp, [])
                if not records:
                    break
                await self._process_partition(tp, records)
                offset = records[-1].offset + 1
                await consumer.commit({tp: OffsetAndMetadata(offset, "")})

    @staticmethod
    def _fetch_wait(consumer: AIOKafkaConsumer, wait_ms: int) -> None:
        """The broker holds each fetch for its whole wait (Tansu), so a short one is a poll: short
        while records flow, long once idle. aiokafka reads the wait for each request it builds
        but has no public setter (pinned in uv.lock)."""
        fetcher = getattr(consumer, "_fetcher", None)
        if fetcher is not None and getattr(fetcher, "_fetch_max_wait_ms", wait_ms) != wait_ms:
            fetcher._fetch_max_wait_ms = wait_ms  # noqa: SLF001

    async def _process_partition(self, tp: TopicPartition, records: list[ConsumerRecord]) -> None:
        work = [item for record in records if (item := await self._prepare(record)) is not None]
        if len(work) > 1 and await self._handle_batch(work):
            return
        for record, event, payload, handler in work:
            await self._handle_one(record, event, payload, handler)

    async def _prepare(self, record: ConsumerRecord) -> tuple[ConsumerRecord, CloudEvent, BaseModel, Handler] | None:
        """Parse and route; None when there is nothing for this consumer to do (or it went to the DLQ)."""
        try:
            event = parse_record(record.value, record.headers)
            lookup(event.type)
        except EnvelopeError as exc:
            await self._dead_letter(record, str(exc), attempts=1)
            return None
        except Exception as exc:  # never a stuck partition: whatever the record holds
            await self._dead_letter(record, f"unreadable record: {type(exc).__name__}: {exc}", attempts=1)
            return None
        if event.time is None:
            # `time` is optional in CloudEvents 1.0: the broker's timestamp of the record stands in.
            event = event.model_copy(update={"time": datetime.fromtimestamp(record.timestamp / 1000, UTC)})
        handler = self.registry.handlers.get(event.type)
        if handler is None:
            return None
        try:
            payload = decode_payload(event)
        except EnvelopeError as exc:
            await self._dead_letter(record, str(exc), attempts=1)
            return None
        return record, event, payload, handler

    async def _handle_batch(self, work: list[tuple[ConsumerRecord, CloudEvent, BaseModel, Handler]]) -> bool:
        """One transaction for a partition's batch: far fewer commits under load. Any failure
        rolls the whole batch back and it is replayed event by event, with retries and the DLQ."""
        try:
            async with self.sessions() as session, session.begin():
                outcomes = []
                claimed = await inbox.claim(
                    session,
                    self.tables,
                    self.name,
                    [(event.id, event.type) for _, event, _, _ in work],
                    self._announcing([event.subject for _, event, _, _ in work]),
                )
                for _, event, payload, handler in work:
                    if event.id not in claimed:
                        outcomes.append((event.type, "duplicate"))
                        continue
                    claimed.discard(event.id)  # the same event twice in one batch: handled once
                    token = inspection_id_var.set(event.subject)
                    try:
                        with span_from(event.traceparent):
                            await handler(session, event, payload)
                            outcomes.append((event.type, "ok"))
                    finally:
                        inspection_id_var.reset(token)
        except Exception as exc:
            log.info("batch of %d rolled back (%s); handling one by one", len(work), exc)
            return False
        for type_name, outcome in outcomes:
            EVENTS_CONSUMED.labels(self.name, type_name, outcome).inc()
        return True

    async def _handle_one(
        self, record: ConsumerRecord, event: CloudEvent, payload: BaseModel, handler: Handler
    ) -> None:
        token = inspection_id_var.set(event.subject)
        try:
            with span_from(event.traceparent):
                await self._handle_with_retries(record, event, payload, handler)
        finally:
            inspection_id_var.reset(token)

    async def _handle_with_retries(
        self, record: ConsumerRecord, event: CloudEvent, payload: BaseModel, handler: Handler
    ) -> None:
        last_error = ""
        for attempt in range(1, self.max_retries + 1):
            try:
                async with self.sessions() as session, session.begin():
                    claimed = await inbox.claim(
                        session, self.tables, self.name, [(event.id, event.type)], self._announcing([event.subject])
                    )
                    if not claimed:
                        EVENTS_CONSUMED.labels(self.name, event.type, "duplicate").inc()
                        return
                    await handler(session, event, payload)
                EVENTS_CONSUMED.labels(self.name, event.type, "ok").inc()
                return
            except PermanentError as exc:
                await self._dead_letter(record, f"{type(exc).__name__}: {exc}", attempts=attempt)
                return
            except Exception as exc:
                last_error = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "handler failed (attempt %d/%d): %s",
                    attempt,
                    self.max_retries,
                    last_error,
                    extra={"event_id": event.id, "event_type": event.type},
                )
                await asyncio.sleep(self.retry_backoff_s * attempt)
        await self._dead_letter(record, last_error, attempts=self.max_retries)

    def _announcing(self, subjects: list[str | None]) -> tuple[str, list[str]] | None:
        """Each handled event's subject, NOTIFYed on commit for long-polls on it
        (`rvi_shared.messaging.changes`), in the inbox claim's round trip."""
        if self.changes_channel is None:
            return None
        return self.changes_channel, [s for s in subjects if s]

    async def _dead_letter(self, record: ConsumerRecord, reason: str, attempts: int) -> None:
        tp = TopicPartition(record.topic, record.partition)
        await self._send_dead(tp, record.offset, reason, attempts, record.value, record.key, record.headers)

    async def _dead_letter_unreadable(self, tp: TopicPartition, offset: int, reason: str) -> None:
        await self._send_dead(tp, offset, reason, 1, b"", None, ())

    async def _send_dead(
        self,
        tp: TopicPartition,
        offset: int,
        reason: str,
        attempts: int,
        value: bytes | None,
        key: bytes | None,
        original: Any,
    ) -> None:
        assert self._dlq is not None
        headers = list(original or []) + [
            ("error", reason.encode()[:4000]),
            ("error.consumer", self.name.encode()),
            ("error.topic", tp.topic.encode()),
            ("error.partition", str(tp.partition).encode()),
            ("error.offset", str(offset).encode()),
            ("error.attempts", str(attempts).encode()),
        ]
        await self._dlq.send_and_wait(dlq_topic(tp.topic), value=value, key=key, headers=headers)
        DLQ_COUNT.labels(self.name, tp.topic).inc()
        EVENTS_CONSUMED.labels(self.name, "?", "dead_lettered").inc()
        log.error("dead-lettered %s[%d]@%d: %s", tp.topic, tp.partition, offset, reason)
