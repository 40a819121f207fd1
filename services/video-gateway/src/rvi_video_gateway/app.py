from __future__ import annotations

import asyncio

from fastapi import FastAPI

from rvi_shared.clock import Clock
from rvi_shared.service import ServiceRuntime, create_service_app
from rvi_video_gateway.handlers import build_handlers
from rvi_video_gateway.heartbeat import Heartbeat
from rvi_video_gateway.models import messaging
from rvi_video_gateway.router import gateways_router, inspections_router, sessions_router
from rvi_video_gateway.settings import VideoGatewaySettings
from rvi_video_gateway.signing import load_signer


def create_app(settings: VideoGatewaySettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or VideoGatewaySettings()

    async def start_gateway(app: FastAPI, rt: ServiceRuntime) -> None:
        # A bad key stops startup; the heartbeat is stopped and awaited with the runtime's tasks.
        app.state.signer = await asyncio.to_thread(load_signer, settings)
        heartbeat = Heartbeat(rt.sessions, settings)
        rt.tasks.append(asyncio.create_task(heartbeat.run(rt.stop), name="video-gateway-heartbeat"))

    return create_service_app(
        settings=settings,
        title="rvi video-gateway",
        description=(
            "Live inspection sessions: start after the notified slot (GACC-RVI 4(I)), key procedural steps "
            "and the location check on a hash-chained evidence manifest signed at the end (GACC-RVI 4(III)), "
            "escalation on-site (GACC-RVI 5), end; the registry of gateway instances and their load."
        ),
        tables=messaging,
        routers=[inspections_router, sessions_router, gateways_router],
        handlers=lambda outbox, the_clock: build_handlers(outbox, the_clock, settings),
        clock_override=clock,
        on_startup=start_gateway,
    )
