from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from rvi_platform.demo import Endpoints, enter_calendar_years
from rvi_platform.embedded.broker import EmbeddedBroker
from rvi_platform.embedded.ports import free_port
from rvi_platform.services import CONSOLE, SERVICES
from rvi_platform.stack import Stack
from rvi_platform.testing import new_database


@asynccontextmanager
async def running_platform(postgres_admin_url: str) -> AsyncIterator[Stack]:
    """All four services as real processes on a fresh database and a broker of their own
    (service tests elsewhere run consumers in the same groups against other databases)."""
    broker = EmbeddedBroker(free_port())
    broker.start()
    stack = Stack(
        home=Path(tempfile.mkdtemp(prefix="rvi-e2e-")),
        ports={s.name: free_port() for s in (*SERVICES, CONSOLE)},
        database_url=await new_database(postgres_admin_url),
        bootstrap=broker.bootstrap,
        console=False,  # the browser tests start it (it needs web/dist built)
    )
    try:
        await stack.start(lambda _: None)
        await _enter_the_years_the_test_clock_reaches(stack)
        yield stack
    finally:
        stack.stop()
        broker.stop()


@pytest.fixture(scope="session")
async def platform(postgres_admin_url: str) -> AsyncIterator[Stack]:
    async with running_platform(postgres_admin_url) as stack:
        yield stack


async def _enter_the_years_the_test_clock_reaches(stack: Stack) -> None:
    """Every flow moves the shared test clock past its notice period, so a session's clock walks
    weeks ahead, past the last year of official calendar data (DOMAIN 9: such a year is refused).
    As an operator would once the State Council's notice is out, the next two years are entered;
    here with no holidays, as test data only."""
    this_year = datetime.now(UTC).year
    async with httpx.AsyncClient(timeout=30) as client:
        await enter_calendar_years(
            client,
            stack.url("scheduling"),
            stack.jwt_secret,
            [this_year, this_year + 1, this_year + 2],
            "test data for {year}: weekdays, no holidays (the shared test clock moves ahead)",
        )


@pytest.fixture(scope="module")
def endpoints(platform: Stack) -> Endpoints:
    """Module-scoped, so that a test module with a `platform` of its own gets that platform's."""
    return Endpoints.of(platform.url)
