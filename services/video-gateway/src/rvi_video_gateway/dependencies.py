from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from rvi_shared.service import DbSession, ServiceRuntime, runtime_of
from rvi_video_gateway.instances.registry import GatewayRegistry
from rvi_video_gateway.media.service import MediaService
from rvi_video_gateway.sessions.service import SessionService
from rvi_video_gateway.sessions.signing import ManifestSigner
from rvi_video_gateway.settings import VideoGatewaySettings

GatewayRuntime = Annotated[ServiceRuntime[VideoGatewaySettings], Depends(runtime_of(VideoGatewaySettings))]


async def gateway_settings(rt: GatewayRuntime) -> VideoGatewaySettings:
    return rt.settings


async def signer(request: Request) -> ManifestSigner:
    return request.app.state.signer


async def gateway_service(
    session: DbSession,
    rt: GatewayRuntime,
    settings: VideoGatewaySettings = Depends(gateway_settings),
    the_signer: ManifestSigner = Depends(signer),
) -> SessionService:
    return SessionService(session, rt.outbox, rt.clock, settings, the_signer)


async def gateway_registry(
    session: DbSession, settings: VideoGatewaySettings = Depends(gateway_settings)
) -> GatewayRegistry:
    return GatewayRegistry(session, settings.heartbeat_interval_s)


async def media_service(request: Request, service: SessionService = Depends(gateway_service)) -> MediaService:
    return MediaService(service, request.app.state.media_plane, request.app.state.media_tokens)
