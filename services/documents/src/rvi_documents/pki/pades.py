"""PAdES signatures as incremental revisions (ETSI EN 319 142-1 baseline B-T, B-LT), with pyHanko.

Where the signer's revocation information is at hand (the local CA's CRL), it is embedded with
the signature in the document security store (B-LT). The first signature certifies the document (DocMDP, ISO 32000-1 12.8.2.2, P=2: later
signatures and form filling only) and creates every signature field of the kind's signing order
in the same revision, so that later signers only fill their own field. Every signature carries
an RFC 3161 signature time-stamp from the configured TSA.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import MDPPerm, SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import ValidationContext


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


async def certify(
    pdf: bytes,
    signer: signers.Signer,
    timestamper: TimeStamper,
    field_boxes: Sequence[FieldBox],
    signing: Signing,
    validation: ValidationContext | None = None,
) -> bytes:
    """The certification signature (first revision after the rendered PDF)."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    for spec in field_boxes:
        fields.append_signature_field(writer, SigFieldSpec(sig_field_name=spec.name, on_page=spec.page, box=spec.box))
    return await _sign(writer, signer, timestamper, signing, validation, certify=True)


async def sign(
    pdf: bytes,
    signer: signers.Signer,
    timestamper: TimeStamper,
    signing: Signing,
    validation: ValidationContext | None = None,
) -> bytes:
    """An approval signature in the existing field `signing.field`, as a new revision."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    return await _sign(writer, signer, timestamper, signing, validation, certify=False)


async def _sign(
    writer: IncrementalPdfFileWriter,
    signer: signers.Signer,
    timestamper: TimeStamper,
    signing: Signing,
    validation: ValidationContext | None,
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
    )
    with tempfile.TemporaryDirectory() as tmp:
        stamp = Path(tmp) / "stamp.pdf"
        stamp.write_bytes(signing.stamp_pdf)
        style = StaticStampStyle.from_pdf_file(str(stamp), border_width=0)
        pdf_signer = signers.PdfSigner(metadata, signer=signer, timestamper=timestamper, stamp_style=style)
        output = await pdf_signer.async_sign_pdf(writer, existing_fields_only=True)
    return output.getvalue()
