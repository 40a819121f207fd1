"""Timers of the documents service: seals waiting for the TSA are retried when due; documents
not served by their deadline are flagged (DOMAIN 7); evidence manifests are time-stamped when
the TSA could not take them at the end of the session."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rvi_documents.delivery import Service
from rvi_documents.pki.runtime import Pki
from rvi_documents.service import AWAITING_SEAL, DocumentsService
from rvi_documents.settings import DocumentsSettings
from rvi_shared.background import run_periodically
from rvi_shared.service import ServiceRuntime


class Timers:
    def __init__(self, rt: ServiceRuntime[DocumentsSettings], pki: Pki) -> None:
        self.rt = rt
        self.pki = pki

    def _documents(self, session: AsyncSession) -> DocumentsService:
        return DocumentsService(session, self.rt.outbox, self.rt.clock, self.rt.settings, self.pki)

    async def tick(self) -> int:
        """Retry every due seal, one transaction each; returns how many were attempted."""
        done = 0
        while True:
            async with self.rt.transaction() as session:
                if not await self._documents(session).retry_due_seal():
                    break
            done += 1
        async with self.rt.transaction() as session:
            await Service(self._documents(session)).flag_overdue()
        async with self.rt.transaction() as session:
            await self._documents(session).retry_manifest_timestamps()
        async with self.rt.sessions() as session:
            AWAITING_SEAL.set(await self._documents(session).repo.count_awaiting_seal())
        return done

    async def run(self) -> None:
        async def tick() -> None:
            await self.tick()

        await run_periodically("documents timers", tick, self.rt.settings.timer_interval_s, self.rt.stop)
