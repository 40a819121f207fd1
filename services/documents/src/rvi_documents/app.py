from __future__ import annotations

from fastapi import FastAPI

from rvi_documents.handlers import build_handlers
from rvi_documents.models import messaging
from rvi_documents.router import router
from rvi_documents.settings import DocumentsSettings
from rvi_shared.clock import Clock
from rvi_shared.service import create_service_app


def create_app(settings: DocumentsSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or DocumentsSettings()
    return create_service_app(
        settings=settings,
        title="rvi documents",
        description="Legal documents prepared from the results and signed and sealed by the enterprise (GACC-RVI 4(IV)).",
        tables=messaging,
        routers=[router],
        handlers=lambda outbox, the_clock: build_handlers(outbox, the_clock, settings),
        clock_override=clock,
    )
