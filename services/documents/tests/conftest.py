from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rvi_documents.app import create_app
from rvi_documents.settings import DocumentsSettings
from rvi_platform.testing import new_database, private_broker, serve_in_process
from rvi_shared.clock import ManualClock
from rvi_shared.db import make_engine
from rvi_shared.events import CloudEvent, new_event, topic_for
from rvi_shared.events import payloads as p
from rvi_shared.messaging.kafka import ensure_topics, make_producer
from rvi_shared.migrations import upgrade

DEADLINE_S = 30.0


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    yield from private_broker()


@pytest.fixture(scope="session")
async def documents_db(postgres_admin_url: str) -> str:
    url = await new_database(postgres_admin_url)
    await asyncio.to_thread(upgrade, "rvi_documents", url)
    return url


@pytest.fixture(scope="session")
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 26, 1, 0, tzinfo=UTC))  # a Thursday, 09:00 in Ningbo


@pytest.fixture(scope="session")
async def client(documents_db: str, kafka_bootstrap: str, clock: ManualClock) -> AsyncIterator[httpx.AsyncClient]:
    """One app for the session, consumers on: a single group member, no rebalancing between tests."""
    await ensure_topics(kafka_bootstrap, 6)
    settings = DocumentsSettings(database_url=documents_db, kafka_bootstrap=kafka_bootstrap)
    async with serve_in_process(create_app(settings, clock=clock)) as c:
        yield c


@pytest.fixture(scope="session")
async def engine(documents_db: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(documents_db, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def producer(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    await ensure_topics(kafka_bootstrap, 6)
    producer = make_producer(kafka_bootstrap)
    await producer.start()
    yield producer
    await producer.stop()


@dataclass(frozen=True)
class Issued:
    inspection_id: str
    enterprise_id: str
    session_id: str
    ended: CloudEvent


@dataclass(frozen=True)
class StoredDocument:
    document_id: str
    state: str
    sha256: str
    pdf: bytes


class Feed:
    """Publishes real CloudEvents to the broker and reads the service's tables to see the effect."""

    def __init__(self, producer: AIOKafkaProducer, engine: AsyncEngine, clock: ManualClock) -> None:
        self.producer = producer
        self.engine = engine
        self.clock = clock

    async def send(self, event: CloudEvent) -> None:
        assert event.subject is not None
        await self.producer.send_and_wait(topic_for(event.type), value=event.to_json(), key=event.subject.encode())

    async def publish(self, type_name: str, subject: str, data: BaseModel) -> CloudEvent:
        event = new_event(type=type_name, source="/rvi/test", subject=subject, data=data, time=self.clock.now())
        await self.send(event)
        return event

    async def wait_processed(self, *event_ids: str) -> None:
        deadline = asyncio.get_running_loop().time() + DEADLINE_S
        while True:
            async with self.engine.connect() as conn:
                seen = (
                    await conn.execute(
                        text("SELECT count(*) FROM documents.inbox WHERE event_id = ANY(:ids)"),
                        {"ids": list(event_ids)},
                    )
                ).scalar_one()
            if seen == len(event_ids):
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"events {event_ids} not processed within {DEADLINE_S}s")
            await asyncio.sleep(0.1)

    async def request(self, enterprise_id: str, enterprise_name: str = "Cixi Fresh Food Group") -> str:
        """An inspection requested and scheduled, as scheduling would announce it."""
        return await self.request_as(f"INSP-{uuid.uuid4()}", enterprise_id, enterprise_name)

    async def request_as(
        self, inspection_id: str, enterprise_id: str, enterprise_name: str = "Cixi Fresh Food Group"
    ) -> str:
        now = self.clock.now()
        team = [
            p.Officer(officer_id="O1", name="Wang Li", credential_no="NB-0001"),
            p.Officer(officer_id="O2", name="Chen Jie", credential_no="NB-0002"),
        ]
        requested = await self.publish(
            "rvi.inspection.requested.v1",
            inspection_id,
            p.InspectionRequested(
                inspection_id=inspection_id,
                enterprise_id=enterprise_id,
                enterprise_name=enterprise_name,
                customs="Cixi",
                sites=[
                    p.Site(site_id="S1", name="Zhouxiang base", latitude=30.17, longitude=121.27),
                    p.Site(
                        site_id="S2", name="Guanhaiwei base", latitude=30.21, longitude=121.35, address="Guanhaiwei"
                    ),
                ],
                checklist_items=[
                    p.ChecklistItem(item_id="I1", description="agricultural inputs", category="agricultural_inputs"),
                    p.ChecklistItem(item_id="I2", description="crop conditions", commodity_code="0709"),
                ],
                officers=team,
                requested_at=now - timedelta(days=4),
            ),
        )
        scheduled = await self.publish(
            "rvi.inspection.scheduled.v1",
            inspection_id,
            p.InspectionScheduled(
                inspection_id=inspection_id,
                enterprise_id=enterprise_id,
                slot_start=now,
                slot_end=now + timedelta(minutes=50),
                team=team,
                notice_sent_at=now - timedelta(days=3),
                outcome="remote",
            ),
        )
        await self.wait_processed(requested.id, scheduled.id)
        return inspection_id

    def session_ended(self, inspection_id: str, enterprise_id: str, session_id: str) -> CloudEvent:
        return new_event(
            type="rvi.session.ended.v1",
            source="/rvi/test",
            subject=inspection_id,
            time=self.clock.now(),
            data=p.SessionEnded(
                session_id=session_id,
                inspection_id=inspection_id,
                enterprise_id=enterprise_id,
                ended_at=self.clock.now() + timedelta(minutes=45),
                conclusion="No irregularities found at either site.",
                steps=2,
                manifest_digest="f" * 64,
            ),
        )

    async def issue(self, enterprise_id: str | None = None, enterprise_name: str = "Cixi Fresh Food Group") -> Issued:
        """Drive one inspection through a whole session; the inspection record should follow."""
        enterprise_id = enterprise_id or f"ENT-{uuid.uuid4().hex[:8]}"
        inspection_id = await self.request(enterprise_id, enterprise_name)
        session_id = f"SES-{uuid.uuid4()}"
        now = self.clock.now()
        await self.publish(
            "rvi.session.started.v1",
            inspection_id,
            p.SessionStarted(
                session_id=session_id,
                inspection_id=inspection_id,
                enterprise_id=enterprise_id,
                started_at=now,
                officers=[
                    p.Officer(officer_id="O1", name="Wang Li", credential_no="NB-0001"),
                    p.Officer(officer_id="O2", name="Chen Jie", credential_no="NB-0002"),
                ],
            ),
        )
        for n, (kind, note, site) in enumerate(
            [
                ("credentials_presented", "Both officers showed their enforcement credentials", None),
                ("location_confirmed", "Boundary markers filmed at the north gate", "S1"),
            ]
        ):
            await self.publish(
                "rvi.session.step_recorded.v1",
                inspection_id,
                p.SessionStepRecorded(
                    session_id=session_id,
                    inspection_id=inspection_id,
                    step_id=f"STEP-{n}",
                    kind=kind,
                    note=note,
                    site_id=site,
                    officer_id="O1",
                    started_at=now + timedelta(minutes=5 * n),
                    ended_at=now + timedelta(minutes=5 * n + 2),
                    digest=f"{n}" * 64,
                ),
            )
        ended = self.session_ended(inspection_id, enterprise_id, session_id)
        await self.send(ended)
        await self.wait_processed(ended.id)
        return Issued(inspection_id, enterprise_id, session_id, ended)

    async def documents(self, inspection_id: str) -> list[StoredDocument]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT document_id, state, sha256, pdf FROM documents.documents"
                    " WHERE inspection_id = :id ORDER BY issued_at"
                ),
                {"id": inspection_id},
            )
            return [StoredDocument(str(r.document_id), r.state, r.sha256, bytes(r.pdf)) for r in rows]

    async def emitted(self, inspection_id: str) -> list[tuple[str, dict[str, Any]]]:
        """What the service emitted about the inspection, in outbox order: (type, data)."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT event_type, payload FROM documents.outbox WHERE key = :id ORDER BY id"),
                {"id": inspection_id},
            )
            return [(r.event_type, json.loads(r.payload)["data"]) for r in rows]


@pytest.fixture
def feed(client: httpx.AsyncClient, producer: AIOKafkaProducer, engine: AsyncEngine, clock: ManualClock) -> Feed:
    """Depends on `client` so that the service (and its consumer) is running."""
    return Feed(producer, engine, clock)
