"""Replay order: an escalation (rvi.sessions) that overtakes its inspection's request
(rvi.inspections), as when a replica reads its topics from the beginning, is parked and applied
when the request arrives: the inspection is decided, then closed, as in the original order."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rvi_platform.testing import Tokens
from rvi_shared.clock import ManualClock
from rvi_shared.events.payloads import SessionEscalated
from rvi_shared.identifiers import example_uscc


async def closed_reason(db: AsyncEngine, inspection_id: str) -> str | None:
    async with db.connect() as conn:
        row = await conn.execute(
            text("SELECT closed_reason FROM eligibility.inspection_requests WHERE inspection_id = :i"),
            {"i": inspection_id},
        )
        return row.scalar_one_or_none()


async def parked(db: AsyncEngine, inspection_id: str) -> int:
    async with db.connect() as conn:
        row = await conn.execute(
            text("SELECT count(*) FROM eligibility.parked_closures WHERE inspection_id = :i"), {"i": inspection_id}
        )
        return int(row.scalar_one())


async def test_an_escalation_before_its_request_is_parked_then_applied(
    live_client: httpx.AsyncClient, live_clock: ManualClock, publisher: Any, kit: Any, tokens: Tokens, db: AsyncEngine
) -> None:
    suffix = uuid.uuid4().hex[:10]
    eid, iid = example_uscc(suffix), f"INS-{suffix}"
    escalation = SessionEscalated(
        session_id=f"SES-{suffix}", inspection_id=iid, enterprise_id=eid, reason_code="5(II)", reason="network lost"
    )
    escalated = await publisher.event("rvi.session.escalated.v1", iid, escalation, live_clock.now())

    async def handled() -> bool | None:
        return await kit.inbox_has(db, escalated.id) or None

    await kit.eventually(handled, "the escalation handled")
    assert await parked(db, iid) == 1 and await closed_reason(db, iid) is None

    await publisher.event("rvi.inspection.requested.v1", iid, kit.cixi_request(iid, eid), live_clock.now())

    async def closed() -> str | None:
        return await closed_reason(db, iid)

    assert await kit.eventually(closed, "the parked closure applied") == "escalated 5(II)"
    assert len(await kit.decided_events(db, iid)) == 1, "decided, as in the original order"
    assert await parked(db, iid) == 0
    headers = tokens.header(tokens.officer())
    assert (await live_client.get(f"/v1/inspections/{iid}/decision", headers=headers)).status_code == 200
