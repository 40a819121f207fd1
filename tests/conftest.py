from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from rvi_platform.demo import Endpoints
from rvi_platform.embedded.broker import EmbeddedBroker
from rvi_platform.embedded.ports import free_port
from rvi_platform.services import CONSOLE, SERVICES
from rvi_platform.stack import Stack
from rvi_platform.testing import new_database


@pytest.fixture(scope="session")
async def platform(postgres_admin_url: str) -> AsyncIterator[Stack]:
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
    await stack.start(lambda _: None)
    yield stack
    stack.stop()
    broker.stop()


@pytest.fixture(scope="session")
def endpoints(platform: Stack) -> Endpoints:
    return Endpoints(
        platform.url("eligibility"),
        platform.url("scheduling"),
        platform.url("video-gateway"),
        platform.url("documents"),
    )
