"""`get_by_id`: a row by its UUID or text key; a malformed or unknown id is one 404."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import String, Uuid, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from rvi_shared.db import declarative_base
from rvi_shared.errors import NotFound
from rvi_shared.rows import get_by_id

SCHEMA = f"rows_{uuid.uuid4().hex[:8]}"
Base = declarative_base(SCHEMA)


class Thing(Base):
    __tablename__ = "things"
    thing_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(20))


class Code(Base):
    __tablename__ = "codes"
    code: Mapped[str] = mapped_column(String(20), primary_key=True)


@pytest.fixture
async def stored(engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    async with engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"'))
        await conn.run_sync(Base.metadata.create_all)
    thing_id = uuid.uuid4()
    async with sessions() as session, session.begin():
        session.add(Thing(thing_id=thing_id, name="lamp"))
        await session.merge(Code(code="CN-31"))
    return thing_id


async def test_a_row_by_its_uuid_as_text_or_uuid_and_by_a_text_key(
    stored: uuid.UUID, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as session, session.begin():
        assert (await get_by_id(session, Thing, str(stored), what="thing")).name == "lamp"
        assert (await get_by_id(session, Thing, stored, what="thing", for_update=True)).name == "lamp"
        assert (await get_by_id(session, Code, "CN-31", what="code")).code == "CN-31"


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "'; DROP TABLE things; --", str(uuid.uuid4())])
async def test_a_malformed_or_unknown_id_is_the_same_404(
    stored: uuid.UUID, sessions: async_sessionmaker[AsyncSession], bad_id: str
) -> None:
    async with sessions() as session, session.begin():
        with pytest.raises(NotFound) as raised:
            await get_by_id(session, Thing, bad_id, what="thing", for_update=True)
    assert raised.value.status_code == 404 and raised.value.message == f"thing {bad_id!r} not found"


async def test_an_unknown_text_key_is_404(stored: uuid.UUID, sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        with pytest.raises(NotFound, match="code 'XX' not found"):
            await get_by_id(session, Code, "XX", what="code")
