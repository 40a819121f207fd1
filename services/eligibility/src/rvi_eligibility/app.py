from __future__ import annotations

from fastapi import FastAPI

from rvi_eligibility.handlers import build_handlers
from rvi_eligibility.models import messaging
from rvi_eligibility.router import routers
from rvi_eligibility.settings import EligibilitySettings
from rvi_shared.clock import Clock
from rvi_shared.service import create_service_app


def create_app(settings: EligibilitySettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or EligibilitySettings()
    return create_service_app(
        settings=settings,
        title="rvi eligibility",
        description=(
            "Enterprise facts and remote video eligibility decisions: pilot districts (GACC-RVI 1), "
            "enterprise conditions (GACC-RVI 2) and exclusions (GACC-RVI 3(I)-(IV)), per task and per item."
        ),
        tables=messaging,
        routers=routers,
        handlers=lambda outbox, the_clock: build_handlers(outbox, the_clock, settings),
        clock_override=clock,
    )
