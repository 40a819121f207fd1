from __future__ import annotations

from fastapi import FastAPI

from rvi_shared.clock import Clock
from rvi_shared.service import create_service_app
from rvi_video_gateway.handlers import build_handlers
from rvi_video_gateway.models import messaging
from rvi_video_gateway.router import inspections_router, sessions_router
from rvi_video_gateway.settings import VideoGatewaySettings


def create_app(settings: VideoGatewaySettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or VideoGatewaySettings()
    return create_service_app(
        settings=settings,
        title="rvi video-gateway",
        description=(
            "Live inspection sessions: start after the notified slot (GACC-RVI 4(I)), key procedural steps "
            "on a hash-chained evidence manifest (GACC-RVI 4(III)), escalation on-site (GACC-RVI 5), end."
        ),
        tables=messaging,
        routers=[inspections_router, sessions_router],
        handlers=lambda outbox, the_clock: build_handlers(outbox, the_clock, settings),
        clock_override=clock,
    )
