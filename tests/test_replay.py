"""Replay order: the demo's topics copied to a fresh broker in the worst cross-topic order (the
documents, sessions and eligibility topics before rvi.inspections) and read from the beginning by
fresh replicas (a restored replica): nothing is dead-lettered, and
- eligibility (its enterprise facts, kept through its API, restored), documents and the gateway's
  inspections projection, on fresh databases, reach the state the platform reached, eligibility's
  decision outcome included (events about an inspection not yet known are parked and applied when
  it arrives);
- scheduling, whose inspections come from its own API, on a copy of the platform's scheduling data
  without its inbox (every event applied again): its state is unchanged and it emits nothing new
  (its reactions are idempotent)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Table, insert, select, text

from rvi_documents.app import create_app as documents_app
from rvi_documents.settings import DocumentsSettings
from rvi_eligibility.app import create_app as eligibility_app
from rvi_eligibility.models import Base as EligibilityBase
from rvi_eligibility.settings import EligibilitySettings
from rvi_platform.demo import Endpoints, run_flow
from rvi_platform.embedded.broker import EmbeddedBroker
from rvi_platform.stack import Stack
from rvi_platform.testing import eventually, new_database, read_topic, serve_in_process
from rvi_scheduling.app import create_app as scheduling_app
from rvi_scheduling.handlers import build_handlers as build_scheduling_handlers
from rvi_scheduling.models import Base as SchedulingBase
from rvi_scheduling.settings import SchedulingSettings
from rvi_shared.db import make_engine
from rvi_shared.events.registry import TOPICS, dlq_topic
from rvi_shared.messaging.kafka import ensure_topics, make_producer
from rvi_shared.migrations import upgrade
from rvi_video_gateway.app import create_app as gateway_app
from rvi_video_gateway.settings import VideoGatewaySettings

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
    "decision": "SELECT outcome, remote_allowed, items::text, reasons::text, rule_set_version "
    "FROM eligibility.decisions WHERE inspection_id = :i ORDER BY evaluated_at DESC LIMIT 1",
}
GATEWAY_STATE = {
    "inspection": "SELECT enterprise_id, customs, state, sites::text, checklist_items::text, officers::text, "
    "team::text, onsite_items::text, slot_start, slot_end FROM video_gateway.inspections WHERE id = :i",
}
SCHEDULING_STATE = {
    "inspection": "SELECT state, state_reason, outcome, decision_id, slot_start, slot_end, officers::text, "
    "onsite_items::text, session_id, session_started_at, session_ended_at, documents_issued::text, "
    "documents_completed::text, uploaded_documents::text, equipment_passed_at, no_shows "
    "FROM scheduling.inspections WHERE id = :i",
    "timeline": "SELECT event_id, count(*) FROM scheduling.timeline WHERE inspection_id = :i "
    "GROUP BY event_id ORDER BY event_id",
    "assignments": "SELECT officer_id, starts_at, ends_at FROM scheduling.assignments WHERE inspection_id = :i "
    "ORDER BY officer_id",
    "notifications": "SELECT count(*) FROM scheduling.notifications WHERE inspection_id = :i",
    "emitted": "SELECT event_type FROM scheduling.outbox WHERE key = :i ORDER BY id",
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


async def converged(database_url: str, queries: dict[str, str], inspection_id: str, expected: dict[str, Any]) -> None:
    """Waits for the replica's state to equal `expected`; else shows the difference."""

    async def equal() -> bool:
        return await state(database_url, queries, inspection_id) == expected

    try:
        await eventually(equal, "the replica in the platform's state", timeout_s=90)
    except AssertionError:
        assert await state(database_url, queries, inspection_id) == expected


async def handled_by_scheduling(database_url: str, event_ids: list[str]) -> set[str]:
    engine = make_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            sql = text("SELECT event_id FROM scheduling.inbox WHERE event_id = ANY(:ids)")
            return set((await conn.execute(sql, {"ids": event_ids})).scalars().all())
    finally:
        await engine.dispose()


async def restore_rows(source_url: str, target_url: str, tables: list[Table]) -> None:
    """The data a replica owns (not rebuilt from the topics) restored into its migrated database,
    as from a backup: the platform's rows of `tables`; serial columns continue after them."""
    source, target = make_engine(source_url, pool_size=1), make_engine(target_url, pool_size=1)
    try:
        async with source.connect() as read, target.begin() as write:
            for table in tables:
                rows = (await read.execute(select(table))).mappings().all()
                if rows:
                    await write.execute(insert(table), [dict(r) for r in rows])
                for column in table.primary_key.columns:
                    if column.autoincrement is True or (
                        column.autoincrement == "auto" and column.type.python_type is int
                    ):
                        name = f"{table.schema}.{table.name}"
                        await write.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('{name}', '{column.name}'), max({column.name})) FROM {name}"
                            )
                        )
    finally:
        await source.dispose()
        await target.dispose()


@pytest.mark.timeout(420)
async def test_replaying_the_demo_topics_in_the_worst_order_into_fresh_replicas(
    platform: Stack, endpoints: Endpoints, postgres_admin_url: str, own_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        result = await run_flow(client, endpoints, platform.jwt_secret, str(platform.clock_file))
    assert result.states == ["completed"]
    inspection_id = result.inspection_id
    key = inspection_id.encode()

    enterprise_id = (
        await state(
            platform.database_url,
            {"e": "SELECT enterprise_id FROM scheduling.inspections WHERE id = :i"},
            inspection_id,
        )
    )["e"][0][0]

    # The inspection's and its enterprise's records, topic by topic, as the platform wrote them.
    records = {}
    for topic in TOPICS:
        everything = await read_topic(platform.bootstrap, topic, 100_000, timeout_s=3)
        records[topic] = [r for r in everything if r.key in (key, enterprise_id.encode())]
    assert records["rvi.inspections"] and records["rvi.sessions"] and records["rvi.documents"]

    # Scheduling's state once it has handled every event of the inspection it reacts to.
    reacts_to = set(build_scheduling_handlers(None, None, SchedulingSettings()).handlers)  # type: ignore[arg-type]
    documents = [json.loads(r.value) for topic in WORST_ORDER for r in records.get(topic, [])]
    scheduling_ids = [d["id"] for d in documents if d["type"] in reacts_to]

    async def platform_caught_up() -> bool:
        return await handled_by_scheduling(platform.database_url, scheduling_ids) >= set(scheduling_ids)

    await eventually(platform_caught_up, "the platform's scheduling through the inspection's events", timeout_s=60)
    original_scheduling = await state(platform.database_url, SCHEDULING_STATE, inspection_id)
    assert original_scheduling["inspection"][0][0] == "completed"

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
    for package in ("rvi_eligibility", "rvi_documents", "rvi_video_gateway", "rvi_scheduling"):
        url = await new_database(postgres_admin_url)
        await asyncio.to_thread(upgrade, package, url)
        replica_dbs[package] = url
    # Scheduling's inspections come from its API: all its data but the inbox and outbox (every
    # event is applied again). Eligibility's enterprise facts come from its API too.
    scheduling_tables = [t for t in SchedulingBase.metadata.sorted_tables if t.name not in ("inbox", "outbox")]
    await restore_rows(platform.database_url, replica_dbs["rvi_scheduling"], scheduling_tables)
    facts = [
        EligibilityBase.metadata.tables[f"eligibility.{name}"]
        for name in ("enterprise_facts", "enterprise_fact_history")
    ]
    await restore_rows(platform.database_url, replica_dbs["rvi_eligibility"], facts)
    common = {"kafka_bootstrap": own_broker.bootstrap, "clock_file": str(platform.clock_file)}
    documents_settings = DocumentsSettings(database_url=replica_dbs["rvi_documents"], **common)
    eligibility_settings = EligibilitySettings(database_url=replica_dbs["rvi_eligibility"], **common)
    scheduling_settings = SchedulingSettings(database_url=replica_dbs["rvi_scheduling"], **common)
    gateway_settings = VideoGatewaySettings(
        database_url=replica_dbs["rvi_video_gateway"],
        key_dir=str(tmp_path / "keys"),
        evidence_dir=str(tmp_path / "evidence"),
        **common,
    )

    original_documents = await state(platform.database_url, DOCUMENTS_STATE, inspection_id)
    original_eligibility = await state(platform.database_url, ELIGIBILITY_STATE, inspection_id)
    original_gateway = await state(platform.database_url, GATEWAY_STATE, inspection_id)
    assert original_documents["documents"] and original_documents["sessions"]
    assert original_eligibility["decision"] and original_gateway["inspection"]

    # Scheduling first, alone: the other replicas issue documents of their own (new ids) on the
    # replayed topics, which a restored scheduling would not see.
    async with serve_in_process(scheduling_app(scheduling_settings)):

        async def scheduling_caught_up() -> bool:
            return await handled_by_scheduling(replica_dbs["rvi_scheduling"], scheduling_ids) >= set(scheduling_ids)

        await eventually(scheduling_caught_up, "the scheduling replica through every topic", timeout_s=90)
        replayed = await state(replica_dbs["rvi_scheduling"], SCHEDULING_STATE, inspection_id)
        for name, rows in {**original_scheduling, "emitted": []}.items():
            assert len(replayed[name]) == len(rows), f"scheduling's reactions are idempotent: {name}"
            for again, before in zip(replayed[name], rows, strict=True):
                changed = [(n, a, b) for n, (a, b) in enumerate(zip(again, before, strict=True)) if a != b]
                assert not changed, f"scheduling's reactions are idempotent: {name}: {changed}"

    async with (
        serve_in_process(documents_app(documents_settings)),
        serve_in_process(eligibility_app(eligibility_settings)),
        serve_in_process(gateway_app(gateway_settings)),
    ):
        await converged(replica_dbs["rvi_documents"], DOCUMENTS_STATE, inspection_id, original_documents)
        await converged(replica_dbs["rvi_eligibility"], ELIGIBILITY_STATE, inspection_id, original_eligibility)
        await converged(replica_dbs["rvi_video_gateway"], GATEWAY_STATE, inspection_id, original_gateway)

    for topic in WORST_ORDER:
        dead = await read_topic(own_broker.bootstrap, dlq_topic(topic), 1, timeout_s=2)
        assert dead == [], f"{topic}: {[dict(r.headers).get('error') for r in dead]}"
