"""Pytest plugin: real PostgreSQL and a real Kafka-protocol broker, provisioned when the
environment names none (RVI_DATABASE_URL, RVI_KAFKA_BOOTSTRAP)."""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from fastapi import FastAPI

from rvi_platform.embedded.broker import EmbeddedBroker
from rvi_platform.embedded.ports import free_port
from rvi_platform.embedded.postgres import EmbeddedPostgres, ensure_database
from rvi_shared.auth import Role, mint_token
from rvi_shared.settings import DEV_JWT_SECRET

logging.getLogger("pgserver").setLevel(logging.WARNING)
T = TypeVar("T")


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    if url := os.environ.get("RVI_DATABASE_URL"):
        yield url
        return
    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="rvi-pg-")))
    yield server.start()
    server.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    if bootstrap := os.environ.get("RVI_KAFKA_BOOTSTRAP"):
        yield bootstrap
        return
    broker = EmbeddedBroker(free_port())
    yield broker.start()
    broker.stop()


@pytest.fixture
def own_broker() -> Iterator[EmbeddedBroker]:
    """A broker this test may stop, restart or empty."""
    broker = EmbeddedBroker(free_port())
    broker.start()
    yield broker
    broker.stop()


async def new_database(admin_url: str) -> str:
    return await ensure_database(admin_url, f"rvi_t_{uuid.uuid4().hex[:12]}")


class Tokens:
    def __init__(self, secret: str = DEV_JWT_SECRET) -> None:
        self.secret = secret

    def system(self, subject: str = "customs-task-system") -> str:
        return mint_token(self.secret, role=Role.SYSTEM, subject=subject)

    def operator(self) -> str:
        return mint_token(self.secret, role=Role.OPERATOR, subject="ops")

    def officer(self, credential_no: str = "NB-0001", district: str = "Ningbo", subject: str = "O1") -> str:
        return mint_token(
            self.secret, role=Role.OFFICER, subject=subject, credential_no=credential_no, district=district
        )

    def supervisor(self, credential_no: str = "NB-9000") -> str:
        return mint_token(
            self.secret, role=Role.SUPERVISOR, subject="S1", credential_no=credential_no, district="Ningbo"
        )

    def enterprise(self, enterprise_id: str) -> str:
        return mint_token(
            self.secret, role=Role.ENTERPRISE, subject=f"rep-{enterprise_id}", enterprise_id=enterprise_id
        )

    @staticmethod
    def header(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def tokens() -> Tokens:
    return Tokens()


@asynccontextmanager
async def serve_in_process(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan (relay, consumer) and talk to it over ASGI."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def read_topic(bootstrap: str, topic: str, want: int, timeout_s: float = 20.0) -> list[ConsumerRecord]:
    """Everything on `topic` from the beginning, until `want` records or the deadline."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    records: list[ConsumerRecord] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(records) < want and time.monotonic() < deadline:
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records


async def eventually(
    check: Callable[[], Awaitable[T | None]], what: str, timeout_s: float = 20.0, interval_s: float = 0.1
) -> T:
    """The polling assertion of every test: `check` every `interval_s` until it returns something
    truthy (returned) or `timeout_s` passes (AssertionError naming `what`). An AssertionError that
    `check` raises counts as not yet, and the last one is chained to the timeout's."""
    deadline = time.monotonic() + timeout_s
    while True:
        last: AssertionError | None = None
        try:
            if result := await check():
                return result
        except AssertionError as exc:
            last = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}") from last
        await asyncio.sleep(interval_s)


def private_broker() -> Iterator[str]:
    """For one test package's session fixture: a broker of its own, so that the in-process
    apps of other services under test (same consumer groups, same topics) never see its events.
    With RVI_KAFKA_BOOTSTRAP set, the named broker is shared instead."""
    if bootstrap := os.environ.get("RVI_KAFKA_BOOTSTRAP"):
        yield bootstrap
        return
    broker = EmbeddedBroker(free_port())
    yield broker.start()
    broker.stop()
