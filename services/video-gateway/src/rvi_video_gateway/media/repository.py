"""The media plane's rows: feeds, recordings and equipment tests. Queries only; the request or
event handler owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, Uuid, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_shared.db import Statements
from rvi_video_gateway.media.lifecycles import ENDED, FeedState, RecordingState
from rvi_video_gateway.models import EquipmentTest, MediaFeed, Recording

TESTS = EquipmentTest.__table__
EQUIPMENT_TEST = select(TESTS).where(TESTS.c.test_id == bindparam("test_id", type_=Uuid))
TEST_STATE_OF_FEED = select(TESTS.c.state).where(TESTS.c.feed_id == bindparam("feed_id", type_=Uuid))


class MediaRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.statements = Statements(session)

    def add(self, row: MediaFeed | Recording | EquipmentTest) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()

    # --- feeds ---

    async def feeds_of(self, session_id: uuid.UUID) -> Sequence[MediaFeed]:
        rows = await self.session.scalars(
            select(MediaFeed).where(MediaFeed.session_id == session_id).order_by(MediaFeed.created_at)
        )
        return rows.all()

    async def mark_feeds_lost(self, alive: Select[tuple[str]], own: str, now: datetime, reason: str) -> None:
        """Feeds still created or live on instances that are neither alive nor this one."""
        await self.session.execute(
            update(MediaFeed)
            .where(MediaFeed.state.not_in(ENDED), MediaFeed.instance_id.not_in(alive))
            .where(MediaFeed.instance_id != own)
            .values(state=FeedState.LOST, ended_at=now, lost_reason=reason)
        )

    # --- recordings ---

    async def recordings_of(self, session_id: uuid.UUID) -> Sequence[Recording]:
        rows = await self.session.scalars(
            select(Recording).where(Recording.session_id == session_id).order_by(Recording.started_at)
        )
        return rows.all()

    async def running_recordings(self, session_id: uuid.UUID, instance_id: str) -> Sequence[Recording]:
        rows = await self.session.scalars(
            select(Recording)
            .where(
                Recording.session_id == session_id,
                Recording.state == RecordingState.RECORDING,
                Recording.instance_id == instance_id,
            )
            .with_for_update()
        )
        return rows.all()

    async def orphaned_recordings(self, alive: Select[tuple[str]]) -> Sequence[tuple[uuid.UUID, uuid.UUID]]:
        """(recording id, session id) of recordings running on instances not alive."""
        rows = await self.session.execute(
            select(Recording.recording_id, Recording.session_id).where(
                Recording.state == RecordingState.RECORDING, Recording.instance_id.not_in(alive)
            )
        )
        return [(r[0], r[1]) for r in rows.all()]

    async def session_of_recording(self, recording_id: uuid.UUID) -> uuid.UUID | None:
        return await self.session.scalar(select(Recording.session_id).where(Recording.recording_id == recording_id))

    # --- equipment tests ---

    async def equipment_test(self, test_id: uuid.UUID) -> EquipmentTest | None:
        """The test read on the driver, as a transient row (not in the ORM session: changes to it
        are not saved); None for an unknown id."""
        return await self.statements.fetch_transient(EquipmentTest, EQUIPMENT_TEST, {"test_id": test_id})

    async def test_state_of_feed(self, feed_id: uuid.UUID) -> str | None:
        """The state of the feed's equipment test (on the driver); None when it has none."""
        rows = await self.statements.fetch(TEST_STATE_OF_FEED, {"feed_id": feed_id})
        return rows[0].state if rows else None

    async def equipment_test_of_feed(self, feed_id: uuid.UUID, for_update: bool = False) -> EquipmentTest | None:
        stmt = select(EquipmentTest).where(EquipmentTest.feed_id == feed_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)
