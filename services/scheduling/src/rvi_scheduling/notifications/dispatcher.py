"""Delivers queued notifications (and runs the inspections' deadlines: day-before reminders,
no-shows): claims due rows (SKIP LOCKED, so replicas share the work),
sends outside any transaction, then records the outcome and emits `rvi.inspection.notified.v1`.
Failures retry with exponential backoff; after `notification_max_attempts` a notification goes
to the dead-letter list an operator can replay. Also queues the day-before reminders."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

import httpx
from sqlalchemy import ColumnElement, DateTime, and_, bindparam, exists, literal_column, select, update

from rvi_scheduling.lifecycle import State
from rvi_scheduling.models import Inspection
from rvi_scheduling.notifications.lifecycle import NOTIFICATION, NotificationAction, NotificationStatus
from rvi_scheduling.notifications.models import EnterpriseChannel, Notification
from rvi_scheduling.notifications.senders import DeliveryError, send_email, send_webhook
from rvi_scheduling.repository import InspectionRepository
from rvi_scheduling.settings import SchedulingSettings
from rvi_shared.background import run_periodically
from rvi_shared.db import Statements
from rvi_shared.events import payloads as p
from rvi_shared.service import ServiceRuntime

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)
BATCH = 20

# What each of a tick's jobs looks for, named once: the jobs' own queries and the probe below
# ask the same. Values are parameters or inline literals (the probe runs on the driver).
_INSPECTIONS = Inspection.__table__
_NOTIFICATIONS = Notification.__table__
_MOMENT = DateTime(timezone=True)


def _literal(state: StrEnum) -> ColumnElement[str]:
    return literal_column(f"'{state.value}'")


NO_SHOW_DUE = and_(
    _INSPECTIONS.c.state == _literal(State.SCHEDULED),
    _INSPECTIONS.c.slot_start < bindparam("no_show_before", type_=_MOMENT),
)
REMINDER_DUE = and_(
    _INSPECTIONS.c.state.in_([_literal(State.SCHEDULED), _literal(State.READY)]),
    _INSPECTIONS.c.slot_start > bindparam("now", type_=_MOMENT),
    _INSPECTIONS.c.slot_start <= bindparam("remind_until", type_=_MOMENT),
    _INSPECTIONS.c.reminded_for.is_distinct_from(_INSPECTIONS.c.slot_start),
)
NOTIFICATION_DUE = and_(
    _NOTIFICATIONS.c.status == _literal(NotificationStatus.PENDING),
    _NOTIFICATIONS.c.next_attempt_at <= bindparam("wall", type_=_MOMENT),
)
# One statement a tick while nothing is due, instead of a transaction per job.
DUE = select(
    exists().where(NO_SHOW_DUE).label("no_shows"),
    exists().where(REMINDER_DUE).label("reminders"),
    exists().where(NOTIFICATION_DUE).label("notifications"),
)


class Due(NamedTuple):
    no_shows: bool
    reminders: bool
    notifications: bool


def wall_clock() -> datetime:
    """Retries are paced in real time, not in the business clock that tests and demos move."""
    return datetime.now(UTC)


class Dispatcher:
    def __init__(self, rt: ServiceRuntime[SchedulingSettings]) -> None:
        self.rt = rt
        self.settings = rt.settings

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=self.settings.webhook_timeout_s) as client:

            async def tick() -> bool:
                due = await self.due()
                if due.no_shows:
                    await self.check_no_shows()
                if due.reminders:
                    await self.queue_reminders()
                # Reminders queue notifications: sent in this tick.
                return await self.dispatch(client) if due.notifications or due.reminders else False

            await run_periodically("notification dispatch", tick, self.settings.notification_poll_s, self.rt.stop)

    async def due(self) -> Due:
        """Which of the jobs has work now (no-shows and reminders by the business clock,
        notifications by the wall clock)."""
        now = self.rt.clock.now()
        async with self.rt.transaction() as session:
            (row,) = await Statements(session).fetch(
                DUE,
                {
                    "no_show_before": now - timedelta(minutes=self.settings.no_show_grace_minutes),
                    "now": now,
                    "remind_until": now + timedelta(hours=self.settings.reminder_lead_hours),
                    "wall": wall_clock(),
                },
            )
        return Due(row.no_shows, row.reminders, row.notifications)

    async def dispatch(self, client: httpx.AsyncClient) -> bool:
        now = wall_clock()
        async with self.rt.transaction() as session:
            due = (
                (
                    await session.execute(
                        select(Notification)
                        .where(NOTIFICATION_DUE)
                        .order_by(Notification.next_attempt_at)
                        .limit(BATCH)
                        .with_for_update(skip_locked=True),
                        {"wall": now},
                    )
                )
                .scalars()
                .all()
            )
            for note in due:
                note.next_attempt_at = now + LEASE
            secrets = {}
            webhook_inspections = {n.inspection_id for n in due if n.channel == "webhook"}
            if webhook_inspections:
                rows = await session.execute(
                    select(Inspection.id, EnterpriseChannel.webhook_secret)
                    .join(EnterpriseChannel, EnterpriseChannel.enterprise_id == Inspection.enterprise_id)
                    .where(Inspection.id.in_(webhook_inspections))
                )
                secrets = dict(rows.all())
        for note in due:
            error = None
            try:
                if note.channel == "email":
                    await send_email(self.settings, note)
                else:
                    secret = secrets.get(note.inspection_id) or ""
                    await send_webhook(
                        client, note, secret, int(wall_clock().timestamp()), self.settings.webhook_allowed_hosts
                    )
            except DeliveryError as exc:
                error = str(exc)
            await self.record(note, error)
        return bool(due)

    async def record(self, note: Notification, error: str | None) -> None:
        async with self.rt.transaction() as session:
            row = await session.get(Notification, note.id, with_for_update=True)
            if row is None or not NOTIFICATION.can(row.status, NotificationAction.SEND):
                return
            row.attempts += 1
            if error is None:
                row.status = NOTIFICATION.transition(row.status, NotificationAction.SEND)
                row.sent_at, row.last_error = self.rt.clock.now(), None
                event = await self.rt.outbox.emit(
                    session,
                    p.InspectionNotified(
                        inspection_id=row.inspection_id,
                        notification_id=row.id,
                        kind=row.kind,
                        channel=row.channel,  # type: ignore[arg-type]
                        recipient=row.recipient,
                        delivered_at=row.sent_at,
                        attempts=row.attempts,
                    ),
                    subject=row.inspection_id,
                    time=self.rt.clock.now(),
                )
                await InspectionRepository(session).record_timeline(event)
                return
            row.last_error = error
            if row.attempts >= self.settings.notification_max_attempts:
                row.status = NOTIFICATION.transition(row.status, NotificationAction.GIVE_UP)
                log.warning("notification %s dead after %d attempts: %s", row.id, row.attempts, error)
            else:
                backoff = self.settings.notification_backoff_s * 2 ** (row.attempts - 1)
                row.next_attempt_at = wall_clock() + timedelta(seconds=backoff)

    async def queue_reminders(self) -> None:
        """The day before the slot: a reminder with what is still missing for readiness."""
        from rvi_scheduling.service import SchedulingService  # the service composes the reminder

        now = self.rt.clock.now()
        lead = timedelta(hours=self.settings.reminder_lead_hours)
        async with self.rt.transaction() as session:
            ids = (
                (
                    await session.execute(
                        select(Inspection.id).where(REMINDER_DUE), {"now": now, "remind_until": now + lead}
                    )
                )
                .scalars()
                .all()
            )
            for inspection_id in ids:
                service = SchedulingService(session, self.rt.outbox, self.rt.clock, self.settings)
                inspection = await service.get(inspection_id, for_update=True)
                await service.remind(inspection)
            if ids:
                await session.execute(
                    update(Inspection).where(Inspection.id.in_(ids)).values(reminded_for=Inspection.slot_start)
                )

    async def check_no_shows(self) -> None:
        """Inspections still not ready `no_show_grace_minutes` after their slot started."""
        from rvi_scheduling.service import SchedulingService

        now = self.rt.clock.now()
        grace = timedelta(minutes=self.settings.no_show_grace_minutes)
        async with self.rt.transaction() as session:
            ids = (
                (
                    await session.execute(
                        select(Inspection.id).where(NO_SHOW_DUE).limit(BATCH).with_for_update(skip_locked=True),
                        {"no_show_before": now - grace},
                    )
                )
                .scalars()
                .all()
            )
            for inspection_id in ids:
                service = SchedulingService(session, self.rt.outbox, self.rt.clock, self.settings)
                await service.no_show(await service.get(inspection_id, for_update=True))
