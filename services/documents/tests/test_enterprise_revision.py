"""The enterprise signs with its own certificate and uploads the revision (GACC-RVI 4(IV))."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter

from rvi_documents.pki.ca import LocalCa
from rvi_documents.pki.signers import Pkcs12Signers, SignerRef
from rvi_documents.pki.timestamps import HttpxTimeStamper
from rvi_platform.testing import Tokens

if TYPE_CHECKING:
    from conftest import EnterprisePki, Feed, Issued

SEAL = SignerRef("enterprise_seal", "own", "慈溪市绿源食品集团有限公司", "慈溪市绿源食品集团有限公司")


async def _ready_for_enterprise(client: httpx.AsyncClient, tokens: Tokens, feed: Feed) -> tuple[Issued, str, bytes]:
    issued = await feed.issue()
    [record] = await feed.documents(issued.inspection_id, "inspection_record")
    path = f"/v1/documents/{record.document_id}"
    for credential in ("NB-0001", "NB-0002"):
        signed = await client.post(
            f"{path}/officer-signature", headers=tokens.header(tokens.officer(credential_no=credential))
        )
        assert signed.status_code == 200, signed.text
    pdf = (await client.get(f"{path}/pdf", headers=tokens.header(tokens.enterprise(issued.enterprise_id)))).content
    return issued, path, pdf


async def _sign(pdf: bytes, ca: LocalCa, tsa_url: str, field: str = "enterprise") -> bytes:
    timestamper = HttpxTimeStamper(tsa_url)
    try:
        metadata = signers.PdfSignatureMetadata(field_name=field, subfilter=SigSeedSubFilter.PADES)
        signer = signers.PdfSigner(metadata, signer=Pkcs12Signers(ca).signer(SEAL), timestamper=timestamper)
        out = await signer.async_sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf)), existing_fields_only=True)
        return out.getvalue()
    finally:
        await timestamper.aclose()


async def _upload(client: httpx.AsyncClient, tokens: Tokens, issued: Issued, path: str, pdf: bytes) -> httpx.Response:
    return await client.put(
        f"{path}/enterprise-revision",
        content=pdf,
        headers={**tokens.header(tokens.enterprise(issued.enterprise_id)), "Content-Type": "application/pdf"},
    )


async def test_a_revision_signed_with_the_enterprises_own_trusted_certificate_completes_it(
    client: httpx.AsyncClient, tokens: Tokens, feed: Feed, enterprise_ca: EnterprisePki
) -> None:
    issued, path, pdf = await _ready_for_enterprise(client, tokens, feed)
    signed = await _sign(pdf, enterprise_ca.ca, enterprise_ca.tsa.url)
    response = await _upload(client, tokens, issued, path, signed)
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "completed"
    assert response.json()["signed_slots"][-1] == "enterprise"
    verification = (await client.get(f"{path}/verification", headers=tokens.header(tokens.officer()))).json()
    assert verification["valid"], verification["problems"]
    assert "慈溪市绿源食品集团有限公司" in verification["signatures"][-1]["signer"]


async def test_an_untrusted_chain_a_changed_content_or_a_broken_signature_is_422(
    client: httpx.AsyncClient, tokens: Tokens, feed: Feed, enterprise_ca: EnterprisePki, tmp_path: Path
) -> None:
    issued, path, pdf = await _ready_for_enterprise(client, tokens, feed)
    stranger = LocalCa(tmp_path / "stranger")  # a CA nobody configured
    untrusted = await _upload(client, tokens, issued, path, await _sign(pdf, stranger, enterprise_ca.tsa.url))
    assert untrusted.status_code == 422
    assert "not trusted" in untrusted.json()["detail"]

    changed = bytearray(pdf)
    changed[len(changed) // 3] ^= 0x01  # a change inside what the officers signed
    tampered = await _upload(
        client, tokens, issued, path, await _sign(bytes(changed), enterprise_ca.ca, enterprise_ca.tsa.url)
    )
    assert tampered.status_code == 422
    assert "content was changed" in tampered.json()["detail"]

    good = bytearray(await _sign(pdf, enterprise_ca.ca, enterprise_ca.tsa.url))
    good[-200] ^= 0x01  # inside the enterprise's own signed range
    broken = await _upload(client, tokens, issued, path, bytes(good))
    assert broken.status_code == 422
    assert broken.json()["field"] == "body"
    assert (await client.get(path, headers=tokens.header(tokens.officer()))).json()["state"] == "signing"
