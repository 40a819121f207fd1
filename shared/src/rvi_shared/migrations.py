"""Alembic per service, each in its own schema (called from each service's migrations/env.py)."""

from __future__ import annotations

import asyncio
import zlib

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from rvi_shared.db import async_url


def run_env(metadata: MetaData, schema: str) -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not set"

    def include_name(name: str | None, type_: str, parent_names: object) -> bool:
        return type_ != "schema" or name == schema

    def run(connection: object) -> None:
        context.configure(
            connection=connection,  # type: ignore[arg-type]
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=True,
            include_name=include_name,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = create_async_engine(async_url(url), poolclass=NullPool)
        async with engine.connect() as conn:
            # Replicas of one service start together: one migrates, the others wait, then find it done.
            await conn.execute(
                text("SELECT pg_advisory_lock(:key)"), {"key": zlib.crc32(f"rvi-migrate-{schema}".encode())}
            )
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            await conn.commit()
            await conn.run_sync(run)
            await conn.commit()
        await engine.dispose()

    asyncio.run(main())


def alembic_config(package: str, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", f"{package}:migrations")
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def upgrade(package: str, database_url: str, revision: str = "head") -> None:
    """Synchronous (Alembic runs its own loop): from async code use asyncio.to_thread."""
    command.upgrade(alembic_config(package, database_url), revision)
