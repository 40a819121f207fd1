"""Statements run on the driver connection belong to the session's own transaction."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import ARRAY, String, any_, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import registry

from rvi_shared.db import Statements, transaction

from .conftest import MessagingSchema


def _statements(schema: MessagingSchema) -> tuple:
    effects = schema.effects
    add = insert(effects).values(event_id=bindparam("event_id"), note=bindparam("note"))
    notes_of = select(effects.c.event_id, effects.c.note).where(
        effects.c.event_id == any_(bindparam("ids", type_=ARRAY(String)))
    )
    return effects, add, notes_of


async def _count(sessions: async_sessionmaker[AsyncSession], schema: MessagingSchema) -> int:
    async with transaction(sessions) as session:
        return (await session.execute(select(func.count()).select_from(schema.effects))).scalar_one()


async def test_driver_statements_and_session_statements_commit_together(
    sessions: async_sessionmaker[AsyncSession], schema: MessagingSchema
) -> None:
    effects, add, notes_of = _statements(schema)
    async with transaction(sessions) as session:
        statements = Statements(session)
        await statements.execute(add, {"event_id": "e1", "note": "by the driver"})
        # The session reads the driver's row: the same connection and transaction.
        assert (await session.execute(select(effects.c.note))).scalar_one() == "by the driver"
        await session.execute(insert(effects).values(event_id="e2", note="by the session"))
        rows = await statements.fetch(notes_of, {"ids": ["e1", "e2", "e3"]})
        assert sorted((r.event_id, r.note) for r in rows) == [("e1", "by the driver"), ("e2", "by the session")]
    assert await _count(sessions, schema) == 2


async def test_an_error_rolls_back_what_the_driver_and_the_session_wrote(
    sessions: async_sessionmaker[AsyncSession], schema: MessagingSchema
) -> None:
    effects, add, _ = _statements(schema)
    with pytest.raises(asyncpg.UniqueViolationError):
        async with transaction(sessions) as session:
            await session.execute(insert(effects).values(event_id="s1", note="first, through the session"))
            statements = Statements(session)
            await statements.execute(add, {"event_id": "d1", "note": "then the driver"})
            await statements.execute(add, {"event_id": "d1", "note": "the same key again"})
    assert await _count(sessions, schema) == 0
    # The pool's connections are clean afterwards: a new transaction commits.
    async with transaction(sessions) as session:
        await Statements(session).execute(add, {"event_id": "d2", "note": "after the rollback"})
    assert await _count(sessions, schema) == 1


async def test_each_transaction_of_a_session_gets_its_own_connection(
    sessions: async_sessionmaker[AsyncSession], schema: MessagingSchema
) -> None:
    _, add, notes_of = _statements(schema)
    async with sessions() as session:
        statements = Statements(session)
        async with session.begin():
            await statements.execute(add, {"event_id": "t1", "note": "first transaction"})
        async with session.begin():
            await statements.execute(add, {"event_id": "t2", "note": "second transaction"})
            await session.rollback()
        async with session.begin():
            rows = await statements.fetch(notes_of, {"ids": ["t1", "t2"]})
    assert [r.event_id for r in rows] == ["t1"]


async def test_a_block_of_statements_alone_commits_on_its_own_connection_and_hands_it_back(
    sessions: async_sessionmaker[AsyncSession], schema: MessagingSchema
) -> None:
    _, add, notes_of = _statements(schema)
    pool = sessions.kw["bind"].sync_engine.pool
    async with transaction(sessions) as session:
        statements = Statements(session)
        await statements.execute(add, {"event_id": "r1", "note": "driver only"})
        assert (await statements.fetch(notes_of, {"ids": ["r1"]}))[0].note == "driver only"
        assert not session.in_transaction()  # no ORM transaction was begun for it
        assert pool.checkedout() == 1
    assert pool.checkedout() == 0
    assert await _count(sessions, schema) == 1


async def test_an_error_after_statements_alone_rolls_them_back(
    sessions: async_sessionmaker[AsyncSession], schema: MessagingSchema
) -> None:
    _, add, _ = _statements(schema)
    pool = sessions.kw["bind"].sync_engine.pool
    with pytest.raises(RuntimeError):
        async with transaction(sessions) as session:
            await Statements(session).execute(add, {"event_id": "x1", "note": "rolled back"})
            raise RuntimeError("the handler failed")
    assert pool.checkedout() == 0
    assert await _count(sessions, schema) == 0


async def test_objects_added_after_statements_are_flushed_into_the_same_transaction(
    sessions: async_sessionmaker[AsyncSession], schema: MessagingSchema
) -> None:
    effects, add, notes_of = _statements(schema)
    async with transaction(sessions) as session:
        statements = Statements(session)
        await statements.execute(add, {"event_id": "o1", "note": "by the driver"})
        await session.execute(insert(effects).values(event_id="o2", note="by the session"))
        # The driver sees the session's row: one connection, one transaction.
        assert sorted(r.event_id for r in await statements.fetch(notes_of, {"ids": ["o1", "o2"]})) == ["o1", "o2"]
    assert await _count(sessions, schema) == 2
    with pytest.raises(RuntimeError):
        async with transaction(sessions) as session:
            await Statements(session).execute(add, {"event_id": "o3", "note": "driver, then rolled back"})
            await session.execute(insert(effects).values(event_id="o4", note="session, then rolled back"))
            raise RuntimeError("the handler failed")
    assert await _count(sessions, schema) == 2


async def test_a_block_that_touches_nothing_checks_out_no_connection(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    pool = sessions.kw["bind"].sync_engine.pool
    async with transaction(sessions):
        assert pool.checkedout() == 0
    assert pool.checkedout() == 0


async def test_objects_only_added_after_statements_are_flushed_into_their_transaction(
    sessions: async_sessionmaker[AsyncSession], schema: MessagingSchema
) -> None:
    """`add` alone begins nothing: the block's commit flushes it, on the statements' connection."""

    class Effect:
        def __init__(self, event_id: str, note: str) -> None:
            self.event_id, self.note = event_id, note

    registry().map_imperatively(Effect, schema.effects)
    _, add, _ = _statements(schema)
    pool = sessions.kw["bind"].sync_engine.pool
    async with transaction(sessions) as session:
        await Statements(session).execute(add, {"event_id": "a1", "note": "by the driver"})
        session.add(Effect("a2", "added, flushed by the commit"))
    assert pool.checkedout() == 0
    assert await _count(sessions, schema) == 2
    with pytest.raises(RuntimeError):
        async with transaction(sessions) as session:
            await Statements(session).execute(add, {"event_id": "a3", "note": "rolled back"})
            session.add(Effect("a4", "never flushed"))
            raise RuntimeError("the handler failed")
    assert await _count(sessions, schema) == 2
    # The flush runs on the driver's connection: it meets the driver's row (a unique violation, the
    # whole block rolled back) rather than waiting, on a second connection, for that row's lock.

    async def same_key_twice() -> None:
        async with transaction(sessions) as session:
            await Statements(session).execute(add, {"event_id": "a5", "note": "by the driver"})
            session.add(Effect("a5", "the same key, flushed by the commit"))

    with pytest.raises(IntegrityError):
        await asyncio.wait_for(same_key_twice(), timeout=20)
    assert pool.checkedout() == 0
    assert await _count(sessions, schema) == 2
