"""PAdES signatures as incremental revisions (ETSI EN 319 142-1 baseline B-T, B-LT), with pyHanko.

Where the signer's revocation information is at hand (the local CA's CRL), it is embedded in the
document security store of the signature's own revision (B-LT), without a VRI dictionary: that is
optional in EN 319 142-1, and writing it takes a revision of its own after the signature. The
first signature certifies the document (DocMDP, ISO 32000-1 12.8.2.2, P=2: later signatures and
form filling only) and creates every signature field of the kind's signing order in the same
revision, so that later signers only fill their own field. Every signature carries an RFC 3161
signature time-stamp from the configured TSA.

The room reserved for each signature container is the size of a dry-run signature with a real
time-stamp, plus a margin (pyHanko adds half again instead), made once per signer by `reserve`
and given to every later signature of that signer instead of being made again for each.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO

from cryptography.hazmat.primitives import hashes
from pyhanko.pdf_utils import content
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import MDPPerm, SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes, select_suitable_signing_md
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import ValidationContext

MARGIN = 2048
"""Hex digits (1 KiB of DER) reserved beyond the dry-run container."""


@dataclass(frozen=True)
class FieldBox:
    """A signature field: its name and rectangle (PDF points, origin bottom-left) on a page."""

    name: str
    page: int
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class Signing:
    """One signature: its field, PDF /Reason, /Location and /Name, and its visible stamp (a
    one-page PDF of the field's size, rendered with typst in the pinned CJK font)."""

    field: str
    reason: str
    location: str
    signer_name: str
    stamp_pdf: bytes


class _Revision(IncrementalPdfFileWriter):
    """An incremental revision that leaves the document's metadata (the /Info dictionary and the
    XMP stream) as rendered. pyHanko sets ModDate and Producer in both at every write, parsing and
    rewriting the whole XMP packet; ModDate is optional (ISO 32000-1 14.3.3), PDF/A-2 (ISO 19005-2)
    asks only that /Info and XMP agree, and each signature's time is its RFC 3161 time-stamp.
    pyHanko has no option for this, hence its `_update_meta` step overridden."""

    def _update_meta(self) -> None:
        pass


class _StampPage(content.ImportedPdfPage):
    """The stamp's one page imported as a form XObject from bytes, as pyHanko's
    `ImportedPdfPage` does from a file (`StaticStampStyle.from_pdf_file`)."""

    def __init__(self, pdf: bytes) -> None:
        super().__init__(file_name=None)
        self.pdf = pdf

    def render(self) -> bytes:
        xobject = self._ensure_writer.import_page_as_xobject(PdfFileReader(BytesIO(self.pdf)), page_ix=0)
        name = "/Import" + uuid.uuid4().hex
        self.resources.xobject[name] = xobject
        x1, y1, x2, y2 = xobject.get_object()["/BBox"]
        self.box = BoxConstraints(width=abs(x1 - x2), height=abs(y1 - y2))
        return name.encode("ascii") + b" Do"


async def reserve(signer: signers.Signer, timestamper: TimeStamper) -> int:
    """Bytes to reserve for `signer`'s PAdES signature containers (hex, as in /Contents): the hex
    length of a dry-run CMS as pyHanko makes it to estimate when given none
    (`PdfSigningSession.estimate_signature_container_size`), with the chain, the signed attributes
    and a real time-stamp token of the TSA, plus `MARGIN` for what varies between signatures (the
    token's serial number, nonce and time, ECDSA signatures' DER lengths)."""
    assert signer.signing_cert is not None
    md = select_suitable_signing_md(signer.signing_cert.public_key)
    cms = await signer.async_sign(
        hashes.Hash(get_pyca_cryptography_hash(md)).finalize(),
        md,
        use_pades=True,
        dry_run=True,
        timestamper=timestamper,
        signed_attr_settings=PdfCMSSignedAttributes(signing_time=datetime.now(UTC)),
    )
    return len(cms.dump()) * 2 + MARGIN


async def certify(
    pdf: bytes,
    signer: signers.Signer,
    timestamper: TimeStamper,
    field_boxes: Sequence[FieldBox],
    signing: Signing,
    validation: ValidationContext | None = None,
    bytes_reserved: int | None = None,
) -> bytes:
    """The certification signature (first revision after the rendered PDF); `bytes_reserved`
    from `reserve` (None: pyHanko estimates it)."""
    writer = _Revision(BytesIO(pdf), strict=False)
    for spec in field_boxes:
        fields.append_signature_field(writer, SigFieldSpec(sig_field_name=spec.name, on_page=spec.page, box=spec.box))
    return await _sign(writer, signer, timestamper, signing, validation, bytes_reserved, certify=True)


async def sign(
    pdf: bytes,
    signer: signers.Signer,
    timestamper: TimeStamper,
    signing: Signing,
    validation: ValidationContext | None = None,
    bytes_reserved: int | None = None,
) -> bytes:
    """An approval signature in the existing field `signing.field`, as a new revision."""
    writer = _Revision(BytesIO(pdf), strict=False)
    return await _sign(writer, signer, timestamper, signing, validation, bytes_reserved, certify=False)


async def _sign(
    writer: IncrementalPdfFileWriter,
    signer: signers.Signer,
    timestamper: TimeStamper,
    signing: Signing,
    validation: ValidationContext | None,
    bytes_reserved: int | None,
    *,
    certify: bool,
) -> bytes:
    metadata = signers.PdfSignatureMetadata(
        field_name=signing.field,
        certify=certify,
        docmdp_permissions=MDPPerm.FILL_FORMS,
        subfilter=SigSeedSubFilter.PADES,
        reason=signing.reason,
        location=signing.location,
        name=signing.signer_name,
        # PAdES B-LT where revocation information is at hand: chain and CRLs in the DSS.
        embed_validation_info=validation is not None,
        validation_context=validation,
        dss_settings=DSSContentSettings(placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE, include_vri=False),
    )
    style = StaticStampStyle(background=_StampPage(signing.stamp_pdf), border_width=0)
    pdf_signer = signers.PdfSigner(metadata, signer=signer, timestamper=timestamper, stamp_style=style)
    output = await pdf_signer.async_sign_pdf(writer, existing_fields_only=True, bytes_reserved=bytes_reserved)
    return output.getvalue()
