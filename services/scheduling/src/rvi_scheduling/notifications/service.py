"""Queueing notifications in the caller's transaction (the notification outbox)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_scheduling.models import Inspection
from rvi_scheduling.notifications.lifecycle import NotificationStatus
from rvi_scheduling.notifications.models import EnterpriseChannel, Notification
from rvi_scheduling.rosters.models import RosterOfficer
from rvi_shared.clock import Clock


class Notifier:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def channel(self, enterprise_id: str) -> EnterpriseChannel | None:
        return await self.session.get(EnterpriseChannel, enterprise_id)

    async def queue(
        self,
        inspection: Inspection,
        kind: str,
        channel: str,
        recipient: str,
        subject: str,
        body: str,
        payload: dict[str, Any],
        dedup: str,
    ) -> None:
        now = self.clock.now()
        await self.session.execute(
            insert(Notification)
            .values(
                id=str(uuid.uuid4()),
                dedup_key=f"{dedup}:{channel}:{recipient}"[:255],
                inspection_id=inspection.id,
                kind=kind,
                channel=channel,
                recipient=recipient,
                subject=subject,
                body=body,
                payload=payload,
                status=NotificationStatus.PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            .on_conflict_do_nothing(constraint="uq_notifications_dedup_key")
        )

    async def to_enterprise(
        self, inspection: Inspection, kind: str, subject: str, body: str, dedup: str, extra: dict[str, Any]
    ) -> None:
        channel = await self.channel(inspection.enterprise_id)
        if channel is None:
            return
        payload = {"kind": kind, "inspection_id": inspection.id, "subject": subject, "text": body, **extra}
        if channel.email:
            await self.queue(inspection, kind, "email", channel.email, subject, body, payload, dedup)
        if channel.webhook_url:
            await self.queue(inspection, kind, "webhook", channel.webhook_url, subject, body, payload, dedup)

    async def to_officers(
        self, inspection: Inspection, officer_ids: Sequence[str], kind: str, subject: str, body: str, dedup: str
    ) -> None:
        rows = await self.session.execute(
            select(RosterOfficer.officer_id, RosterOfficer.email).where(RosterOfficer.officer_id.in_(officer_ids))
        )
        payload = {"kind": kind, "inspection_id": inspection.id, "subject": subject}
        for officer_id, email in rows.all():
            if email:
                await self.queue(
                    inspection, kind, "email", email, subject, body, {**payload, "officer_id": officer_id}, dedup
                )
