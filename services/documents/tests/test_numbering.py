"""Document numbers per customs office, kind and year without gaps, on PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy.ext.asyncio import AsyncEngine

from rvi_documents.repository import DocumentsRepository
from rvi_shared.db import make_sessionmaker


async def test_a_rolled_back_issue_gives_its_number_back_and_concurrent_issues_queue(engine: AsyncEngine) -> None:
    sessions = make_sessionmaker(engine)
    office = f"Office{uuid.uuid4().hex[:6]}"

    async with sessions() as session, session.begin():
        assert await DocumentsRepository(session).next_number(office, 2026, "inspection_record") == 1
    async with sessions() as session:
        async with session.begin():
            assert await DocumentsRepository(session).next_number(office, 2026, "inspection_record") == 2
            await session.rollback()  # the issue failed (e.g. rendering): number 2 is not used
    taken = asyncio.Event()
    order: list[tuple[str, int]] = []

    async def first() -> None:
        async with sessions() as session, session.begin():
            order.append(("first", await DocumentsRepository(session).next_number(office, 2026, "inspection_record")))
            taken.set()
            await asyncio.sleep(0.5)  # still issuing: the counter row stays locked

    async def second() -> None:
        await taken.wait()
        async with sessions() as session, session.begin():
            order.append(("second", await DocumentsRepository(session).next_number(office, 2026, "inspection_record")))

    await asyncio.gather(first(), second())
    assert order == [("first", 2), ("second", 3)]
    async with sessions() as session, session.begin():
        repo = DocumentsRepository(session)
        assert await repo.next_number(office, 2026, "work_record") == 1  # per kind
        assert await repo.next_number(office, 2027, "inspection_record") == 1  # per year
