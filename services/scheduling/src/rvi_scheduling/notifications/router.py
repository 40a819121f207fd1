from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field, HttpUrl
from sqlalchemy import select

from rvi_scheduling.dependencies import SchedulingRuntime
from rvi_scheduling.notifications.dispatcher import wall_clock
from rvi_scheduling.notifications.lifecycle import NOTIFICATION, NotificationAction, NotificationStatus
from rvi_scheduling.notifications.models import EnterpriseChannel, Notification
from rvi_scheduling.notifications.urls import UrlRefused, check_literal
from rvi_shared.auth import Principal, Role, ensure_enterprise_access, require_roles
from rvi_shared.errors import NotFound, Unprocessable
from rvi_shared.service import DbSession

router = APIRouter(tags=["notifications"])
ChannelEditors = require_roles(Role.SYSTEM, Role.ENTERPRISE)
Operators = require_roles(Role.OPERATOR)


class ChannelsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    webhook_url: HttpUrl | None = None
    webhook_secret: str | None = Field(default=None, min_length=16, max_length=255)


class ChannelsOut(BaseModel):
    enterprise_id: str
    email: str | None
    webhook_url: str | None
    webhook_secret_set: bool
    updated_at: datetime


class NotificationOut(BaseModel):
    id: str
    inspection_id: str
    kind: str
    channel: str
    recipient: str
    subject: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


@router.put("/v1/enterprises/{enterprise_id}/channels", response_model=ChannelsOut)
async def put_channels(
    enterprise_id: str,
    body: ChannelsIn,
    session: DbSession,
    rt: SchedulingRuntime,
    principal: Principal = Depends(ChannelEditors),
) -> ChannelsOut:
    """Where the enterprise receives notices (GACC-RVI 4(I)): e-mail, and a webhook whose requests
    carry `RVI-Signature: t=<unix>,v1=<HMAC-SHA256 of "t.body" with webhook_secret>`."""
    ensure_enterprise_access(principal, enterprise_id)
    if body.webhook_url is not None and not body.webhook_secret:
        raise Unprocessable("a webhook needs a webhook_secret to sign with", field="webhook_secret")
    if body.webhook_url is not None:
        try:
            check_literal(str(body.webhook_url), rt.settings.webhook_allowed_hosts)
        except UrlRefused as exc:
            raise Unprocessable(str(exc), field="webhook_url") from exc
    row = await session.get(EnterpriseChannel, enterprise_id)
    values = {
        "email": body.email,
        "webhook_url": str(body.webhook_url) if body.webhook_url else None,
        "webhook_secret": body.webhook_secret,
        "updated_at": rt.clock.now(),
    }
    if row is None:
        row = EnterpriseChannel(enterprise_id=enterprise_id, **values)
        session.add(row)
    else:
        for key, value in values.items():
            setattr(row, key, value)
    return ChannelsOut(
        enterprise_id=enterprise_id,
        email=row.email,
        webhook_url=row.webhook_url,
        webhook_secret_set=bool(row.webhook_secret),
        updated_at=row.updated_at,
    )


@router.get("/v1/notifications", response_model=list[NotificationOut])
async def list_notifications(
    session: DbSession,
    principal: Principal = Depends(Operators),
    status: NotificationStatus | None = None,
    inspection_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[NotificationOut]:
    """The notification outbox; `status=dead` is the dead-letter list."""
    stmt = select(Notification).order_by(Notification.created_at.desc()).limit(limit)
    if status:
        stmt = stmt.where(Notification.status == status)
    if inspection_id:
        stmt = stmt.where(Notification.inspection_id == inspection_id)
    return [NotificationOut.model_validate(n, from_attributes=True) for n in (await session.execute(stmt)).scalars()]


@router.post("/v1/notifications/{notification_id}/replay", response_model=NotificationOut)
async def replay(
    notification_id: str,
    session: DbSession,
    rt: SchedulingRuntime,
    principal: Principal = Depends(Operators),
) -> NotificationOut:
    """Operator: send a dead notification again (attempts start over). 409 unless it is dead."""
    row = await session.get(Notification, notification_id, with_for_update=True)
    if row is None:
        raise NotFound(f"notification {notification_id!r} not found")
    row.status = NOTIFICATION.transition(row.status, NotificationAction.REPLAY)
    row.attempts, row.next_attempt_at = 0, wall_clock()
    return NotificationOut.model_validate(row, from_attributes=True)
