"""Database: SQLAlchemy 2 async over asyncpg, one schema per service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import asyncpg
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.util import greenlet_spawn

T = TypeVar("T")

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
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False, sync_session_class=BlockSession)


# Keys of `Session.info`: a session of a `transaction()` block (whose end commits or rolls back
# and hands back what the Statements checked out), the pooled connection its Statements checked
# out, the Connection its ORM work joined that pooled connection with, and the transaction in
# progress as (the session's transaction or None, SQLAlchemy's adapted connection, the driver's).
_BLOCK = "rvi.block"
_POOLED = "rvi.pooled"
_JOINED = "rvi.joined"
_DRIVER = "rvi.driver"


class BlockSession(Session):
    """A session whose ORM work, once its block's Statements checked a connection out, runs on
    that connection (in their transaction) rather than checking out one of its own."""

    def get_bind(self, mapper: Any = None, **kw: Any) -> Engine | Connection:
        pooled = self.info.get(_POOLED)
        if pooled is None:
            return super().get_bind(mapper, **kw)
        joined = self.info.get(_JOINED)
        if joined is None:
            engine = self.bind
            assert isinstance(engine, Engine)
            joined = self.info[_JOINED] = Connection(engine, connection=pooled)
        return joined


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One session, one transaction: committed when the block ends, rolled back when it raises.

    Nothing is begun up front: `Statements` check a connection out of the pool and begin the
    transaction on it with their first statement, with no ORM session transaction; ORM work (a
    query, `add`, `flush`) then runs on that same connection in that same transaction (or, done
    first, begins it on a connection of its own, which the Statements then use). A block that
    touches neither checks out no connection. The commit flushes the ORM's pending changes first."""
    session = sessions()
    session.info[_BLOCK] = True
    try:
        yield session
    except BaseException:
        await _end(session, commit=False)
        raise
    await _end(session, commit=True)


def _orm_used(session: AsyncSession) -> bool:
    sync = session.sync_session
    return sync.in_transaction() or bool(sync.new or sync.deleted or sync.dirty)


async def _end(session: AsyncSession, commit: bool) -> None:
    """Commits or rolls back what the session and its Statements did, then hands the connection
    back to the pool. A connection handed back in a transaction is rolled back by the pool. The
    session's commit may flush (and so join the block's connection) first: the connection stays
    the session's bind until it has ended."""
    info = session.info
    info.pop(_BLOCK, None)
    pooled: PoolProxiedConnection | None = info.get(_POOLED)
    try:
        if _orm_used(session):
            try:
                if commit:
                    await session.commit()
                else:
                    await session.rollback()
            finally:
                await session.close()
        driver = info.get(_DRIVER)
        if pooled is not None and driver is not None:
            adapted = driver[1]
            if adapted._transaction is not None:
                await adapted._call_and_discard(
                    adapted._transaction.commit if commit else adapted._transaction.rollback
                )
    finally:
        joined: Connection | None = info.pop(_JOINED, None)
        info.pop(_POOLED, None)
        info.pop(_DRIVER, None)
        if pooled is not None:
            await greenlet_spawn(joined.close if joined is not None else pooled.close)


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
    processing; the rows hold the driver's values (a JSON or JSONB column comes decoded:
    SQLAlchemy's asyncpg dialect sets a codec for both on each connection)."""
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
    """Core statements run on the driver (asyncpg) connection of the session's transaction:
    compiled once, prepared once per connection (asyncpg's statement cache), with none of
    SQLAlchemy's per-statement execution machinery. The transaction is the session's: in a
    `transaction()` block whose session has not begun one, the first statement checks a connection
    out of the pool and begins it there (the session's ORM work, if any, joins it on that
    connection); else BEGIN goes with the first statement run here or through the session. COMMIT
    or ROLLBACK go with the block's or the session's. Nothing here flushes the session (its
    sessions do not autoflush). Errors are the driver's (asyncpg.PostgresError subclasses, e.g.
    UniqueViolationError), not SQLAlchemy's."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.dialect = session.bind.dialect

    async def _connection(self) -> asyncpg.Connection:
        """The driver connection, looked up once per transaction (kept in `Session.info`)."""
        info = self.session.info
        transaction = self.session.sync_session.get_transaction()
        known = info.get(_DRIVER)
        if known is not None and (known[0] is transaction or _POOLED in info) and known[1]._transaction is not None:
            return known[2]
        raw = info.get(_POOLED)
        if raw is None:
            if transaction is None and _BLOCK in info and isinstance(self.session.bind, AsyncEngine):
                return await self._check_out(self.session.bind)
            raw = await (await self.session.connection()).get_raw_connection()
        driver = await _begun(raw)
        info[_DRIVER] = (self.session.sync_session.get_transaction(), raw.dbapi_connection, driver)
        return driver

    async def _check_out(self, engine: AsyncEngine) -> asyncpg.Connection:
        """A pooled connection of the block's own (the session's ORM work joins it from now on)."""
        pooled = await greenlet_spawn(engine.sync_engine.raw_connection)
        try:
            driver = await _begun(pooled)
        except BaseException:
            await greenlet_spawn(pooled.close)
            raise
        self.session.info[_POOLED] = pooled
        self.session.info[_DRIVER] = (None, pooled.dbapi_connection, driver)
        return driver

    async def fetch(self, statement: Executable, params: Mapping[str, Any] | None = None) -> list[Row]:
        driver = await self._connection()
        compiled = driver_statement(statement, self.dialect)
        return await driver.fetch(compiled.sql, *compiled.arguments(params or {}), record_class=Row)

    async def fetch_transient(
        self, model: Callable[..., T], statement: Executable, params: Mapping[str, Any] | None = None
    ) -> T | None:
        """The first row as a transient `model` (an ORM class built from the row's columns, not in
        the session: changes to it are not saved); None when there is no row."""
        rows = await self.fetch(statement, params)
        return model(**dict(rows[0].items())) if rows else None

    async def execute(self, statement: Executable, params: Mapping[str, Any] | None = None) -> None:
        driver = await self._connection()
        compiled = driver_statement(statement, self.dialect)
        await driver.execute(compiled.sql, *compiled.arguments(params or {}))


async def _begun(raw: Any) -> asyncpg.Connection:
    """The driver connection of a pooled connection, in a transaction begun through SQLAlchemy's
    asyncpg adaptation (which otherwise begins it with the first statement), so that its COMMIT
    and ROLLBACK, and the pool's rollback on return, apply to it."""
    adapted = raw.dbapi_connection
    if adapted is None:
        raise RuntimeError("the session's connection is closed")
    if adapted._transaction is None:
        async with adapted._execute_mutex:
            if adapted._transaction is None:
                await adapted._start_transaction()
    return raw.driver_connection


def database_name(url: str) -> str:
    return urlsplit(async_url(url)).path.lstrip("/") or "postgres"
