from __future__ import annotations

import hashlib
import json
import uuid
from typing import TYPE_CHECKING

import httpx

from rvi_platform.testing import Tokens

if TYPE_CHECKING:
    from conftest import Feed, Issued

SIGNATURE = {"signer_name": "Zhang Wei", "seal": "SEAL-330282-0001", "accept": True}


async def _document_id(feed: Feed, issued: Issued) -> str:
    [document] = await feed.documents(issued.inspection_id)
    return document.document_id


async def test_officer_reads_metadata_and_pdf(client: httpx.AsyncClient, tokens: Tokens, feed: Feed) -> None:
    issued = await feed.issue()
    [stored] = await feed.documents(issued.inspection_id)
    headers = tokens.header(tokens.officer())
    meta = await client.get(f"/v1/documents/{stored.document_id}", headers=headers)
    assert meta.status_code == 200, meta.text
    assert meta.json()["state"] == "issued"
    assert meta.json()["sha256"] == stored.sha256
    assert meta.json()["size_bytes"] == len(stored.pdf)
    pdf = await client.get(meta.json()["pdf_url"], headers=headers)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == stored.sha256
    listed = await client.get(f"/v1/inspections/{issued.inspection_id}/documents", headers=headers)
    assert [d["document_id"] for d in listed.json()] == [stored.document_id]


async def test_an_enterprise_sees_only_its_own_documents(client: httpx.AsyncClient, tokens: Tokens, feed: Feed) -> None:
    issued = await feed.issue()
    document_id = await _document_id(feed, issued)
    own = tokens.header(tokens.enterprise(issued.enterprise_id))
    other = tokens.header(tokens.enterprise("ENT-someone-else"))
    for path in (
        f"/v1/documents/{document_id}",
        f"/v1/documents/{document_id}/pdf",
        f"/v1/inspections/{issued.inspection_id}/documents",
    ):
        assert (await client.get(path, headers=own)).status_code == 200, path
        assert (await client.get(path, headers=other)).status_code == 403, path
    operator = await client.get(f"/v1/documents/{document_id}", headers=tokens.header(tokens.operator()))
    assert operator.status_code == 403


async def test_the_enterprise_signs_and_the_document_completes(
    client: httpx.AsyncClient, tokens: Tokens, feed: Feed
) -> None:
    issued = await feed.issue()
    [stored] = await feed.documents(issued.inspection_id)
    response = await client.post(
        f"/v1/documents/{stored.document_id}/sign",
        json=SIGNATURE,
        headers=tokens.header(tokens.enterprise(issued.enterprise_id)),
    )
    assert response.status_code == 200, response.text
    signed = response.json()
    assert signed["state"] == "completed"
    assert signed["signer_name"] == "Zhang Wei"
    assert signed["seal"] == "SEAL-330282-0001"
    assert signed["signature"]["document_sha256"] == stored.sha256
    canonical = json.dumps(signed["signature"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert signed["signed_sha256"] == hashlib.sha256(stored.pdf + canonical.encode()).hexdigest()
    emitted = await feed.emitted(issued.inspection_id)
    assert [t for t, _ in emitted] == [
        "rvi.document.issued.v1",
        "rvi.document.signed.v1",
        "rvi.document.completed.v1",
    ]
    assert emitted[1][1]["signed_sha256"] == signed["signed_sha256"]
    assert emitted[2][1]["document_id"] == stored.document_id
    [after] = await feed.documents(issued.inspection_id)
    assert after.state == "completed"


async def test_signing_twice_is_409_naming_the_state(client: httpx.AsyncClient, tokens: Tokens, feed: Feed) -> None:
    issued = await feed.issue()
    document_id = await _document_id(feed, issued)
    headers = tokens.header(tokens.enterprise(issued.enterprise_id))
    first = await client.post(f"/v1/documents/{document_id}/sign", json=SIGNATURE, headers=headers)
    assert first.status_code == 200
    second = await client.post(f"/v1/documents/{document_id}/sign", json=SIGNATURE, headers=headers)
    assert second.status_code == 409
    assert second.json()["current_state"] == "completed"
    assert [t for t, _ in await feed.emitted(issued.inspection_id)].count("rvi.document.signed.v1") == 1


async def test_only_the_documents_enterprise_may_sign(client: httpx.AsyncClient, tokens: Tokens, feed: Feed) -> None:
    issued = await feed.issue()
    document_id = await _document_id(feed, issued)
    path = f"/v1/documents/{document_id}/sign"
    other = await client.post(path, json=SIGNATURE, headers=tokens.header(tokens.enterprise("ENT-someone-else")))
    assert other.status_code == 403
    officer = await client.post(path, json=SIGNATURE, headers=tokens.header(tokens.officer()))
    assert officer.status_code == 403
    anonymous = await client.post(path, json=SIGNATURE)
    assert anonymous.status_code == 401
    assert (await client.get(f"/v1/documents/{document_id}")).status_code == 401
    [stored] = await feed.documents(issued.inspection_id)
    assert stored.state == "issued"


async def test_a_signature_needs_a_signer_and_acceptance(client: httpx.AsyncClient, tokens: Tokens, feed: Feed) -> None:
    issued = await feed.issue()
    document_id = await _document_id(feed, issued)
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
    for path in (f"/v1/documents/{uuid.uuid4()}", "/v1/documents/not-a-uuid/pdf", "/v1/inspections/nope/documents"):
        assert (await client.get(path, headers=headers)).status_code == 404, path
    sign = await client.post(
        f"/v1/documents/{uuid.uuid4()}/sign", json=SIGNATURE, headers=tokens.header(tokens.enterprise("ENT-1"))
    )
    assert sign.status_code == 404
