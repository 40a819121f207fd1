from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
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
from rvi_documents.pki.ca import LocalCa
from rvi_documents.pki.tsa import LocalTsa
from rvi_documents.settings import DocumentsSettings
from rvi_platform.testing import eventually, new_database, private_broker, serve_in_process
from rvi_shared.clock import ManualClock
from rvi_shared.db import make_engine
from rvi_shared.events import CloudEvent, new_event, topic_for
from rvi_shared.events import payloads as p
from rvi_shared.messaging.kafka import ensure_topics, make_producer
from rvi_shared.migrations import upgrade

DEADLINE_S = 30.0
UPLOAD_LIMIT = 2 * 1024 * 1024


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
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def enterprise_ca(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EnterprisePki]:
    """The enterprise's own CA (trusted by configuration) and a TSA it uses, both real."""
    directory = tmp_path_factory.mktemp("enterprise-ca")
    ca = LocalCa(directory)
    ca.root_certificate()
    tsa = LocalTsa(ca, directory / "tsa")
    tsa.start()
    yield EnterprisePki(ca, tsa)
    tsa.stop()


@pytest.fixture(scope="session")
def documents_settings(
    documents_db: str, kafka_bootstrap: str, pki_dir: str, enterprise_ca: EnterprisePki
) -> DocumentsSettings:
    """The embedded default: the local CA and a real local TSA (over HTTP) started by the app; the
    enterprise's own CA is a configured trust root."""
    return DocumentsSettings(
        database_url=documents_db,
        kafka_bootstrap=kafka_bootstrap,
        pki_dir=pki_dir,
        trust_roots=[str(enterprise_ca.ca.root_path)],
        upload_max_bytes=UPLOAD_LIMIT,
    )


@pytest.fixture(scope="session")
async def client(
    documents_settings: DocumentsSettings, kafka_bootstrap: str, clock: ManualClock
) -> AsyncIterator[httpx.AsyncClient]:
    """One app for the session, consumers on: a single group member, no rebalancing between tests."""
    await ensure_topics(kafka_bootstrap, 6)
    async with serve_in_process(create_app(documents_settings, clock=clock)) as c:
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
class EnterprisePki:
    ca: LocalCa
    tsa: LocalTsa


@dataclass(frozen=True)
class Issued:
    inspection_id: str
    enterprise_id: str
    session_id: str
    ended: CloudEvent


@dataclass(frozen=True)
class StoredDocument:
    document_id: str
    kind: str
    number: str
    state: str
    sha256: str
    revision: int
    pdf: bytes  # the latest revision


TEAM = [
    p.Officer(officer_id="O1", name="王力", credential_no="NB-0001"),
    p.Officer(officer_id="O2", name="陈杰", credential_no="NB-0002"),
]
ENTERPRISE_NAME = "慈溪市绿源食品集团有限公司"


class Feed:
    """Publishes real CloudEvents to the broker and reads the service's tables to see the effect."""

    def __init__(self, producer: AIOKafkaProducer, engine: AsyncEngine, clock: ManualClock) -> None:
        self.producer = producer
        self.engine = engine
        self.clock = clock

    async def send(self, *events: CloudEvent) -> None:
        """Several events go in one produce request (a consumer then fetches them together)."""
        sent = []
        for event in events:
            assert event.subject is not None
            key = event.subject.encode()
            sent.append(await self.producer.send(topic_for(event.type), value=event.to_json(), key=key))
        await asyncio.gather(*sent)

    def event(self, type_name: str, subject: str, data: BaseModel) -> CloudEvent:
        return new_event(type=type_name, source="/rvi/test", subject=subject, data=data, time=self.clock.now())

    async def publish(self, type_name: str, subject: str, data: BaseModel) -> CloudEvent:
        event = self.event(type_name, subject, data)
        await self.send(event)
        return event

    async def wait_processed(self, *event_ids: str) -> None:
        async def all_seen() -> bool:
            async with self.engine.connect() as conn:
                seen = (
                    await conn.execute(
                        text("SELECT count(*) FROM documents.inbox WHERE event_id = ANY(:ids)"),
                        {"ids": list(event_ids)},
                    )
                ).scalar_one()
            return bool(seen == len(event_ids))

        await eventually(all_seen, f"events {event_ids} processed", timeout_s=DEADLINE_S)

    async def request(self, enterprise_id: str, enterprise_name: str = ENTERPRISE_NAME, customs: str = "Cixi") -> str:
        """An inspection requested and scheduled, as scheduling would announce it."""
        return await self.request_as(f"INSP-{uuid.uuid4()}", enterprise_id, enterprise_name, customs)

    async def request_as(
        self, inspection_id: str, enterprise_id: str, enterprise_name: str = ENTERPRISE_NAME, customs: str = "Cixi"
    ) -> str:
        requested, scheduled = await self.publish_request(inspection_id, enterprise_id, enterprise_name, customs)
        await self.wait_processed(requested.id, scheduled.id)
        return inspection_id

    async def publish_request(
        self, inspection_id: str, enterprise_id: str, enterprise_name: str = ENTERPRISE_NAME, customs: str = "Cixi"
    ) -> tuple[CloudEvent, CloudEvent]:
        """The request and the schedule, published and not waited for: (requested, scheduled)."""
        requested, scheduled = self.request_events(inspection_id, enterprise_id, enterprise_name, customs)
        await self.send(requested, scheduled)
        return requested, scheduled

    def request_events(
        self, inspection_id: str, enterprise_id: str, enterprise_name: str = ENTERPRISE_NAME, customs: str = "Cixi"
    ) -> tuple[CloudEvent, CloudEvent]:
        """The request and the schedule, as scheduling would announce them: (requested, scheduled)."""
        now = self.clock.now()
        team = TEAM
        requested = self.event(
            "rvi.inspection.requested.v1",
            inspection_id,
            p.InspectionRequested(
                inspection_id=inspection_id,
                enterprise_id=enterprise_id,
                enterprise_name=enterprise_name,
                customs=customs,
                sites=[
                    p.Site(site_id="S1", name="周巷种植基地", latitude=30.17, longitude=121.27),
                    p.Site(
                        site_id="S2", name="观海卫种植基地", latitude=30.21, longitude=121.35, address="慈溪市观海卫镇"
                    ),
                ],
                checklist_items=[
                    p.ChecklistItem(item_id="I1", description="农业投入品管理", category="agricultural_inputs"),
                    p.ChecklistItem(item_id="I2", description="作物生长情况", commodity_code="0709"),
                ],
                officers=team,
                requested_at=now - timedelta(days=4),
            ),
        )
        scheduled = self.event(
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
        return requested, scheduled

    def session_ended(
        self, inspection_id: str, enterprise_id: str, session_id: str, results: list[p.SiteResult] | None = None
    ) -> CloudEvent:
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
                conclusion="两个基地均未发现问题。No irregularities found at either site.",
                steps=2,
                manifest_digest="f" * 64,
                results=results or [],
            ),
        )

    async def issue(
        self,
        enterprise_id: str | None = None,
        enterprise_name: str = ENTERPRISE_NAME,
        results: list[p.SiteResult] | None = None,
        customs: str = "Cixi",
    ) -> Issued:
        """Drive one inspection through a whole session; the inspection record should follow."""
        enterprise_id = enterprise_id or f"ENT-{uuid.uuid4().hex[:8]}"
        inspection_id = await self.request(enterprise_id, enterprise_name, customs)
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
                officers=TEAM,
            ),
        )
        for n, (kind, note, site) in enumerate(
            [
                ("credentials_presented", "两名执法人员出示执法证件", None),
                ("location_verified", "北门界桩已拍摄 boundary markers filmed", "S1"),
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
        ended = self.session_ended(inspection_id, enterprise_id, session_id, results)
        await self.send(ended)
        await self.wait_processed(ended.id)
        return Issued(inspection_id, enterprise_id, session_id, ended)

    async def documents(self, inspection_id: str, kind: str | None = None) -> list[StoredDocument]:
        """The inspection's documents (of `kind`), each with its latest revision's bytes."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT d.document_id, d.kind, d.number, d.state, d.sha256, d.revision, r.pdf"
                    " FROM documents.documents d JOIN documents.revisions r"
                    " ON r.document_id = d.document_id AND r.number = d.revision"
                    " WHERE d.inspection_id = :id AND (CAST(:kind AS text) IS NULL OR d.kind = :kind)"
                    " ORDER BY d.issued_at, d.number"
                ),
                {"id": inspection_id, "kind": kind},
            )
            return [
                StoredDocument(str(r.document_id), r.kind, r.number, r.state, r.sha256, r.revision, bytes(r.pdf))
                for r in rows
            ]

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


def extract_text(pdf: bytes) -> str:
    """The text of a PDF as poppler's pdftotext extracts it, whitespace removed (line breaks and
    the spacing between CJK and Latin text are layout, not content)."""
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True)
    return "".join(result.stdout.decode().split())


@pytest.fixture(scope="session")
def pdf_text() -> Callable[[bytes], str]:
    return extract_text
