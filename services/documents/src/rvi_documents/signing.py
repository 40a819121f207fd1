"""Signatures after the customs seal (GACC-RVI 4(IV); DOMAIN 7): the officers of the team, then
the enterprise, either accepting in the platform (its seal held for it, with the signing audit)
or uploading the document signed with its own certificate. Each is a PAdES signature with an
RFC 3161 time-stamp in a new revision; out of turn or twice is 409 naming the expected signer."""

from __future__ import annotations

from datetime import datetime

from rvi_documents import forms
from rvi_documents.kinds import ENTERPRISE, office_names, officer_slot
from rvi_documents.lifecycle import DocumentAction, DocumentState, transition
from rvi_documents.models import Document, Inspection
from rvi_documents.pki.runtime import StampText
from rvi_documents.pki.signers import SignerRef
from rvi_documents.service import DocumentsService
from rvi_shared.errors import Conflict, Forbidden, Unprocessable
from rvi_shared.events import payloads as p


class Signatures:
    """Each method changes `document` (read by `DocumentsService.document_to_sign`, outside the
    session) and adds its revision; the caller writes the document back (`repo.save_signed`)."""

    def __init__(self, documents: DocumentsService) -> None:
        self.documents = documents

    def _check_turn(self, document: Document, slot: str) -> None:
        if document.state not in (DocumentState.ISSUED, DocumentState.SIGNING):
            transition(document.state, DocumentAction.SIGN)  # raises 409 naming the state
        expected = self.documents.expected(document)
        if slot not in {s.key for s in expected}:
            names = ", ".join(f"{s.key} ({s.label_zh})" for s in expected)
            already = slot in (document.signed_slots or [])
            raise Conflict(
                f"{slot} has already signed; expected signer: {names}"
                if already
                else f"not {slot}'s turn; expected signer: {names}",
                expected_signer=[s.key for s in expected],
                current_state=document.state,
            )

    async def sign_as_officer(self, document: Document, credential_no: str, remote_addr: str | None) -> Document:
        """An officer of the team signs (PAdES, time-stamped); 409 naming the expected signer."""
        slot = officer_slot(credential_no)
        if slot not in {s.key for group in self.documents.order(document) for s in group}:
            raise Forbidden(f"officer {credential_no} is not a signer of document {document.document_id}")
        self._check_turn(document, slot)
        inspection = await self.documents.inspection_view(document.inspection_id)
        name = officer_name(inspection, credential_no)
        issuer_zh, _ = office_names(document.customs or "")
        pdf = await self.documents.pdf(document)
        signed = await self.documents.pki.sign(
            pdf, [s for group in self.documents.order(document) for s in group], slot,
            SignerRef("officer", credential_no, name, issuer_zh), name,
            reason="执法人员签名 officer's signature", location=issuer_zh,
            text=StampText(name, [f"执法证号 {credential_no}", forms.local_time(self.documents.clock.now(), self.documents.settings.timezone)]),
        )  # fmt: skip
        document.state = transition(document.state, DocumentAction.SIGN)
        await self.documents.add_revision(document, signed, slot, credential_no, name, remote_addr)
        if not self.documents.expected(document):
            await self.documents.complete(document)
        return document

    async def accept_as_enterprise(
        self, document: Document, signer_name: str, seal: str | None, subject: str, remote_addr: str | None
    ) -> Document:
        """The enterprise accepts in the platform; the platform applies the enterprise's seal held
        for it, its appearance carrying the audit (who, when, from where, SHA-256 of each revision)."""
        self._check_turn(document, ENTERPRISE)
        inspection = await self.documents.inspection_view(document.inspection_id)
        now = self.documents.clock.now()
        revisions = await self.documents.repo.revisions(document.document_id)
        audit = [
            f"签章人 signed by: {signer_name}（账户 account {subject}）",
            f"时间 at: {forms.local_time(now, self.documents.settings.timezone, True)}",
            f"来源 from: {remote_addr or 'unknown'}",
            f"印章 seal: {seal or inspection.enterprise_name}",
            *(f"第{r.number}版 revision {r.number} SHA-256 {r.sha256}" for r in revisions),
        ]
        pdf = await self.documents.pdf(document)
        signed = await self.documents.pki.sign(
            pdf, [s for group in self.documents.order(document) for s in group], ENTERPRISE,
            SignerRef("enterprise_seal", inspection.enterprise_id, inspection.enterprise_name, inspection.enterprise_name),
            signer_name, reason="被检查单位确认并签章 accepted and sealed by the enterprise",
            location=inspection.enterprise_name,
            text=StampText(f"{inspection.enterprise_name} 签章 · 审计 audit", audit),
        )  # fmt: skip
        document.state = transition(document.state, DocumentAction.SIGN)
        sha256 = await self.documents.add_revision(document, signed, ENTERPRISE, subject, signer_name, remote_addr)
        await self._enterprise_signed(document, signer_name, seal or inspection.enterprise_name, sha256, now)
        return document

    async def accept_signed_revision(
        self, document: Document, pdf: bytes, subject: str, remote_addr: str | None
    ) -> Document:
        """The enterprise uploads the document signed with its own certificate (its signature or
        seal in the `enterprise` field). Accepted only as an incremental revision of the current
        bytes, with every signature intact, valid, trusted and time-stamped and no change but the
        signature (DocMDP); else 422 with the reason."""
        self._check_turn(document, ENTERPRISE)
        current = await self.documents.pdf(document)
        if len(pdf) <= len(current) or not pdf.startswith(current):
            raise Unprocessable(
                "the upload is not an incremental revision of the current document: its content was changed",
                field="body",
            )
        report = await self.documents.pki.verify(pdf)
        if len(report.signatures) != len(document.signed_slots or []) + 1:
            raise Unprocessable(
                f"expected exactly one new signature; problems: {'; '.join(report.problems)}", field="body"
            )
        new = report.signatures[-1]
        reason = None
        if new.field != ENTERPRISE:
            reason = f"the new signature is in field {new.field!r}, not 'enterprise'"
        elif not (new.intact and new.valid):
            reason = "the enterprise's signature is broken (its digest or signature does not verify)"
        elif not new.trusted:
            reason = f"the signer's certificate chain is not trusted: {new.signer}"
        elif not (new.timestamped and new.timestamp_valid):
            reason = "the enterprise's signature carries no valid RFC 3161 time-stamp"
        elif new.docmdp_ok is False or new.modification_level not in (None, "NONE", "LTA_UPDATES", "FORM_FILLING"):
            reason = f"the revision changes the document beyond its signature ({new.modification_level})"
        elif not report.valid:
            reason = "; ".join(report.problems)
        if reason is not None:
            raise Unprocessable(reason, field="body")
        now = self.documents.clock.now()
        document.state = transition(document.state, DocumentAction.SIGN)
        sha256 = await self.documents.add_revision(document, pdf, ENTERPRISE, subject, new.signer, remote_addr)
        await self._enterprise_signed(document, new.signer, new.signer, sha256, now)
        return document

    async def _enterprise_signed(
        self, document: Document, signer_name: str, seal: str, sha256: str, now: datetime
    ) -> None:
        document.signer_name = signer_name
        document.seal = seal
        document.signed_at = now
        await self.documents.outbox.emit(
            self.documents.session,
            p.DocumentSigned(
                document_id=str(document.document_id),
                inspection_id=document.inspection_id,
                enterprise_id=document.enterprise_id,
                signer_name=signer_name,
                seal=seal,
                signed_sha256=sha256,
                signed_at=now,
            ),
            subject=document.inspection_id,
            time=now,
        )
        if not self.documents.expected(document):
            await self.documents.complete(document)


def officer_name(inspection: Inspection, credential_no: str) -> str:
    for officer in [*(inspection.team or []), *inspection.officers]:
        if officer["credential_no"] == credential_no:
            return str(officer["name"])
    return credential_no
