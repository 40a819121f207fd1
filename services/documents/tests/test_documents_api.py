from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from rvi_platform.testing import Tokens

if TYPE_CHECKING:
    from conftest import Feed, Issued, StoredDocument

ACCEPT = {"signer_name": "李梅 Li Mei", "seal": "慈溪市绿源食品集团有限公司", "accept": True}


async def _record(feed: Feed, issued: Issued) -> StoredDocument:
    [document] = await feed.documents(issued.inspection_id, "inspection_record")
    return document


def pdfsig(pdf: bytes, tmp: str, nss_dir: str | None = None) -> str:
    """poppler's verdict on every signature (it reads a file); the chain against the roots in
    the NSS database `nss_dir` (see `nss_trusting`) when given."""
    path = f"{tmp}/{uuid.uuid4()}.pdf"
    with open(path, "wb") as f:
        f.write(pdf)
    options = ["-nssdir", f"sql:{nss_dir}"] if nss_dir else []
    return subprocess.run(["pdfsig", *options, path], capture_output=True, text=True).stdout


def nss_trusting(root_pem: str, tmp: str) -> str:
    """An NSS database (NSS's certutil, Debian libnss3-tools) trusting `root_pem` as a CA for
    signed documents: poppler checks the email-signer usage, so the trust is the S/MIME one
    (",C,"; "C,," trusts it for TLS only and pdfsig still reports the issuer untrusted)."""
    directory = f"{tmp}/nss-{uuid.uuid4().hex}"
    Path(directory).mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"], check=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{directory}", "-n", "rvi", "-t", ",C,", "-i", root_pem], check=True)
    return directory


async def test_officer_reads_metadata_pdf_and_revisions(client: httpx.AsyncClient, tokens: Tokens, feed: Feed) -> None:
    issued = await feed.issue()
    stored = await _record(feed, issued)
    headers = tokens.header(tokens.officer())
    meta = await client.get(f"/v1/documents/{stored.document_id}", headers=headers)
    assert meta.status_code == 200, meta.text
    body = meta.json()
    assert body["state"] == "issued"
    assert body["number"] == stored.number
    assert body["sha256"] == stored.sha256
    assert body["revision"] == 1
    assert [s["key"] for s in body["expected_signers"]] == ["officer:NB-0001", "officer:NB-0002"]
    pdf = await client.get(body["pdf_url"], headers=headers)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == body["current_sha256"]
    revisions = (await client.get(f"/v1/documents/{stored.document_id}/revisions", headers=headers)).json()
    assert [(r["number"], r["slot"]) for r in revisions] == [(0, None), (1, "customs_seal")]
    first = await client.get(revisions[0]["pdf_url"], headers=headers)
    assert hashlib.sha256(first.content).hexdigest() == stored.sha256
    assert pdf.content.startswith(first.content)  # an incremental revision: nothing rewritten
    listed = await client.get(f"/v1/inspections/{issued.inspection_id}/documents", headers=headers)
    assert stored.document_id in [d["document_id"] for d in listed.json()]


async def test_an_enterprise_sees_only_its_own_documents(client: httpx.AsyncClient, tokens: Tokens, feed: Feed) -> None:
    issued = await feed.issue()
    document_id = (await _record(feed, issued)).document_id
    own = tokens.header(tokens.enterprise(issued.enterprise_id))
    other = tokens.header(tokens.enterprise("ENT-someone-else"))
    for path in (
        f"/v1/documents/{document_id}",
        f"/v1/documents/{document_id}/pdf",
        f"/v1/documents/{document_id}/verification",
        f"/v1/inspections/{issued.inspection_id}/documents",
    ):
        assert (await client.get(path, headers=own)).status_code == 200, path
        assert (await client.get(path, headers=other)).status_code == 403, path
    operator = await client.get(f"/v1/documents/{document_id}", headers=tokens.header(tokens.operator()))
    assert operator.status_code == 403


async def test_officers_then_the_enterprise_sign_and_both_verifiers_accept(
    client: httpx.AsyncClient, tokens: Tokens, feed: Feed, tmp_path: object, pki_dir: str
) -> None:
    issued = await feed.issue()
    stored = await _record(feed, issued)
    path = f"/v1/documents/{stored.document_id}"
    for credential in ("NB-0002", "NB-0001"):  # officers sign in any order among themselves
        signed = await client.post(
            f"{path}/officer-signature", headers=tokens.header(tokens.officer(credential_no=credential))
        )
        assert signed.status_code == 200, signed.text
    assert signed.json()["state"] == "signing"
    assert [s["key"] for s in signed.json()["expected_signers"]] == ["enterprise"]
    response = await client.post(
        f"{path}/sign", json=ACCEPT, headers=tokens.header(tokens.enterprise(issued.enterprise_id))
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == "completed"
    assert body["revision"] == 4
    assert body["signer_name"] == "李梅 Li Mei"
    assert body["signed_slots"] == ["customs_seal", "officer:NB-0002", "officer:NB-0001", "enterprise"]
    emitted = await feed.emitted(issued.inspection_id)
    types = [t for t, _ in emitted]
    assert types.count("rvi.document.signed.v1") == 1
    assert types.index("rvi.document.signed.v1") < types.index("rvi.document.completed.v1")
    signed_event = next(d for t, d in emitted if t == "rvi.document.signed.v1")
    assert signed_event["signed_sha256"] == body["current_sha256"] == body["signed_sha256"]

    verification = (await client.get(f"{path}/verification", headers=tokens.header(tokens.officer()))).json()
    assert verification["valid"], verification["problems"]
    assert [s["field"] for s in verification["signatures"]] == body["signed_slots"]
    assert all(s["trusted"] and s["timestamp_valid"] for s in verification["signatures"])
    assert verification["signatures"][0]["certification"] is True
    # The last signature covers its revision; only its validation data (DSS, B-LT) follows.
    assert verification["signatures"][-1]["modification_level"] in ("NONE", "LTA_UPDATES")
    assert verification["validation_data"] is True

    pdf = (await client.get(f"{path}/pdf", headers=tokens.header(tokens.officer()))).content
    report = pdfsig(pdf, str(tmp_path))
    assert report.count("Signature Validation: Signature is Valid.") == 4, report
    assert "Certificate is Trusted" not in report  # no root of ours in a default NSS database
    # Trusting the local CA's root, poppler (NSS) accepts each P-256 signature and its chain too.
    trusted = pdfsig(pdf, str(tmp_path), nss_trusting(f"{pki_dir}/root.pem", str(tmp_path)))
    assert trusted.count("Signature Validation: Signature is Valid.") == 4, trusted
    assert trusted.count("Certificate Validation: Certificate is Trusted.") == 4, trusted
    flipped = bytearray(pdf)
    flipped[len(flipped) // 2] ^= 0x01
    bad = await client.post(
        "/v1/verifications",
        content=bytes(flipped),
        headers={**tokens.header(tokens.officer()), "Content-Type": "application/pdf"},
    )
    assert bad.status_code == 200
    assert bad.json()["valid"] is False
    assert "Signature is Valid" not in pdfsig(bytes(flipped), str(tmp_path)).split("Signature #4")[-1]


async def test_out_of_turn_or_twice_is_409_naming_the_expected_signer(
    client: httpx.AsyncClient, tokens: Tokens, feed: Feed
) -> None:
    issued = await feed.issue()
    path = f"/v1/documents/{(await _record(feed, issued)).document_id}"
    enterprise = tokens.header(tokens.enterprise(issued.enterprise_id))
    early = await client.post(f"{path}/sign", json=ACCEPT, headers=enterprise)
    assert early.status_code == 409
    assert early.json()["expected_signer"] == ["officer:NB-0001", "officer:NB-0002"]
    assert "officer:NB-0001" in early.json()["detail"]
    officer = tokens.header(tokens.officer(credential_no="NB-0001"))
    assert (await client.post(f"{path}/officer-signature", headers=officer)).status_code == 200
    twice = await client.post(f"{path}/officer-signature", headers=officer)
    assert twice.status_code == 409
    assert twice.json()["expected_signer"] == ["officer:NB-0002"]
    stranger = await client.post(
        f"{path}/officer-signature", headers=tokens.header(tokens.officer(credential_no="NB-9999"))
    )
    assert stranger.status_code == 403
    await client.post(f"{path}/officer-signature", headers=tokens.header(tokens.officer(credential_no="NB-0002")))
    assert (await client.post(f"{path}/sign", json=ACCEPT, headers=enterprise)).status_code == 200
    again = await client.post(f"{path}/sign", json=ACCEPT, headers=enterprise)
    assert again.status_code == 409
    assert again.json()["current_state"] == "completed"


async def test_only_the_documents_enterprise_may_accept(client: httpx.AsyncClient, tokens: Tokens, feed: Feed) -> None:
    issued = await feed.issue()
    document_id = (await _record(feed, issued)).document_id
    path = f"/v1/documents/{document_id}/sign"
    other = await client.post(path, json=ACCEPT, headers=tokens.header(tokens.enterprise("ENT-someone-else")))
    assert other.status_code == 403
    officer = await client.post(path, json=ACCEPT, headers=tokens.header(tokens.officer()))
    assert officer.status_code == 403
    anonymous = await client.post(path, json=ACCEPT)
    assert anonymous.status_code == 401
    assert (await client.get(f"/v1/documents/{document_id}")).status_code == 401
    assert (await _record(feed, issued)).state == "issued"


async def test_an_acceptance_needs_a_signer_and_acceptance(
    client: httpx.AsyncClient, tokens: Tokens, feed: Feed
) -> None:
    issued = await feed.issue()
    document_id = (await _record(feed, issued)).document_id
    headers = tokens.header(tokens.enterprise(issued.enterprise_id))
    path = f"/v1/documents/{document_id}/sign"
    missing = await client.post(path, json={"accept": True}, headers=headers)
    assert missing.status_code == 422
    assert any(err["field"] == "signer_name" for err in missing.json()["errors"])
    blank = await client.post(path, json={"signer_name": "  ", "accept": True}, headers=headers)
    assert blank.status_code == 422
    refused = await client.post(path, json={"signer_name": "Zhang Wei", "accept": False}, headers=headers)
    assert refused.status_code == 422
    assert any(err["field"] == "accept" for err in refused.json()["errors"])


async def test_unknown_documents_and_inspections_are_404(client: httpx.AsyncClient, tokens: Tokens) -> None:
    headers = tokens.header(tokens.officer())
    for path in (
        f"/v1/documents/{uuid.uuid4()}",
        "/v1/documents/not-a-uuid/pdf",
        f"/v1/documents/{uuid.uuid4()}/verification",
        "/v1/inspections/nope/documents",
    ):
        assert (await client.get(path, headers=headers)).status_code == 404, path
    sign = await client.post(
        f"/v1/documents/{uuid.uuid4()}/sign", json=ACCEPT, headers=tokens.header(tokens.enterprise("ENT-1"))
    )
    assert sign.status_code == 404
    officer = await client.post(f"/v1/documents/{uuid.uuid4()}/officer-signature", headers=headers)
    assert officer.status_code == 404


async def test_the_cli_verifies_a_signed_document_and_rejects_a_flipped_byte(
    client: httpx.AsyncClient, tokens: Tokens, feed: Feed, tmp_path: object, pki_dir: str
) -> None:
    inspection_id = await feed.request(f"ENT-{uuid.uuid4().hex[:8]}")
    [notice] = await feed.documents(inspection_id, "advance_notice")
    flipped = bytearray(notice.pdf)
    flipped[len(flipped) // 2] ^= 0x01
    ok = await asyncio.to_thread(verify_cli, notice.pdf, f"{tmp_path}/notice.pdf", pki_dir)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert json.loads(ok.stdout)["valid"] is True
    rejected = await asyncio.to_thread(verify_cli, bytes(flipped), f"{tmp_path}/flipped.pdf", pki_dir)
    assert rejected.returncode == 1
    assert json.loads(rejected.stdout)["valid"] is False


def verify_cli(pdf: bytes, path: str, pki_dir: str) -> subprocess.CompletedProcess[str]:
    with open(path, "wb") as f:
        f.write(pdf)
    command = [sys.executable, "-m", "rvi_documents.verify", "--trust-root", f"{pki_dir}/root.pem", path]
    return subprocess.run(command, capture_output=True, text=True)


async def test_garbage_to_verify_or_as_a_signed_revision_is_a_clear_answer(
    client: httpx.AsyncClient, tokens: Tokens, feed: Feed
) -> None:
    issued = await feed.issue()
    record = await _record(feed, issued)
    officer = {**tokens.header(tokens.officer()), "Content-Type": "application/pdf"}
    for body in (b"hello", record.pdf[: len(record.pdf) // 2], b"%PDF-1.7\n%%EOF\n"):
        response = await client.post("/v1/verifications", content=body, headers=officer)
        assert response.status_code == 200, response.text
        assert response.json()["valid"] is False and response.json()["problems"]
    empty = await client.post("/v1/verifications", content=b"", headers=officer)
    assert empty.status_code == 422 and empty.json()["field"] == "body"
    path = f"/v1/documents/{record.document_id}"
    for credential in ("NB-0001", "NB-0002"):
        await client.post(f"{path}/officer-signature", headers=tokens.header(tokens.officer(credential_no=credential)))
    enterprise = {**tokens.header(tokens.enterprise(issued.enterprise_id)), "Content-Type": "application/pdf"}
    current = (await client.get(f"{path}/pdf", headers=enterprise)).content
    for body in (b"hello", current + b"\n% trailing junk, no signature\n"):
        response = await client.put(f"{path}/enterprise-revision", content=body, headers=enterprise)
        assert response.status_code == 422, response.text
        assert response.json()["field"] == "body"
