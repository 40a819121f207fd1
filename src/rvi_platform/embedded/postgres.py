"""Embedded PostgreSQL (the pgserver wheel) for the single-machine default and for tests."""

from __future__ import annotations

import asyncio
import atexit
from pathlib import Path
from typing import Any

import asyncpg

from rvi_shared.db import asyncpg_dsn


class EmbeddedPostgres:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._server: Any = None

    def start(self) -> str:
        """Start (or reuse) the server; returns an asyncpg URL of its `postgres` database."""
        import pgserver

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._server = pgserver.get_server(self.data_dir, cleanup_mode="stop")
        return f"postgresql+asyncpg://postgres@/postgres?host={self.data_dir}"

    @property
    def pid(self) -> int | None:
        """The postmaster's process id (first line of `postmaster.pid`), if it runs."""
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            # Done now: pgserver's own exit hook would only take its lock again, re-creating the
            # lock file in the runtime folder after the caller may have removed it.
            atexit.unregister(self._server._cleanup)
            self._server = None


def with_database(url: str, name: str) -> str:
    scheme, _, rest = url.partition("://")
    authority, _, tail = rest.partition("/")
    _, query_sep, query = tail.partition("?")
    return f"{scheme}://{authority}/{name}{query_sep}{query}"


async def ensure_database(admin_url: str, name: str) -> str:
    """Create database `name` if missing; returns its URL."""
    conn = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(admin_url, name)


def ensure_database_sync(admin_url: str, name: str) -> str:
    return asyncio.run(ensure_database(admin_url, name))
