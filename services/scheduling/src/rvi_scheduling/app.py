from __future__ import annotations

from fastapi import FastAPI

from rvi_scheduling.calendar.router import router as calendar_router
from rvi_scheduling.handlers import build_handlers
from rvi_scheduling.listing_router import router as listing_router
from rvi_scheduling.models import messaging
from rvi_scheduling.notifications.dispatcher import Dispatcher
from rvi_scheduling.notifications.router import router as notifications_router
from rvi_scheduling.rosters.router import router as rosters_router
from rvi_scheduling.router import router
from rvi_scheduling.settings import SchedulingSettings
from rvi_shared.clock import Clock
from rvi_shared.service import ServiceRuntime, create_service_app


def create_app(settings: SchedulingSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or SchedulingSettings()

    async def start_dispatcher(app: FastAPI, rt: ServiceRuntime[SchedulingSettings]) -> None:
        if settings.notifications_enabled:
            rt.start("scheduling-notifications", Dispatcher(rt).run())

    return create_service_app(
        settings=settings,
        title="rvi scheduling",
        description=(
            "Inspection tasks and their lifecycle: request, notice (GACC-RVI 4(I)), readiness, completion; "
            "the official working calendar (DOMAIN 9), officer rosters and team assignment."
        ),
        tables=messaging,
        routers=[listing_router, router, calendar_router, rosters_router, notifications_router],
        handlers=lambda outbox, the_clock: build_handlers(outbox, the_clock, settings),
        clock_override=clock,
        on_startup=start_dispatcher,
    )
