from __future__ import annotations

import asyncio

from fastapi import FastAPI

from rvi_documents.delivery_router import router as delivery_router
from rvi_documents.handlers import build_handlers
from rvi_documents.models import messaging
from rvi_documents.pki.runtime import Pki
from rvi_documents.rendering import Renderer
from rvi_documents.router import router
from rvi_documents.settings import DocumentsSettings
from rvi_documents.timers import Timers
from rvi_documents.uploads_router import router as uploads_router
from rvi_shared.clock import Clock
from rvi_shared.service import ServiceRuntime, create_service_app


def create_app(settings: DocumentsSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or DocumentsSettings()
    pki = Pki(settings, Renderer())

    async def on_startup(app: FastAPI, rt: ServiceRuntime[DocumentsSettings]) -> None:
        await asyncio.to_thread(pki.start)
        app.state.pki = pki
        timers = Timers(rt, pki)

        async def run_timers() -> None:
            try:
                await timers.run()
            finally:
                await pki.close()

        rt.start("documents-timers", run_timers())

    return create_service_app(
        settings=settings,
        title="rvi documents",
        description="The legal documents of a verification (GACC-RVI 4(IV); GACC Announcement 2018 No.195): "
        "rendered in Chinese with English, PAdES-signed and sealed, time-stamped, served.",
        tables=messaging,
        routers=[router, uploads_router, delivery_router],
        handlers=lambda outbox, the_clock: build_handlers(outbox, the_clock, settings, pki),
        clock_override=clock,
        on_startup=on_startup,
    )
