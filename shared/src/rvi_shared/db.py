"""Database: SQLAlchemy 2 async over asyncpg, one schema per service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import asyncpg
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata(schema: str) -> MetaData:
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def declarative_base(schema: str) -> type[DeclarativeBase]:
    metadata = service_metadata(schema)

    class Base(DeclarativeBase):
        pass

    Base.metadata = metadata
    return Base


def async_url(url: str) -> str:
    """Accept postgres://, postgresql:// or postgresql+asyncpg:// URLs."""
    scheme, _, rest = url.partition("://")
    if scheme in ("postgres", "postgresql"):
        return f"postgresql+asyncpg://{rest}"
    return url


def asyncpg_dsn(url: str) -> str:
    """The same URL for asyncpg itself (LISTEN/NOTIFY needs a raw connection)."""
    scheme, _, rest = async_url(url).partition("://")
    return f"postgresql://{rest}"


# A service runs a few hundred distinct statements: each stays compiled (SQLAlchemy) and prepared
# on every pooled connection (asyncpg), not evicted and prepared again (a round trip) under load.
COMPILED_CACHE_SIZE = 2000
PREPARED_CACHE_SIZE = 1000


def make_engine(url: str, pool_size: int = 20) -> AsyncEngine:
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=30,
        pool_pre_ping=False,
        pool_recycle=1800,
        query_cache_size=COMPILED_CACHE_SIZE,
        connect_args={"prepared_statement_cache_size": PREPARED_CACHE_SIZE},
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One session, one transaction: committed on success, rolled back on error."""
    async with sessions() as session, session.begin():
        yield session


@asynccontextmanager
async def driver_connection(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the engine's own pool as the driver's (asyncpg) connection, for the few
    statements of a hot path: SQLAlchemy's asyncio layer costs several times the statements
    themselves (README, Benchmarks). No transaction is
    opened (each statement commits on its own) and the connection goes back to the pool as usual."""
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        yield raw.driver_connection


def database_name(url: str) -> str:
    return urlsplit(async_url(url)).path.lstrip("/") or "postgres"
