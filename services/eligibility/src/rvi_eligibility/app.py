from __future__ import annotations

from fastapi import FastAPI

from rvi_eligibility.api import routers
from rvi_eligibility.decisions.handlers import build_handlers
from rvi_eligibility.decisions.rechecks import DueRechecks
from rvi_eligibility.models import messaging
from rvi_eligibility.settings import EligibilitySettings
from rvi_shared.clock import Clock
from rvi_shared.service import ServiceRuntime, create_service_app


async def on_startup(app: FastAPI, rt: ServiceRuntime[EligibilitySettings]) -> None:
    rechecks = DueRechecks(rt)
    rt.every("eligibility-due-rechecks", rt.settings.recheck_interval_s, rechecks.tick)


def create_app(settings: EligibilitySettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or EligibilitySettings()
    return create_service_app(
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
        on_startup=on_startup,
    )
