"""Replay order: the demo's topics copied to a fresh broker in the worst cross-topic order (the
documents, sessions and eligibility topics before rvi.inspections) and read from the beginning by
fresh replicas of eligibility and documents on fresh databases (a restored replica): nothing is
dead-lettered, and the replicas reach the state the platform reached (events about an inspection
not yet known are parked and applied when it arrives)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from rvi_documents.app import create_app as documents_app
from rvi_documents.settings import DocumentsSettings
from rvi_eligibility.app import create_app as eligibility_app
from rvi_eligibility.settings import EligibilitySettings
from rvi_platform.demo import Endpoints, run_flow
from rvi_platform.embedded.broker import EmbeddedBroker
from rvi_platform.stack import Stack
from rvi_platform.testing import eventually, new_database, read_topic, serve_in_process
from rvi_shared.db import make_engine
from rvi_shared.events.registry import TOPICS, dlq_topic
from rvi_shared.messaging.kafka import ensure_topics, make_producer
from rvi_shared.migrations import upgrade

WORST_ORDER = ["rvi.documents", "rvi.sessions", "rvi.eligibility", "rvi.enterprises", "rvi.inspections"]

DOCUMENTS_STATE = {
    "inspection": "SELECT customs, slot_start, slot_end FROM documents.inspections WHERE id = :i",
    "sessions": "SELECT session_id, started_at, ended_at, conclusion, steps_declared FROM documents.sessions "
    "WHERE inspection_id = :i ORDER BY session_id",
    "steps": "SELECT step_id, kind, site_id FROM documents.steps WHERE inspection_id = :i ORDER BY step_id",
    "documents": "SELECT kind FROM documents.documents WHERE inspection_id = :i ORDER BY kind",
}
ELIGIBILITY_STATE = {
    "request": "SELECT enterprise_id, customs, closed_reason FROM eligibility.inspection_requests "
    "WHERE inspection_id = :i",
}


async def state(database_url: str, queries: dict[str, str], inspection_id: str) -> dict[str, Any]:
    engine = make_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return {
                name: [tuple(row) for row in (await conn.execute(text(sql), {"i": inspection_id})).all()]
                for name, sql in queries.items()
            }
    finally:
        await engine.dispose()


@pytest.mark.timeout(300)
async def test_replaying_the_demo_topics_in_the_worst_order_into_fresh_replicas(
    platform: Stack, endpoints: Endpoints, postgres_admin_url: str, own_broker: EmbeddedBroker
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        result = await run_flow(client, endpoints, platform.jwt_secret, str(platform.clock_file))
    assert result.states == ["completed"]
    inspection_id = result.inspection_id
    key = inspection_id.encode()

    # The inspection's records, topic by topic, as the platform wrote them.
    records = {}
    for topic in TOPICS:
        everything = await read_topic(platform.bootstrap, topic, 100_000, timeout_s=3)
        records[topic] = [r for r in everything if r.key == key]
    assert records["rvi.inspections"] and records["rvi.sessions"] and records["rvi.documents"]

    await ensure_topics(own_broker.bootstrap, 6)
    producer = make_producer(own_broker.bootstrap)
    await producer.start()
    try:
        for topic in WORST_ORDER:
            for record in records.get(topic, []):
                await producer.send_and_wait(
                    topic, value=record.value, key=record.key, headers=list(record.headers or [])
                )
    finally:
        await producer.stop()

    replica_dbs = {}
    for package in ("rvi_eligibility", "rvi_documents"):
        url = await new_database(postgres_admin_url)
        await asyncio.to_thread(upgrade, package, url)
        replica_dbs[package] = url
    common = {"kafka_bootstrap": own_broker.bootstrap, "clock_file": str(platform.clock_file)}
    documents_settings = DocumentsSettings(database_url=replica_dbs["rvi_documents"], **common)
    eligibility_settings = EligibilitySettings(database_url=replica_dbs["rvi_eligibility"], **common)

    original_documents = await state(platform.database_url, DOCUMENTS_STATE, inspection_id)
    original_eligibility = await state(platform.database_url, ELIGIBILITY_STATE, inspection_id)
    assert original_documents["documents"] and original_documents["sessions"]

    async with (
        serve_in_process(documents_app(documents_settings)),
        serve_in_process(eligibility_app(eligibility_settings)),
    ):

        async def documents_caught_up() -> bool:
            return await state(replica_dbs["rvi_documents"], DOCUMENTS_STATE, inspection_id) == original_documents

        async def eligibility_caught_up() -> bool:
            return await state(replica_dbs["rvi_eligibility"], ELIGIBILITY_STATE, inspection_id) == original_eligibility

        await eventually(documents_caught_up, "the documents replica in the platform's state", timeout_s=90)
        await eventually(eligibility_caught_up, "the eligibility replica in the platform's state", timeout_s=90)

    for topic in WORST_ORDER:
        dead = await read_topic(own_broker.bootstrap, dlq_topic(topic), 1, timeout_s=2)
        assert dead == [], f"{topic}: {[dict(r.headers).get('error') for r in dead]}"
