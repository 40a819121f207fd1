"""Timers of the documents service: seals waiting for the TSA are retried when due; documents
not served by their deadline are flagged (DOMAIN 7); evidence manifests are time-stamped when
the TSA could not take them at the end of the session."""

from __future__ import annotations

import asyncio
import logging

from rvi_documents.delivery import Service
from rvi_documents.pki.runtime import Pki
from rvi_documents.service import AWAITING_SEAL, DocumentsService
from rvi_documents.settings import DocumentsSettings
from rvi_shared.service import ServiceRuntime

log = logging.getLogger("rvi.documents.timers")


class Timers:
    def __init__(self, rt: ServiceRuntime, settings: DocumentsSettings, pki: Pki) -> None:
        self.rt = rt
        self.settings = settings
        self.pki = pki

    async def tick(self) -> int:
        """Retry every due seal, one transaction each; returns how many were attempted."""
        done = 0
        while True:
            async with self.rt.sessions() as session, session.begin():
                service = DocumentsService(session, self.rt.outbox, self.rt.clock, self.settings, self.pki)
                if not await service.retry_due_seal():
                    break
            done += 1
        async with self.rt.sessions() as session, session.begin():
            documents = DocumentsService(session, self.rt.outbox, self.rt.clock, self.settings, self.pki)
            await Service(documents).flag_overdue()
        async with self.rt.sessions() as session, session.begin():
            documents = DocumentsService(session, self.rt.outbox, self.rt.clock, self.settings, self.pki)
            await documents.retry_manifest_timestamps()
        async with self.rt.sessions() as session:
            waiting = await DocumentsService(
                session, self.rt.outbox, self.rt.clock, self.settings, self.pki
            ).repo.count_awaiting_seal()
        AWAITING_SEAL.set(waiting)
        return done

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:  # a failed tick is retried at the next one
                log.exception("documents timer tick failed")
            try:
                await asyncio.wait_for(stop.wait(), self.settings.timer_interval_s)
            except TimeoutError:
                pass
