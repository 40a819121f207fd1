"""The signing side of the service in one place: renderer for stamps, signer provider,
TSA client, trust roots; built once per app."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.keys import load_cert_from_pemder
from pyhanko.sign import signers
from pyhanko.sign.general import SigningError
from pyhanko_certvalidator import ValidationContext

from rvi_documents.pki import hexstrings, pades
from rvi_documents.pki.ca import LocalCa
from rvi_documents.pki.signers import Pkcs11Signers, Pkcs12Signers, SignerProvider, SignerRef
from rvi_documents.pki.timestamps import HttpxTimeStamper, InProcessTimeStamper
from rvi_documents.pki.tsa import LocalTsa
from rvi_documents.pki.verification import VerificationReport, validation_context, verify_pdf
from rvi_documents.rendering import MM, Renderer, Slot, signature_boxes
from rvi_documents.settings import DocumentsSettings


@dataclass(frozen=True)
class StampText:
    title: str
    lines: Sequence[str]


def _offline_revocation(record: logging.LogRecord) -> bool:
    """pyHanko warns on every signature that it embeds revocation data without fetching: here
    that is the design (the local CA's CRL is given to it), not news."""
    return "fetching is not allowed" not in record.getMessage()


logging.getLogger("pyhanko.sign.signers.pdf_signer").addFilter(_offline_revocation)
hexstrings.install()


class Pki:
    def __init__(self, settings: DocumentsSettings, renderer: Renderer) -> None:
        self.settings = settings
        self.renderer = renderer
        self.ca = LocalCa(Path(settings.pki_dir))
        self.local_tsa: LocalTsa | None = None
        self._timestamper: HttpxTimeStamper | InProcessTimeStamper | None = None
        self._context: ValidationContext | None = None
        self._signing_context: ValidationContext | None = None
        self._signing_context_at = datetime.min.replace(tzinfo=UTC)
        self._reserved: weakref.WeakKeyDictionary[signers.Signer, int] = weakref.WeakKeyDictionary()
        self.signers: SignerProvider = (
            Pkcs11Signers(settings.pkcs11_lib, settings.pkcs11_token, settings.pkcs11_pin, settings.trust_roots)
            if settings.signer_backend == "pkcs11"
            else Pkcs12Signers(self.ca)
        )

    def start(self) -> None:
        """Readies the embedded TSA (its key, certificate and serial numbers) when no TSA is
        configured; it answers this process by call, not over HTTP."""
        if self.settings.tsa_url is None and self.local_tsa is None:
            local_tsa = LocalTsa(self.ca, Path(self.settings.pki_dir) / "tsa")
            local_tsa.prepare()
            self.local_tsa = local_tsa

    async def close(self) -> None:
        if self._timestamper is not None:
            await self._timestamper.aclose()
        if self.local_tsa is not None:
            self.local_tsa.stop()

    @property
    def timestamper(self) -> HttpxTimeStamper | InProcessTimeStamper:
        """The configured TSA over HTTP (`DocumentsSettings.tsa_url`), else the embedded one."""
        if self._timestamper is None:
            if self.settings.tsa_url is not None:
                self._timestamper = HttpxTimeStamper(self.settings.tsa_url, self.settings.tsa_timeout_s)
            else:
                self.start()
                assert self.local_tsa is not None
                self._timestamper = InProcessTimeStamper(self.local_tsa.answer)
        return self._timestamper

    def trust_roots(self) -> list[asn1_x509.Certificate]:
        roots = [asn1_x509.Certificate.load(self.ca.root_certificate().public_bytes(Encoding.DER))]
        roots += [load_cert_from_pemder(path) for path in self.settings.trust_roots]
        return roots

    def signing_context(self) -> ValidationContext:
        """Validation data embedded with each signature (PAdES B-LT): the chain and the local
        CA's CRL. Fetching is off: the local CA publishes nothing online."""
        now = datetime.now(UTC)
        if self._signing_context is None or now - self._signing_context_at > timedelta(hours=1):
            crl = self.ca.crl(now)
            self._signing_context = ValidationContext(
                trust_roots=self.trust_roots(), crls=[crl], allow_fetching=False, revocation_mode="soft-fail"
            )
            self._signing_context_at = now
        return self._signing_context

    async def _signed(self, signer: signers.Signer, sign: Callable[[int], Awaitable[bytes]]) -> bytes:
        """`sign` given the room for `signer`'s signature containers, estimated at its first
        signature; once more with a new estimate if pyHanko refuses the signature
        (`SigningError`) and the estimate grew (a TSA whose certificate chain grew, say)."""
        reserved = self._reserved.get(signer)
        if reserved is None:
            reserved = self._reserved[signer] = await pades.reserve(signer, self.timestamper)
        try:
            return await sign(reserved)
        except SigningError:
            fresh = self._reserved[signer] = await pades.reserve(signer, self.timestamper)
            if fresh <= reserved:
                raise
            return await sign(fresh)

    def _stamp(self, box: tuple[int, int, int, int], text: StampText) -> bytes:
        width_mm, height_mm = (box[2] - box[0]) / MM, (box[3] - box[1]) / MM
        return self.renderer.stamp(width_mm, height_mm, text.title, text.lines)

    async def certify(
        self, pdf: bytes, slots: Sequence[Slot], ref: SignerRef, reason: str, location: str, text: StampText
    ) -> bytes:
        boxes = signature_boxes(slots)
        first = slots[0].key
        signer = self.signers.signer(ref)
        fields = [pades.FieldBox(key, -1, box) for key, box in boxes.items()]
        signing = pades.Signing(first, reason, location, ref.common_name, self._stamp(boxes[first], text))
        return await self._signed(
            signer,
            lambda reserved: pades.certify(
                pdf, signer, self.timestamper, fields, signing, self.signing_context(), reserved
            ),
        )

    async def sign(
        self,
        pdf: bytes,
        slots: Sequence[Slot],
        slot: str,
        ref: SignerRef,
        signer_name: str,
        reason: str,
        location: str,
        text: StampText,
    ) -> bytes:
        box = signature_boxes(slots)[slot]
        signer = self.signers.signer(ref)
        signing = pades.Signing(slot, reason, location, signer_name, self._stamp(box, text))
        return await self._signed(
            signer,
            lambda reserved: pades.sign(pdf, signer, self.timestamper, signing, self.signing_context(), reserved),
        )

    async def verify(self, pdf: bytes) -> VerificationReport:
        if self._context is None:
            self._context = validation_context(self.trust_roots())
        return await verify_pdf(pdf, [], self._context)
