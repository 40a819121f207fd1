from __future__ import annotations

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_shared.service import ServiceRuntime, db_session, runtime
from rvi_video_gateway.service import GatewayService
from rvi_video_gateway.settings import VideoGatewaySettings


def gateway_service(
    session: AsyncSession = Depends(db_session), rt: ServiceRuntime = Depends(runtime)
) -> GatewayService:
    assert isinstance(rt.settings, VideoGatewaySettings)
    return GatewayService(session, rt.outbox, rt.clock, rt.settings)
