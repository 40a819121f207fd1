from __future__ import annotations

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_documents.service import DocumentsService
from rvi_documents.settings import DocumentsSettings
from rvi_shared.service import ServiceRuntime, db_session, runtime


def documents_service(
    session: AsyncSession = Depends(db_session), rt: ServiceRuntime = Depends(runtime)
) -> DocumentsService:
    assert isinstance(rt.settings, DocumentsSettings)
    return DocumentsService(session, rt.outbox, rt.clock, rt.settings)
