from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from rvi_eligibility.adhoc import AdHocDecider
from rvi_eligibility.handlers import build_handlers
from rvi_eligibility.models import messaging
from rvi_eligibility.router import routers
from rvi_eligibility.settings import EligibilitySettings
from rvi_shared.clock import Clock
from rvi_shared.service import ServiceRuntime, create_service_app


def create_app(settings: EligibilitySettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or EligibilitySettings()
    app = create_service_app(
        settings=settings,
        title="rvi eligibility",
        description=(
            "Enterprise facts and remote video eligibility decisions: pilot districts (GACC-RVI 1), "
            "enterprise conditions (GACC-RVI 2), exclusions (GACC-RVI 3(I)-(IV)) and officers' "
            "judgement (GACC-RVI 3(V)), per task and per item, under versioned, effective-dated rule sets."
        ),
        tables=messaging,
        routers=routers,
        handlers=lambda outbox, the_clock: build_handlers(outbox, the_clock, settings),
        clock_override=clock,
    )
    service_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """The shared service lifespan, plus the connections of the single-decision hot path."""
        async with service_lifespan(app):
            rt: ServiceRuntime = app.state.runtime
            app.state.ad_hoc = await AdHocDecider.open(settings.database_url, settings.decision_pool_size, rt.clock)
            try:
                yield
            finally:
                await app.state.ad_hoc.close()

    app.router.lifespan_context = lifespan
    return app
