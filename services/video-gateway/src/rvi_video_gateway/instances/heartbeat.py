"""The background task that registers this gateway instance and heartbeats its load."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rvi_shared.db import transaction
from rvi_video_gateway import metrics
from rvi_video_gateway.instances.registry import GatewayRegistry, Load
from rvi_video_gateway.settings import VideoGatewaySettings


class MediaLoad(Protocol):
    """What the media plane reports for the heartbeat (its own `MediaPlane.load()` result)."""

    @property
    def feeds(self) -> int: ...
    @property
    def viewers(self) -> int: ...
    @property
    def bitrate_kbps(self) -> float: ...


class CpuMeter:
    """This process's CPU time over wall time since the last reading: percent of one core."""

    def __init__(self) -> None:
        self._cpu, self._wall = time.process_time(), time.monotonic()

    def percent(self) -> float:
        cpu, wall = time.process_time(), time.monotonic()
        used, elapsed = cpu - self._cpu, wall - self._wall
        self._cpu, self._wall = cpu, wall
        return round(100.0 * used / elapsed, 2) if elapsed > 0 else 0.0


class Heartbeat:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: VideoGatewaySettings,
        media: Callable[[], MediaLoad],
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.media = media
        self.cpu = CpuMeter()
        self._registered = False

    async def beat(self) -> Load:
        media = self.media()
        async with transaction(self.sessions) as session:
            registry = GatewayRegistry(session, self.settings.heartbeat_interval_s)
            load = Load(
                sessions=await registry.sessions_on(self.settings.instance_id),
                feeds=media.feeds,
                viewers=media.viewers,
                bitrate_kbps=media.bitrate_kbps,
                cpu_pct=self.cpu.percent(),
            )
            await registry.beat(self.settings.instance_id, self.settings.advertised, load, first=not self._registered)
        self._registered = True
        metrics.SESSIONS.set(load.sessions)
        metrics.FEEDS.set(load.feeds)
        metrics.VIEWERS.set(load.viewers)
        return load
