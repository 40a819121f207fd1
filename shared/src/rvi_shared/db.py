"""Database: SQLAlchemy 2 async over asyncpg, one schema per service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from sqlalchemy import MetaData
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql import ClauseElement, Executable

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


class Row(asyncpg.Record):
    """A driver row read by column name as an attribute, like SQLAlchemy's rows."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class DriverStatement:
    """A Core statement compiled once for asyncpg: its SQL ($1, $2, ...) and the order of its parameters."""

    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        return [
            params[name] if process is None else process(params[name])
            for name, process in zip(self.names, self.processors, strict=True)
        ]


_COMPILED: dict[Executable, DriverStatement] = {}


def driver_statement(statement: Executable, dialect: Dialect) -> DriverStatement:
    """Compiled once per statement object (module-level constants), with its parameters' bind
    processing; the rows hold the driver's values (no result processing: a JSON column is text)."""
    compiled = _COMPILED.get(statement)
    if compiled is None:
        assert isinstance(statement, ClauseElement)
        sql = statement.compile(dialect=dialect)
        names = tuple(sql.positiontup or ())
        processors = sql._bind_processors
        compiled = DriverStatement(sql.string, names, tuple(processors.get(name) for name in names))
        _COMPILED[statement] = compiled
    return compiled


class Statements:
    """Core statements run on the driver (asyncpg) connection of the session's own transaction:
    compiled once, prepared once per connection (asyncpg's statement cache), with none of
    SQLAlchemy's per-statement execution machinery. The transaction stays the session's: BEGIN
    goes with the first statement (run here or through the session), COMMIT or ROLLBACK with the
    session's. Nothing here flushes the session (its sessions do not autoflush). Errors are the
    driver's (asyncpg.PostgresError subclasses, e.g. UniqueViolationError), not SQLAlchemy's."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._driver: tuple[object, asyncpg.Connection] | None = None

    async def _connection(self) -> asyncpg.Connection:
        """The driver connection, looked up once per session transaction."""
        transaction = self.session.sync_session.get_transaction()
        if transaction is not None and self._driver is not None and self._driver[0] is transaction:
            return self._driver[1]
        driver = await self._begin()
        self._driver = (self.session.sync_session.get_transaction(), driver)
        return driver

    async def _begin(self) -> asyncpg.Connection:
        connection = await self.session.connection()
        raw = await connection.get_raw_connection()
        adapted = raw.dbapi_connection
        if adapted is None:
            raise RuntimeError("the session's connection is closed")
        # SQLAlchemy's asyncpg adaptation begins the transaction with the first statement.
        if adapted._transaction is None:
            async with adapted._execute_mutex:
                if adapted._transaction is None:
                    await adapted._start_transaction()
        return raw.driver_connection

    async def fetch(self, statement: Executable, params: Mapping[str, Any] | None = None) -> list[Row]:
        driver = await self._connection()
        compiled = driver_statement(statement, self.session.bind.dialect)
        return await driver.fetch(compiled.sql, *compiled.arguments(params or {}), record_class=Row)

    async def execute(self, statement: Executable, params: Mapping[str, Any] | None = None) -> None:
        driver = await self._connection()
        compiled = driver_statement(statement, self.session.bind.dialect)
        await driver.execute(compiled.sql, *compiled.arguments(params or {}))


def database_name(url: str) -> str:
    return urlsplit(async_url(url)).path.lstrip("/") or "postgres"
