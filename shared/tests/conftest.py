from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Column, MetaData, String, Table, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rvi_platform.testing import new_database
from rvi_shared.db import make_engine, make_sessionmaker, service_metadata
from rvi_shared.messaging.tables import MessagingTables, messaging_tables


class MessagingSchema:
    """A throwaway schema holding an outbox, an inbox and an effects table, as a service would."""

    def __init__(self, schema: str) -> None:
        self.schema = schema
        self.metadata: MetaData = service_metadata(schema)
        self.tables: MessagingTables = messaging_tables(self.metadata)
        self.effects = Table(
            "effects", self.metadata, Column("event_id", String(64), primary_key=True), Column("note", String(255))
        )


@pytest.fixture(scope="session")
async def messaging_db(postgres_admin_url: str) -> str:
    return await new_database(postgres_admin_url)


@pytest.fixture
async def engine(messaging_db: str) -> AsyncEngine:
    engine = make_engine(messaging_db)
    yield engine
    await engine.dispose()


@pytest.fixture
async def schema(engine: AsyncEngine) -> MessagingSchema:
    schema = MessagingSchema(f"msg_{uuid.uuid4().hex[:10]}")
    async with engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema.schema}"'))
        await conn.run_sync(schema.metadata.create_all)
    return schema


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)
