from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest

from rvi_platform.testing import new_database, private_broker, serve_in_process
from rvi_scheduling.app import create_app
from rvi_scheduling.settings import SchedulingSettings
from rvi_shared.clock import ManualClock
from rvi_shared.migrations import upgrade


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    yield from private_broker()


@pytest.fixture(scope="session")
async def scheduling_db(postgres_admin_url: str) -> str:
    url = await new_database(postgres_admin_url)
    await asyncio.to_thread(upgrade, "rvi_scheduling", url)
    return url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))  # a Monday, 10:00 in Ningbo


@pytest.fixture
async def client(scheduling_db: str, kafka_bootstrap: str, clock: ManualClock) -> AsyncIterator[httpx.AsyncClient]:
    settings = SchedulingSettings(database_url=scheduling_db, kafka_bootstrap=kafka_bootstrap, consumers_enabled=False)
    async with serve_in_process(create_app(settings, clock=clock)) as c:
        yield c


@pytest.fixture
async def live_client(scheduling_db: str, kafka_bootstrap: str, clock: ManualClock) -> AsyncIterator[httpx.AsyncClient]:
    """With its consumer running against the real broker."""
    settings = SchedulingSettings(database_url=scheduling_db, kafka_bootstrap=kafka_bootstrap)
    async with serve_in_process(create_app(settings, clock=clock)) as c:
        yield c
