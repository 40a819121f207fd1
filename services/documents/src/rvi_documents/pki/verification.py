"""Verification of a signed document (GACC-RVI 4(IV)): every signature valid, its chain trusted,
its time-stamp valid and trusted, nothing but allowed changes after the certification (DocMDP),
and nothing after the last signature but validation data (a DSS update, PAdES B-LT)."""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO

from asn1crypto import x509 as asn1_x509
from pydantic import BaseModel, ConfigDict, Field
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext


class SignatureReport(BaseModel):
    """One signature of the document as verified; served as is in the verification response."""

    model_config = ConfigDict(frozen=True)

    field: str
    signer: str
    intact: bool
    valid: bool
    trusted: bool
    timestamped: bool
    timestamp_valid: bool
    signed_at: str | None
    coverage: str
    modification_level: str | None
    docmdp_ok: bool | None
    certification: bool

    @property
    def ok(self) -> bool:
        """Every check passed (an uncertified document has no DocMDP level to break)."""
        return (
            self.intact
            and self.valid
            and self.trusted
            and self.timestamped
            and self.timestamp_valid
            and self.docmdp_ok is not False
        )


class VerificationReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    valid: bool = Field(description="every signature valid, trusted and time-stamped; nothing changed after the last")
    signatures: list[SignatureReport] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)
    validation_data: bool = Field(
        default=False, description="revocation data (CRLs) embedded in the document security store: PAdES B-LT"
    )


def validation_context(trust_roots: Sequence[asn1_x509.Certificate]) -> ValidationContext:
    # The local CA publishes no revocation information: revocation is not checked (B-T, not B-LT).
    return ValidationContext(trust_roots=list(trust_roots), allow_fetching=False, revocation_mode="soft-fail")


async def verify_pdf(
    pdf: bytes, trust_roots: Sequence[asn1_x509.Certificate], context: ValidationContext | None = None
) -> VerificationReport:
    """`context` may be reused between documents (it caches validated certificate paths)."""
    problems: list[str] = []
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
    except (PdfReadError, ValueError, KeyError) as error:
        return VerificationReport(valid=False, problems=[f"not a readable PDF: {error}"])
    if not embedded:
        return VerificationReport(valid=False, problems=["the document carries no signature"])
    context = context or validation_context(trust_roots)
    reports: list[SignatureReport] = []
    for signature in embedded:
        try:
            status = await async_validate_pdf_signature(
                signature, signer_validation_context=context, ts_validation_context=context
            )
        except (SignatureValidationError, PdfReadError, ValueError) as error:
            problems.append(f"signature {signature.field_name}: {error}")
            continue
        reports.append(_report(signature.field_name, status, signature.docmdp_level is not None))
    for report in reports:
        if not report.ok:
            problems.append(f"signature {report.field} of {report.signer} is not valid, trusted and time-stamped")
    # After the last signature only validation data may follow (a DSS update, PAdES B-LT).
    if reports and not (
        reports[-1].coverage == "ENTIRE_FILE"
        or (reports[-1].coverage == "ENTIRE_REVISION" and reports[-1].modification_level in ("NONE", "LTA_UPDATES"))
    ):
        problems.append("the document was modified after its last signature")
    dss = reader.root.get("/DSS")
    has_crls = dss is not None and "/CRLs" in dss.get_object()
    return VerificationReport(
        valid=not problems and len(reports) == len(embedded),
        signatures=reports,
        problems=problems,
        validation_data=has_crls,
    )


def _report(field_name: str, status: PdfSignatureStatus, certification: bool) -> SignatureReport:
    timestamp = status.timestamp_validity
    return SignatureReport(
        field=field_name,
        signer=status.signing_cert.subject.human_friendly,
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        timestamped=timestamp is not None,
        timestamp_valid=timestamp is not None and timestamp.intact and timestamp.valid and timestamp.trusted,
        signed_at=timestamp.timestamp.isoformat() if timestamp is not None else None,
        coverage=status.coverage.name if status.coverage is not None else "NONE",
        modification_level=status.modification_level.name if status.modification_level is not None else None,
        docmdp_ok=status.docmdp_ok,
        certification=certification,
    )
