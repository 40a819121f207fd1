"""The officers', seals' and enterprises' signing identities of the embedded local CA: one key and
certificate per signer, kept across signatures and restarts, renewed before its end or when the
signer's name changes; real renderer, local TSA over HTTP and pyHanko verification."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

from rvi_documents.kinds import Kind
from rvi_documents.pki.ca import PASSPHRASE, RENEW_BEFORE, LocalCa, _name
from rvi_documents.pki.runtime import Pki, StampText
from rvi_documents.pki.signers import SignerRef
from rvi_documents.pki.timestamps import InProcessTimeStamper
from rvi_documents.rendering import Renderer, Slot
from rvi_documents.settings import DocumentsSettings

SEAL = SignerRef("customs_seal", "Cixi", "慈溪海关 Cixi Customs", "慈溪海关")
WANG = SignerRef("officer", "NB-0001", "王力", "慈溪海关")
CHEN = SignerRef("officer", "NB-0002", "陈杰", "慈溪海关")
LEGACY_PKI = Path(__file__).parent / "data" / "pki-rsa"
SLOTS = [
    Slot("customs_seal", "海关印章", "customs seal"),
    Slot("officer:NB-0001", "执法人员", "officer"),
    Slot("officer:NB-0002", "执法人员", "officer"),
]


def _notice(renderer: Renderer, n: int) -> bytes:
    data = {
        "title_zh": "远程视频核查通知书", "title_en": "Advance notice", "issuer_zh": "慈溪海关", "issuer_en": "Cixi Customs",
        "number": f"慈溪关通知〔2026〕{n:04d}号",
        "slots": [{"label_zh": s.label_zh, "label_en": s.label_en, "wide": False} for s in SLOTS],
        "enterprise_name": "慈溪市绿源食品集团有限公司", "enterprise_id": "ENT-1", "slot": "2026-11-26 09:00",
        "team": [], "sites": [], "requirements": [],
    }  # fmt: skip
    return renderer.render(Kind.ADVANCE_NOTICE.value, data, datetime(2026, 11, 26, tzinfo=UTC))


async def _signed_by(pki: Pki, n: int, *officers: SignerRef) -> bytes:
    pdf = await pki.certify(_notice(pki.renderer, n), SLOTS, SEAL, "通知", "慈溪", StampText("慈溪海关 印章", []))
    for ref in officers:
        pdf = await pki.sign(
            pdf, SLOTS, f"officer:{ref.label}", ref, ref.common_name, "签名", "慈溪", StampText(ref.common_name, [])
        )
    report = await pki.verify(pdf)
    assert report.valid, report.problems
    return pdf


def _serials(pdf: bytes) -> dict[str, int]:
    return {s.field_name: s.signer_cert.serial_number for s in PdfFileReader(BytesIO(pdf)).embedded_signatures}


async def test_an_officer_signs_every_document_with_one_certificate_kept_across_restarts(tmp_path: Path) -> None:
    settings = DocumentsSettings(pki_dir=str(tmp_path / "pki"))
    renderer = Renderer()
    pki = Pki(settings, renderer)
    try:
        first = _serials(await _signed_by(pki, 1, WANG, CHEN))
        second = _serials(await _signed_by(pki, 2, WANG))
    finally:
        await pki.close()
    assert first["officer:NB-0001"] == second["officer:NB-0001"]
    assert first["customs_seal"] == second["customs_seal"]
    assert first["officer:NB-0002"] != first["officer:NB-0001"]

    restarted = Pki(settings, renderer)
    try:
        third = _serials(await _signed_by(restarted, 3, WANG))
    finally:
        await restarted.close()
    assert third["officer:NB-0001"] == first["officer:NB-0001"]


def _short_lived(ca: LocalCa, ref: SignerRef, ends: datetime) -> int:
    """Replaces `ref`'s identity file with one whose certificate ends at `ends`; its serial."""
    root_key, root_cert = ca._root_pair()
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(ref.common_name, ref.organisation, ref.role))
        .issuer_name(root_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(ends - timedelta(days=365))
        .not_valid_after(ends)
        .sign(root_key, hashes.SHA256())
    )
    path = ca.identity(ref.role, ref.label, ref.common_name, ref.organisation).pkcs12_path
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"short", key, cert, [root_cert], serialization.BestAvailableEncryption(PASSPHRASE)
        )
    )
    return cert.serial_number


def test_a_certificate_near_its_end_is_renewed_and_the_renewal_kept(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    short = _short_lived(LocalCa(tmp_path), WANG, now + RENEW_BEFORE - timedelta(days=1))
    ca = LocalCa(tmp_path)  # a restart: reads the file
    renewed = ca.identity(WANG.role, WANG.label, WANG.common_name, WANG.organisation, now=now)
    assert renewed.certificate.serial_number != short
    assert renewed.certificate.not_valid_after_utc - now > RENEW_BEFORE
    assert renewed.certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "王力"
    again = LocalCa(tmp_path).identity(WANG.role, WANG.label, WANG.common_name, WANG.organisation, now=now)
    assert again.certificate.serial_number == renewed.certificate.serial_number

    still_valid = _short_lived(LocalCa(tmp_path), CHEN, now + RENEW_BEFORE + timedelta(days=1))
    kept = LocalCa(tmp_path).identity(CHEN.role, CHEN.label, CHEN.common_name, CHEN.organisation, now=now)
    assert kept.certificate.serial_number == still_valid


async def test_a_renewed_certificate_signs_and_verifies(tmp_path: Path) -> None:
    settings = DocumentsSettings(pki_dir=str(tmp_path / "pki"))
    pki = Pki(settings, Renderer())
    try:
        before = _serials(await _signed_by(pki, 1, WANG))["officer:NB-0001"]
        _short_lived(pki.ca, WANG, datetime.now(UTC) + timedelta(days=2))
        pki.ca._issued.clear()  # as after a restart: the file is read again
        after = _serials(await _signed_by(pki, 2, WANG))["officer:NB-0001"]
    finally:
        await pki.close()
    assert after != before


def test_a_signer_whose_name_changed_gets_a_certificate_naming_it(tmp_path: Path) -> None:
    ca = LocalCa(tmp_path)
    old = ca.identity(WANG.role, WANG.label, "王力", WANG.organisation)
    assert ca.identity(WANG.role, WANG.label, "王力", WANG.organisation) is old
    new = ca.identity(WANG.role, WANG.label, "王立", WANG.organisation)
    assert new.certificate.serial_number != old.certificate.serial_number
    assert new.certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "王立"
    other = ca.identity(CHEN.role, CHEN.label, CHEN.common_name, CHEN.organisation)
    assert other.certificate.public_key() != new.certificate.public_key()


def _timestamp_token(signature: EmbeddedPdfSignature) -> cms.SignedData:
    [token] = [
        attribute["values"][0]["content"]
        for attribute in signature.signer_info["unsigned_attrs"]
        if attribute["type"].native == "signature_time_stamp_token"
    ]
    return token


async def test_a_pki_directory_of_the_rsa_version_still_loads_signs_and_verifies(tmp_path: Path) -> None:
    """`data/pki-rsa` was made by the version before P-256 (its RSA-2048 root, the Cixi seal,
    officer NB-0001 and the TSA; the TSA's serial at 4): its keys still sign and time-stamp, and
    what its root issues from now on is P-256."""
    directory = tmp_path / "pki"
    shutil.copytree(LEGACY_PKI, directory)
    files = {path.name: path.read_bytes() for path in directory.glob("*.p12")}
    pki = Pki(DocumentsSettings(pki_dir=str(directory)), Renderer())
    try:
        pdf = await _signed_by(pki, 1, WANG, CHEN)  # verified by pyHanko against the RSA root
    finally:
        await pki.close()
    assert isinstance(pki.ca.root_certificate().public_key(), rsa.RSAPublicKey)
    signatures = PdfFileReader(BytesIO(pdf)).embedded_signatures
    algorithms = {s.field_name: s.signer_cert.public_key.algorithm for s in signatures}
    assert algorithms == {"customs_seal": "rsa", "officer:NB-0001": "rsa", "officer:NB-0002": "ec"}
    assert {path.name: path.read_bytes() for path in directory.glob("*.p12") if path.name in files} == files
    serials = []
    for signature in signatures:
        token = _timestamp_token(signature)
        assert [c.chosen.public_key.algorithm for c in token["certificates"]][0] == "rsa"  # the RSA TSA key
        serials.append(token["encap_content_info"]["content"].native["serial_number"])
    assert serials == sorted(serials) and serials[0] > 4 and len(set(serials)) == 3


async def test_a_new_pki_directory_is_p256_throughout(tmp_path: Path) -> None:
    pki = Pki(DocumentsSettings(pki_dir=str(tmp_path / "pki")), Renderer())
    try:
        pdf = await _signed_by(pki, 1, WANG)
    finally:
        await pki.close()
    root_key = pki.ca.root_certificate().public_key()
    assert isinstance(root_key, ec.EllipticCurvePublicKey) and root_key.curve.name == "secp256r1"
    for signature in PdfFileReader(BytesIO(pdf)).embedded_signatures:
        assert signature.signer_cert.public_key.algorithm == "ec"
        assert signature.signer_info["signature_algorithm"]["algorithm"].native == "sha256_ecdsa"
        token = _timestamp_token(signature)
        assert token["signer_infos"][0]["signature_algorithm"].signature_algo == "ecdsa"


async def test_signatures_leave_the_metadata_as_rendered(tmp_path: Path) -> None:
    pki = Pki(DocumentsSettings(pki_dir=str(tmp_path / "pki")), Renderer())
    try:
        rendered = _notice(pki.renderer, 1)
        pdf = await pki.certify(rendered, SLOTS, SEAL, "通知", "慈溪", StampText("慈溪海关 印章", []))
        pdf = await pki.sign(pdf, SLOTS, "officer:NB-0001", WANG, "王力", "签名", "慈溪", StampText("王力", []))
        assert (await pki.verify(pdf)).valid
    finally:
        await pki.close()
    before, after = PdfFileReader(BytesIO(rendered)), PdfFileReader(BytesIO(pdf))
    assert before.root["/Metadata"].get_object().data.startswith(b"<?xpacket")
    assert after.root["/Metadata"].get_object().data == before.root["/Metadata"].get_object().data
    assert dict(after.trailer["/Info"]) == dict(before.trailer["/Info"])


async def test_a_container_that_outgrew_its_reservation_is_signed_with_a_new_estimate(tmp_path: Path) -> None:
    pki = Pki(DocumentsSettings(pki_dir=str(tmp_path / "pki")), Renderer())
    try:
        seal = pki.signers.signer(SEAL)
        pki._reserved[seal] = 1000  # as if the TSA's tokens had grown since the estimate
        pdf = await pki.certify(_notice(pki.renderer, 1), SLOTS, SEAL, "通知", "慈溪", StampText("慈溪海关 印章", []))
        assert (await pki.verify(pdf)).valid
        assert pki._reserved[seal] > 1000
    finally:
        await pki.close()


async def test_the_embedded_tsa_stamps_the_signatures_in_process_without_a_port(tmp_path: Path) -> None:
    """With no `tsa_url` the service's time-stamps come from its own TSA by call: no HTTP
    server runs, and the seal's token is the last one the local TSA numbered."""
    pki = Pki(DocumentsSettings(pki_dir=str(tmp_path / "pki")), Renderer())
    try:
        pdf = await _signed_by(pki, 1)
        assert isinstance(pki.timestamper, InProcessTimeStamper)
        assert pki.local_tsa is not None and pki.local_tsa.url.endswith(":0/tsa")  # never served
        [signature] = PdfFileReader(BytesIO(pdf)).embedded_signatures
        serial = _timestamp_token(signature)["encap_content_info"]["content"].native["serial_number"]
        assert serial == int(pki.local_tsa.serial_path.read_text(), 16)
    finally:
        await pki.close()
