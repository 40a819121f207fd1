from __future__ import annotations

from fastapi import Depends

from rvi_shared.service import DbSession, ServiceRuntime, runtime
from rvi_video_gateway.service import GatewayService
from rvi_video_gateway.settings import VideoGatewaySettings


async def gateway_service(session: DbSession, rt: ServiceRuntime = Depends(runtime)) -> GatewayService:
    assert isinstance(rt.settings, VideoGatewaySettings)
    return GatewayService(session, rt.outbox, rt.clock, rt.settings)
