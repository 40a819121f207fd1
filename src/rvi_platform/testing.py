"""Pytest plugin: real PostgreSQL and a real Kafka-protocol broker, provisioned when the
environment names none (RVI_DATABASE_URL, RVI_KAFKA_BOOTSTRAP)."""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from rvi_shared.auth import Role, mint_token
from rvi_shared.settings import DEV_JWT_SECRET

from rvi_platform.embedded.broker import EmbeddedBroker
from rvi_platform.embedded.ports import free_port
from rvi_platform.embedded.postgres import EmbeddedPostgres, ensure_database

logging.getLogger("pgserver").setLevel(logging.WARNING)


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
