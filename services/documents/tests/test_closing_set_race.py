"""The end of a session and the inspection's request and schedule are on different topics, whose
partitions the consumer handles concurrently, each batch in its own transaction: however the two
transactions interleave, the closing set is issued (GACC-RVI 4(IV))."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from rvi_documents.settings import DocumentsSettings
from rvi_platform.testing import eventually
from rvi_shared.db import make_engine
from rvi_shared.events import new_event
from rvi_shared.events import payloads as p

if TYPE_CHECKING:
    from conftest import Feed

CONSUMER = "rvi-documents"
DEADLINE_S = 30.0
TEAM = [p.Officer(officer_id="O1", name="王力", credential_no="NB-0001")]


@pytest.fixture
async def locks(documents_db: str) -> AsyncIterator[AsyncEngine]:
    """Connections of the test's own that hold row locks while the consumer runs."""
    engine = make_engine(documents_db, pool_size=6)
    yield engine
    await engine.dispose()


async def pid(conn: AsyncConnection) -> int:
    return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def blocked(engine: AsyncEngine) -> dict[int, list[int]]:
    """Backends of the database waiting for a lock: pid → the pids blocking it."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT pid, pg_blocking_pids(pid) AS by FROM pg_stat_activity"
                " WHERE datname = current_database() AND cardinality(pg_blocking_pids(pid)) > 0"
            )
        )
        return {r.pid: list(r.by) for r in rows}


async def test_an_end_handled_while_the_request_and_schedule_are_in_flight_still_gets_its_closing_set(
    feed: Feed, locks: AsyncEngine, documents_settings: DocumentsSettings
) -> None:
    """The end is handled while the transaction that creates the inspection and schedules it has
    not committed: the end's handler finds no inspection yet, and the schedule's handler must not
    miss the end either (a lost wake-up). Row locks held by the test force that interleaving."""
    enterprise_id = f"ENT-{uuid.uuid4().hex[:8]}"
    inspection_id = f"INSP-{uuid.uuid4()}"
    session_id = f"SES-{uuid.uuid4()}"
    year = feed.clock.now().astimezone(ZoneInfo(documents_settings.timezone)).year
    started = await feed.publish(
        "rvi.session.started.v1",
        inspection_id,
        p.SessionStarted(
            session_id=session_id,
            inspection_id=inspection_id,
            enterprise_id=enterprise_id,
            started_at=feed.clock.now(),
            officers=TEAM,
        ),
    )
    await feed.wait_processed(started.id)
    async with locks.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO documents.counters (customs, year, kind, last_number)"
                " VALUES ('Cixi', :year, 'advance_notice', 0) ON CONFLICT DO NOTHING"
            ),
            {"year": year},
        )

    numbering = await locks.connect()  # stops the schedule's transaction before it commits
    session_row = await locks.connect()  # stops the end's transaction before it records the end
    consumer = await locks.connect()  # stops the consumer while the events are published
    try:
        await numbering.begin()
        await numbering.execute(
            text(
                "SELECT 1 FROM documents.counters WHERE customs = 'Cixi' AND year = :year"
                " AND kind = 'advance_notice' FOR UPDATE"
            ),
            {"year": year},
        )
        await session_row.begin()
        await session_row.execute(
            text("SELECT 1 FROM documents.sessions WHERE session_id = :s FOR UPDATE"), {"s": session_id}
        )
        # An event whose inbox row the test holds: the consumer waits on it, and the events below
        # are then fetched together and their partitions handled at once.
        stopper = new_event(
            type="rvi.session.started.v1",
            source="/rvi/test",
            subject=f"INSP-{uuid.uuid4()}",
            time=feed.clock.now(),
            data=p.SessionStarted(
                session_id=f"SES-{uuid.uuid4()}",
                inspection_id=f"INSP-{uuid.uuid4()}",
                enterprise_id=enterprise_id,
                started_at=feed.clock.now(),
                officers=TEAM,
            ),
        )
        await consumer.begin()
        await consumer.execute(
            text("INSERT INTO documents.inbox (consumer, event_id, event_type) VALUES (:c, :id, :type)"),
            {"c": CONSUMER, "id": stopper.id, "type": stopper.type},
        )
        consumer_pid = await pid(consumer)
        await feed.send(stopper)

        async def consumer_stopped() -> bool:
            return any(consumer_pid in by for by in (await blocked(locks)).values())

        await eventually(consumer_stopped, "the consumer waits on the stopper", timeout_s=DEADLINE_S)
        ended = feed.session_ended(inspection_id, enterprise_id, session_id)
        requested, scheduled = feed.request_events(inspection_id, enterprise_id)
        await feed.send(requested, scheduled, ended)

        await asyncio.sleep(2.0)  # the consumer's fetcher reads ahead meanwhile
        await consumer.rollback()  # the stopper is handled, then the three events at once
        holders = {await pid(numbering), await pid(session_row)}

        async def both_waiting() -> bool:
            waiting = await blocked(locks)
            return len(waiting) >= 2 and any(set(by) & holders for by in waiting.values())

        await eventually(both_waiting, "the end and the schedule in two open transactions", timeout_s=DEADLINE_S)
        await numbering.rollback()  # the schedule's transaction goes on

        async def schedule_done() -> bool:
            if await feed.documents(inspection_id, "advance_notice"):
                return True
            # Or it waits on the end's transaction (which waits on the test).
            return any(set(by) - holders for by in (await blocked(locks)).values())

        await eventually(schedule_done, "the schedule committed or waiting on the end", timeout_s=DEADLINE_S)
        await session_row.rollback()  # the end's transaction goes on
        await feed.wait_processed(ended.id, requested.id, scheduled.id)
    finally:
        for conn in (numbering, session_row, consumer):
            await conn.close()

    kinds = [d.kind for d in await feed.documents(inspection_id)]
    assert sorted(kinds) == ["advance_notice", "inspection_record", "work_record"], kinds
