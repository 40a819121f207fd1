"""Pre-inspection uploads, marked copies, service of documents, comments and disputes."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
from PIL import Image
from sqlalchemy import text

from rvi_platform.testing import Tokens, eventually

if TYPE_CHECKING:
    from conftest import Feed, Issued, StoredDocument

UPLOAD_LIMIT = 2 * 1024 * 1024  # as configured in conftest


def image(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), (200, 30, 30)).save(buffer, format=kind)
    return buffer.getvalue()


async def upload(
    client: httpx.AsyncClient,
    tokens: Tokens,
    issued_or_ids: tuple[str, str],
    body: bytes,
    content_type: str,
    kind: str = "identity_document",
) -> httpx.Response:
    inspection_id, enterprise_id = issued_or_ids
    return await client.post(
        f"/v1/inspections/{inspection_id}/uploads",
        params={"kind": kind, "filename": f"{kind}.bin"},
        content=body,
        headers={**tokens.header(tokens.enterprise(enterprise_id)), "Content-Type": content_type},
    )


async def test_uploads_are_sniffed_limited_hashed_and_announced(
    client: httpx.AsyncClient, tokens: Tokens, feed: Feed
) -> None:
    enterprise_id = f"ENT-{uuid.uuid4().hex[:8]}"
    inspection_id = await feed.request(enterprise_id)
    ids = (inspection_id, enterprise_id)
    [notice] = await feed.documents(inspection_id, "advance_notice")
    pdf = await upload(client, tokens, ids, notice.pdf, "application/pdf", "power_of_attorney")
    assert pdf.status_code == 201, pdf.text
    assert pdf.json()["content_type"] == "application/pdf"
    assert pdf.json()["sha256"] == hashlib.sha256(notice.pdf).hexdigest()
    assert pdf.json()["pages"] >= 2
    jpeg = await upload(client, tokens, ids, image("JPEG"), "image/jpeg")
    assert jpeg.status_code == 201 and jpeg.json()["content_type"] == "image/jpeg"
    png = await upload(client, tokens, ids, image("PNG"), "application/octet-stream", "business_licence")
    assert png.status_code == 201 and png.json()["content_type"] == "image/png"  # detected from the bytes

    not_pdf = await upload(client, tokens, ids, b"%PDX this is text pretending", "application/pdf")
    assert not_pdf.status_code == 415
    assert not_pdf.json()["field"] == "body"
    mislabelled = await upload(client, tokens, ids, image("PNG"), "application/pdf")
    assert mislabelled.status_code == 415
    assert "image/png" in mislabelled.json()["detail"]
    too_large = await upload(client, tokens, ids, b"%PDF-1.7\n" + b"0" * UPLOAD_LIMIT, "application/pdf")
    assert too_large.status_code == 413
    other = await client.post(
        f"/v1/inspections/{inspection_id}/uploads", params={"kind": "other"}, content=image("PNG"),
        headers=tokens.header(tokens.enterprise("ENT-someone-else")),
    )  # fmt: skip
    assert other.status_code == 403

    emitted = [d for t, d in await feed.emitted(inspection_id) if t == "rvi.document.uploaded.v1"]
    assert [(d["kind"], d["content_type"]) for d in emitted] == [
        ("power_of_attorney", "application/pdf"),
        ("identity_document", "image/jpeg"),
        ("business_licence", "image/png"),
    ]
    assert emitted[0]["sha256"] == pdf.json()["sha256"] and emitted[0]["uploaded_by"] == f"rep-{enterprise_id}"
    listed = await client.get(f"/v1/inspections/{inspection_id}/uploads", headers=tokens.header(tokens.officer()))
    assert len(listed.json()) == 3
    got = await client.get(listed.json()[1]["content_url"], headers=tokens.header(tokens.officer()))
    assert hashlib.sha256(got.content).hexdigest() == jpeg.json()["sha256"]


async def test_an_officer_marks_an_upload_and_a_marked_copy_is_issued(
    client: httpx.AsyncClient, tokens: Tokens, feed: Feed, pdf_text: Callable[[bytes], str]
) -> None:
    enterprise_id = f"ENT-{uuid.uuid4().hex[:8]}"
    inspection_id = await feed.request(enterprise_id)
    scan = await upload(client, tokens, (inspection_id, enterprise_id), image("JPEG"), "image/jpeg")
    path = f"/v1/uploads/{scan.json()['upload_id']}/verification"
    officer = tokens.header(tokens.officer(credential_no="NB-0002"))
    marked = await client.post(path, json={"original_location": "慈溪市周巷镇 公司档案室"}, headers=officer)
    assert marked.status_code == 201, marked.text
    copy = marked.json()
    assert copy["kind"] == "marked_copy" and copy["state"] == "issued"
    assert [s["key"] for s in copy["expected_signers"]] == ["officer:NB-0002"]
    [stored] = await feed.documents(inspection_id, "marked_copy")
    text_of_copy = pdf_text(stored.pdf)
    for expected in ("本件与原件一致，核对无误", "代表身份证件", "陈杰", "公司档案室", scan.json()["sha256"]):
        assert expected in text_of_copy, expected
    assert b"/Subtype/Image" in stored.pdf or b"/Subtype /Image" in stored.pdf  # the copy itself is on the page
    again = await client.post(path, json={}, headers=officer)
    assert again.status_code == 409
    listed = (await client.get(f"/v1/inspections/{inspection_id}/uploads", headers=officer)).json()
    assert listed[0]["marked_copy_id"] == copy["document_id"] and "陈杰" in listed[0]["verified_by"]
    # Announced with the closing set, never before the record: the inspection waits for both.
    assert "rvi.document.issued.v1" not in [t for t, _ in await feed.emitted(inspection_id)]
    ended = feed.session_ended(inspection_id, enterprise_id, f"SES-{uuid.uuid4()}")
    await feed.send(ended)
    await feed.wait_processed(ended.id)
    issued = [d["kind"] for t, d in await feed.emitted(inspection_id) if t == "rvi.document.issued.v1"]
    assert issued == ["inspection_record", "marked_copy", "work_record"]
    [work] = await feed.documents(inspection_id, "work_record")
    assert copy["number"] in pdf_text(work.pdf)


async def _record(feed: Feed, issued: Issued) -> StoredDocument:
    [record] = await feed.documents(issued.inspection_id, "inspection_record")
    return record


async def test_electronic_service_needs_consent_and_confirmation_then_is_served_and_read(
    client: httpx.AsyncClient, tokens: Tokens, feed: Feed, pdf_text: Callable[[bytes], str]
) -> None:
    issued = await feed.issue()
    record = await _record(feed, issued)
    officer = tokens.header(tokens.officer())
    enterprise = tokens.header(tokens.enterprise(issued.enterprise_id))
    serve = f"/v1/documents/{record.document_id}/deliveries"
    refused = await client.post(serve, json={"channel": "electronic"}, headers=officer)
    assert refused.status_code == 409 and refused.json()["missing"] == "consent"
    address = f"/v1/enterprises/{issued.enterprise_id}/service-address"
    consent_only = await client.put(address, json={"consent": True, "address": "rvi 平台账户"}, headers=enterprise)
    assert consent_only.status_code == 200
    assert (await client.post(serve, json={"channel": "electronic"}, headers=officer)).json()[
        "missing"
    ] == "confirmation"
    confirmation = await upload(
        client, tokens, (issued.inspection_id, issued.enterprise_id), image("PNG"), "image/png", "other"
    )
    recorded = await client.put(
        address,
        json={"consent": True, "address": "rvi 平台账户", "confirmation_upload_id": confirmation.json()["upload_id"]},
        headers=enterprise,
    )
    assert recorded.json()["confirmation_sha256"] == confirmation.json()["sha256"]
    served = await client.post(serve, json={"channel": "electronic"}, headers=officer)
    assert served.status_code == 201, served.text
    assert served.json()["state"] == "served" and served.json()["served_at"] is not None
    delivered = [d for t, d in await feed.emitted(issued.inspection_id) if t == "rvi.document.delivered.v1"]
    assert delivered[0]["channel"] == "electronic" and delivered[0]["served_at"] is not None
    [proof] = await feed.documents(issued.inspection_id, "proof_of_service")
    assert proof.state == "completed"
    assert record.number in pdf_text(proof.pdf) and "电子送达" in pdf_text(proof.pdf)

    await client.get(f"/v1/documents/{record.document_id}/pdf", headers=enterprise)  # the enterprise opens it
    [delivery] = (await client.get(serve, headers=officer)).json()
    assert delivery["state"] == "read" and delivery["read_at"] is not None
    assert (await client.get(f"/v1/documents/{record.document_id}", headers=officer)).json()["read_at"] is not None


async def test_service_by_mail_with_returned_proof_and_a_refusal_with_witness(
    client: httpx.AsyncClient, tokens: Tokens, feed: Feed, pdf_text: Callable[[bytes], str]
) -> None:
    issued = await feed.issue()
    record = await _record(feed, issued)
    officer = tokens.header(tokens.officer())
    serve = f"/v1/documents/{record.document_id}/deliveries"
    incomplete = await client.post(serve, json={"channel": "mail"}, headers=officer)
    assert incomplete.status_code == 422 and incomplete.json()["field"] == "tracking_number"
    posted = await client.post(
        serve,
        json={"channel": "mail", "tracking_number": "XA123456789CN", "posted_at": "2026-11-26T08:00:00+08:00",
              "address": "浙江省慈溪市周巷镇 1 号"},
        headers=officer,
    )  # fmt: skip
    assert posted.status_code == 201 and posted.json()["state"] == "posted"
    proof_url = f"/v1/deliveries/{posted.json()['delivery_id']}/proof"
    not_a_scan = await client.post(
        proof_url, params={"kind": "returned_proof_of_service"}, content=b"hello", headers=officer
    )
    assert not_a_scan.status_code == 415
    scan = image("JPEG")
    returned = await client.post(
        proof_url, params={"kind": "returned_proof_of_service", "served_at": "2026-11-28T10:00:00+08:00"},
        content=scan, headers={**officer, "Content-Type": "image/jpeg"},
    )  # fmt: skip
    assert returned.status_code == 200, returned.text
    assert returned.json()["proof_sha256"] == hashlib.sha256(scan).hexdigest()
    assert datetime.fromisoformat(returned.json()["served_at"]) == datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    delivered = [d for t, d in await feed.emitted(issued.inspection_id) if t == "rvi.document.delivered.v1"]
    assert delivered[-1]["channel"] == "mail" and delivered[-1]["proof_sha256"] == hashlib.sha256(scan).hexdigest()
    assert returned.json()["state"] == "served"
    again = await client.post(
        proof_url, params={"kind": "returned_proof_of_service"}, content=scan,
        headers={**officer, "Content-Type": "image/jpeg"},
    )  # fmt: skip
    # A served letter takes no second proof: 409 naming where the delivery stands.
    assert again.status_code == 409 and again.json()["current_state"] == "served", again.text

    [work] = await feed.documents(issued.inspection_id, "work_record")
    refusal = await client.post(
        f"/v1/documents/{work.document_id}/refusal",
        json={"reason": "代表拒绝签收", "witness": "村委会 张强"},
        headers=officer,
    )
    assert refusal.status_code == 201 and refusal.json()["state"] == "refused"
    proof = next(d for d in await feed.documents(issued.inspection_id, "proof_of_service"))
    assert "代表拒绝签收" in pdf_text(proof.pdf) and "张强" in pdf_text(proof.pdf)
    assert [d["refused"] for t, d in await feed.emitted(issued.inspection_id) if t == "rvi.document.delivered.v1"][-1]


async def test_comments_within_the_window_and_a_major_dispute_is_emitted(
    client: httpx.AsyncClient, tokens: Tokens, feed: Feed
) -> None:
    issued = await feed.issue()
    record = await _record(feed, issued)
    enterprise = tokens.header(tokens.enterprise(issued.enterprise_id))
    path = f"/v1/documents/{record.document_id}/comments"
    note = await client.post(path, json={"text": "第二个基地面积应为 12 亩"}, headers=enterprise)
    assert note.status_code == 201 and note.json()["dispute"] is False
    dispute = await client.post(path, json={"text": "对整改要求有重大异议", "major": True}, headers=enterprise)
    assert dispute.status_code == 201 and dispute.json()["dispute"] is True
    disputed = [d for t, d in await feed.emitted(issued.inspection_id) if t == "rvi.document.disputed.v1"]
    assert len(disputed) == 1 and disputed[0]["major"] is True and disputed[0]["reason"] == "对整改要求有重大异议"
    listed = await client.get(path, headers=tokens.header(tokens.officer()))
    assert [c["text"] for c in listed.json()] == ["第二个基地面积应为 12 亩", "对整改要求有重大异议"]

    async with feed.engine.begin() as conn:  # the document issued long ago: its window has closed
        await conn.execute(
            text("UPDATE documents.documents SET issued_at = issued_at - interval '30 days' WHERE document_id = :id"),
            {"id": record.document_id},
        )
    late = await client.post(path, json={"text": "太晚了"}, headers=enterprise)
    assert late.status_code == 409 and "window_closed_at" in late.json()


async def test_a_document_not_served_by_its_deadline_is_flagged_by_the_timer(
    client: httpx.AsyncClient, tokens: Tokens, feed: Feed
) -> None:
    issued = await feed.issue()
    record = await _record(feed, issued)
    async with feed.engine.begin() as conn:
        await conn.execute(
            text("UPDATE documents.documents SET service_due_at = :due WHERE document_id = :id"),
            {"id": record.document_id, "due": feed.clock.now() - timedelta(seconds=1)},
        )
    path = f"/v1/documents/{record.document_id}"
    officer = tokens.header(tokens.officer())

    async def flagged() -> dict[str, Any] | None:
        body: dict[str, Any] = (await client.get(path, headers=officer)).json()
        return body if body["service_overdue_at"] is not None else None

    await eventually(flagged, "the document flagged overdue", timeout_s=20, interval_s=0.2)


async def test_service_inputs_a_fuzzer_found_are_refused_or_served_never_500(
    client: httpx.AsyncClient, tokens: Tokens, feed: Feed
) -> None:
    """schemathesis: a mail service with empty strings and an epoch number, a refusal at an epoch
    number, and two refusals of one document with text outside the Basic Multilingual Plane."""
    issued = await feed.issue()
    record = await _record(feed, issued)
    officer = tokens.header(tokens.officer())
    posted = await client.post(
        f"/v1/documents/{record.document_id}/deliveries",
        json={"address": "", "channel": "mail", "posted_at": 0, "tracking_number": ""},
        headers=officer,
    )
    assert posted.status_code == 422 and posted.json()["field"] in {"address", "posted_at", "tracking_number"}
    refusal = f"/v1/documents/{record.document_id}/refusal"
    epoch = await client.post(refusal, json={"reason": "0", "refused_at": 0, "witness": "0"}, headers=officer)
    assert epoch.status_code == 422 and epoch.json()["field"] == "refused_at"
    for _ in range(2):
        refused = await client.post(
            refusal, json={"witness": "0", "reason": "à#¼ÅZYIÞÆMÉS\U000f3303íÆsJ"}, headers=officer
        )
        assert refused.status_code in (201, 409), refused.text
