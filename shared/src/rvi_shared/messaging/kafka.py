"""Kafka clients and topic administration (aiokafka)."""

from __future__ import annotations

import logging

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import OffsetOutOfRangeError, TopicAlreadyExistsError
from aiokafka.structs import TopicPartition

from rvi_shared.events.registry import TOPICS, dlq_topic

log = logging.getLogger(__name__)


def all_topics() -> list[str]:
    return [*TOPICS, *(dlq_topic(t) for t in TOPICS)]


def make_producer(bootstrap: str) -> AIOKafkaProducer:
    # The embedded broker refuses InitProducerId: no idempotent producer (DESIGN: Delivery).
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=False,
        linger_ms=2,
        request_timeout_ms=10_000,
    )


async def ensure_topics(bootstrap: str, partitions: int, topics: list[str] | None = None) -> list[str]:
    """Create missing topics; return the ones created."""
    wanted = topics or all_topics()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in wanted if t not in existing]
        created: list[str] = []
        for topic in missing:
            try:
                await admin.create_topics([NewTopic(topic, partitions, 1)])
                created.append(topic)
            except TopicAlreadyExistsError:
                pass
        return created
    finally:
        await admin.close()


class RecordProbe:
    """Checks that the broker still holds a record we sent, without joining a group.

    Reads the record itself rather than comparing end offsets: the embedded broker's
    ListOffsets answers the last batch's base offset + 1, not the high watermark."""

    def __init__(self, bootstrap: str) -> None:
        self._bootstrap = bootstrap
        self._consumer: AIOKafkaConsumer | None = None

    async def refresh(self) -> None:
        """The broker's current topics and partitions, once per round of `holds` (one request)."""
        if self._consumer is None:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self._bootstrap,
                enable_auto_commit=False,
                auto_offset_reset="none",
                fetch_max_wait_ms=50,
            )
            await consumer.start()
            self._consumer = consumer
        await self._consumer._client.force_metadata_update()  # noqa: SLF001 - no public refresh

    async def holds(self, topic: str, partition: int, offset: int, event_id: str) -> bool:
        """As of the last `refresh`."""
        if self._consumer is None:
            await self.refresh()
        assert self._consumer is not None
        known = self._consumer._client.cluster.partitions_for_topic(topic)  # noqa: SLF001
        if not known or partition not in known:
            return False
        tp = TopicPartition(topic, partition)
        self._consumer.assign([tp])
        self._consumer.seek(tp, offset)
        try:
            batches = await self._consumer.getmany(tp, timeout_ms=2_000, max_records=1)
        except OffsetOutOfRangeError:
            return False
        records = batches.get(tp, [])
        if not records:
            return False
        record = records[0]
        return record.offset == offset and event_id.encode() in (record.value or b"")

    async def close(self) -> None:
        if self._consumer is not None:
            consumer, self._consumer = self._consumer, None
            await consumer.stop()
