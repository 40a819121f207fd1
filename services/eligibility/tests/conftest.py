from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rvi_eligibility.app import create_app
from rvi_eligibility.settings import EligibilitySettings
from rvi_platform.testing import eventually, new_database, private_broker, serve_in_process
from rvi_shared.clock import ManualClock
from rvi_shared.db import make_engine
from rvi_shared.events import CloudEvent, new_event, topic_for
from rvi_shared.events.payloads import ChecklistItem, Consent, EnterpriseUpdated, InspectionRequested, Site
from rvi_shared.messaging.kafka import ensure_topics, make_producer
from rvi_shared.migrations import upgrade

START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Ningbo
T = TypeVar("T")

CIXI_ITEMS = [
    ChecklistItem(item_id="I1", description="agricultural inputs", category="agricultural_inputs"),
    ChecklistItem(item_id="I2", description="crop conditions", category="crop_conditions"),
    ChecklistItem(item_id="I3", description="land boundaries", category="land_boundaries"),
    ChecklistItem(item_id="I4", description="production records", category="production_records"),
]


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    yield from private_broker()


@pytest.fixture(scope="session")
async def eligibility_db(postgres_admin_url: str) -> str:
    url = await new_database(postgres_admin_url)
    await asyncio.to_thread(upgrade, "rvi_eligibility", url)
    return url


@pytest.fixture(scope="session")
async def db(eligibility_db: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(eligibility_db, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def client(eligibility_db: str, kafka_bootstrap: str, clock: ManualClock) -> AsyncIterator[httpx.AsyncClient]:
    """The REST API alone (no consumer)."""
    settings = EligibilitySettings(
        database_url=eligibility_db, kafka_bootstrap=kafka_bootstrap, consumers_enabled=False
    )
    async with serve_in_process(create_app(settings, clock=clock)) as c:
        yield c


@pytest.fixture(scope="session")
def live_clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(scope="session")
async def live_client(
    eligibility_db: str, kafka_bootstrap: str, live_clock: ManualClock
) -> AsyncIterator[httpx.AsyncClient]:
    """The service with its consumer; one per session so the consumer group does not rebalance per test."""
    await ensure_topics(kafka_bootstrap, 6)
    settings = EligibilitySettings(
        database_url=eligibility_db, kafka_bootstrap=kafka_bootstrap, outbox_poll_interval_s=0.2
    )
    async with serve_in_process(create_app(settings, clock=live_clock)) as c:
        yield c


class Publisher:
    """Publishes real CloudEvents to the broker, as other services and external systems would."""

    def __init__(self, bootstrap: str) -> None:
        self.producer = make_producer(bootstrap)

    async def event(self, type_name: str, subject: str, data: BaseModel, time: datetime) -> CloudEvent:
        event = new_event(type=type_name, source="/rvi/tests", subject=subject, data=data, time=time)
        await self.send(event)
        return event

    async def send(self, event: CloudEvent) -> None:
        assert event.subject is not None
        await self.producer.send_and_wait(topic_for(event.type), value=event.to_json(), key=event.subject.encode())


@pytest.fixture(scope="session")
async def publisher(kafka_bootstrap: str) -> AsyncIterator[Publisher]:
    await ensure_topics(kafka_bootstrap, 6)
    publisher = Publisher(kafka_bootstrap)
    await publisher.producer.start()
    yield publisher
    await publisher.producer.stop()


def cixi_update(
    enterprise_id: str, effective_from: datetime = START - timedelta(days=30), **overrides: Any
) -> EnterpriseUpdated:
    fields: dict[str, Any] = {
        "enterprise_id": enterprise_id,
        "effective_from": effective_from,
        "name": "Cixi Fresh Food Group",
        "consent": Consent(given=True, scope="export food planting sites"),
        "can_cooperate": True,
        "technical_conditions": True,
        "credit_status": "general",
    }
    fields.update(overrides)
    return EnterpriseUpdated(**fields)


def cixi_request(
    inspection_id: str, enterprise_id: str, items: list[ChecklistItem] | None = None, **overrides: Any
) -> InspectionRequested:
    fields: dict[str, Any] = {
        "inspection_id": inspection_id,
        "enterprise_id": enterprise_id,
        "enterprise_name": "Cixi Fresh Food Group",
        "customs": "Cixi",
        "sites": [Site(site_id="S1", name="Zhouxiang base", latitude=30.17, longitude=121.27)],
        "checklist_items": items or CIXI_ITEMS,
        "requested_at": START,
    }
    fields.update(overrides)
    return InspectionRequested(**fields)


async def decided_events(db: AsyncEngine, inspection_id: str) -> list[dict[str, Any]]:
    """The `rvi.eligibility.decided.v1` events the service wrote to its outbox for one inspection."""
    async with db.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM eligibility.outbox WHERE event_type = :t AND key = :k ORDER BY id"),
            {"t": "rvi.eligibility.decided.v1", "k": inspection_id},
        )
        return [json.loads(bytes(r.payload)) for r in rows]


async def inbox_has(db: AsyncEngine, event_id: str) -> bool:
    async with db.connect() as conn:
        row = await conn.execute(text("SELECT 1 FROM eligibility.inbox WHERE event_id = :e"), {"e": event_id})
        return row.first() is not None


class Kit:
    """Helpers for the tests (a fixture: test modules cannot import conftest under importlib mode)."""

    start = START
    cixi_items = CIXI_ITEMS
    eventually = staticmethod(eventually)
    cixi_update = staticmethod(cixi_update)
    cixi_request = staticmethod(cixi_request)
    decided_events = staticmethod(decided_events)
    inbox_has = staticmethod(inbox_has)


@pytest.fixture(scope="session")
def kit() -> type[Kit]:
    return Kit
