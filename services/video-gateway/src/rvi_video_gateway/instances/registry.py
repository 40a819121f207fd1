"""The gateway registry (DESIGN: Scale): each instance registers, heartbeats its load, and can
be drained by an operator.

Heartbeat times are the database's `now()`, not the injected clock: liveness is a wall-clock
matter between processes, and one clock (the database's) keeps hosts with skewed clocks, or a
demo that moves the domain clock by days, from declaring live instances dead."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, Select, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_shared.errors import NotFound
from rvi_video_gateway.models import GatewayInstance, InspectionSession
from rvi_video_gateway.sessions.lifecycle import SessionState

MISSED_BEATS_BEFORE_DEAD = 3


@dataclass(frozen=True)
class Load:
    sessions: int
    feeds: int
    viewers: int
    bitrate_kbps: float
    cpu_pct: float


@dataclass(frozen=True)
class InstanceStatus:
    instance: GatewayInstance
    alive: bool


class GatewayRegistry:
    def __init__(self, session: AsyncSession, heartbeat_interval_s: float) -> None:
        self.session = session
        self.alive_within = timedelta(seconds=MISSED_BEATS_BEFORE_DEAD * heartbeat_interval_s)

    async def sessions_on(self, instance_id: str) -> int:
        result = await self.session.execute(
            select(func.count())
            .select_from(InspectionSession)
            .where(InspectionSession.instance_id == instance_id, InspectionSession.state == SessionState.IN_PROGRESS)
        )
        return int(result.scalar_one())

    async def beat(self, instance_id: str, advertised_url: str, load: Load, first: bool) -> None:
        """The first beat of a process (re)registers: a restarted instance starts afresh, not drained."""
        now = func.now()
        reported = {
            "advertised_url": advertised_url,
            "last_heartbeat_at": now,
            "sessions": load.sessions,
            "feeds": load.feeds,
            "viewers": load.viewers,
            "bitrate_kbps": load.bitrate_kbps,
            "cpu_pct": load.cpu_pct,
        }
        restart = {"started_at": now, "draining": False} if first else {}
        await self.session.execute(
            insert(GatewayInstance)
            .values(instance_id=instance_id, started_at=now, draining=False, **reported)
            .on_conflict_do_update(index_elements=[GatewayInstance.instance_id], set_={**reported, **restart})
        )

    def _is_alive(self) -> ColumnElement[bool]:
        return GatewayInstance.last_heartbeat_at >= func.now() - self.alive_within

    def alive_ids(self, other_than: str) -> Select[tuple[str]]:
        """The ids of the other instances that beat recently."""
        return select(GatewayInstance.instance_id).where(self._is_alive(), GatewayInstance.instance_id != other_than)

    def _with_alive(self) -> Select[tuple[GatewayInstance, bool]]:
        alive = self._is_alive().label("alive")
        return select(GatewayInstance, alive).execution_options(populate_existing=True)

    async def instances(self) -> Sequence[InstanceStatus]:
        result = await self.session.execute(self._with_alive().order_by(GatewayInstance.instance_id))
        return [InstanceStatus(row.GatewayInstance, bool(row.alive)) for row in result]

    async def instance(self, instance_id: str) -> InstanceStatus:
        result = await self.session.execute(self._with_alive().where(GatewayInstance.instance_id == instance_id))
        row = result.one_or_none()
        if row is None:
            raise NotFound(f"gateway instance {instance_id!r} not found")
        return InstanceStatus(row.GatewayInstance, bool(row.alive))

    async def drain(self, instance_id: str) -> InstanceStatus:
        """Marks the instance so placement sends it no new sessions; the ones it holds run to their end."""
        await self.session.execute(
            update(GatewayInstance).where(GatewayInstance.instance_id == instance_id).values(draining=True)
        )
        return await self.instance(instance_id)
