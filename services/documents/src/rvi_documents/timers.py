"""Timers of the documents service: seals waiting for the TSA are retried when due (checked every
`timer_interval_s`); documents not served by their deadline are flagged (DOMAIN 7), evidence
manifests are time-stamped when the TSA could not take them at the end of the session, and the
awaiting-seal gauge is refreshed (every `housekeeping_interval_s`: deadlines are counted in days,
and a manifest's retry needs no second's precision)."""

from __future__ import annotations

import asyncio

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

    async def retry_due_seal(self) -> bool:
        """Retry one due seal in its own transaction; False when none is due."""
        async with self.rt.transaction() as session:
            return await self._documents(session).retry_due_seal()

    async def housekeeping(self) -> None:
        """Flag overdue service, time-stamp waiting manifests, refresh the awaiting-seal gauge."""
        async with self.rt.transaction() as session:
            await Service(self._documents(session)).flag_overdue()
        async with self.rt.transaction() as session:
            await self._documents(session).retry_manifest_timestamps()
        async with self.rt.sessions() as session:
            AWAITING_SEAL.set(await self._documents(session).repo.count_awaiting_seal())

    async def run(self) -> None:
        """The seals every `timer_interval_s` (at once again while one was due), the housekeeping
        every `housekeeping_interval_s`, until the service stops."""
        stop = self.rt.stop
        await asyncio.gather(
            run_periodically("documents seals", self.retry_due_seal, self.rt.settings.timer_interval_s, stop),
            run_periodically(
                "documents housekeeping", self.housekeeping, self.rt.settings.housekeeping_interval_s, stop
            ),
        )
