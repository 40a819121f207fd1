from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from rvi_documents.pki.runtime import Pki
from rvi_documents.service import DocumentsService
from rvi_documents.settings import DocumentsSettings
from rvi_shared.service import DbSession, ServiceRuntime, runtime_of

DocumentsRuntime = Annotated[ServiceRuntime[DocumentsSettings], Depends(runtime_of(DocumentsSettings))]


def pki(request: Request) -> Pki:
    return request.app.state.pki  # type: ignore[no-any-return]


async def documents_service(session: DbSession, rt: DocumentsRuntime, the_pki: Pki = Depends(pki)) -> DocumentsService:
    return DocumentsService(session, rt.outbox, rt.clock, rt.settings, the_pki)
