from __future__ import annotations

from fastapi import Depends

from rvi_documents.service import DocumentsService
from rvi_documents.settings import DocumentsSettings
from rvi_shared.service import DbSession, ServiceRuntime, runtime


async def documents_service(session: DbSession, rt: ServiceRuntime = Depends(runtime)) -> DocumentsService:
    assert isinstance(rt.settings, DocumentsSettings)
    return DocumentsService(session, rt.outbox, rt.clock, rt.settings)
