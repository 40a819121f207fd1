"""Kafka clients and topic administration (aiokafka)."""

from __future__ import annotations

import logging

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
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


class OffsetProbe:
    """Reads partition end offsets without joining a group."""

    def __init__(self, bootstrap: str) -> None:
        self._consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        self._started = False

    async def end_offsets(self, topic: str, partitions: list[int]) -> dict[int, int] | None:
        """None when the topic does not exist on the broker."""
        if not self._started:
            await self._consumer.start()
            self._started = True
        await self._consumer._client.force_metadata_update()  # noqa: SLF001 - no public refresh
        known = self._consumer._client.cluster.partitions_for_topic(topic)  # noqa: SLF001
        if not known:
            return None
        tps = [TopicPartition(topic, p) for p in partitions if p in known]
        offsets = await self._consumer.end_offsets(tps)
        result = {tp.partition: off for tp, off in offsets.items()}
        for p in partitions:
            result.setdefault(p, 0)
        return result

    async def close(self) -> None:
        if self._started:
            await self._consumer.stop()
            self._started = False
