"""Run one service: migrate its schema, then serve it with uvicorn (used by deploy/ images)."""

from __future__ import annotations

import uvicorn

from rvi_shared.migrations import upgrade
from rvi_shared.settings import ServiceSettings


def serve(package: str, app_path: str, settings: ServiceSettings, migrate: bool = True) -> None:
    if migrate:
        upgrade(package, settings.database_url)
    uvicorn.run(
        app_path,
        factory=True,
        host=settings.host,
        port=settings.listen_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
