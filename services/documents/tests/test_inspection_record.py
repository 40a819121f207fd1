from __future__ import annotations

import asyncio
import re
import subprocess
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from rvi_documents import rendering
from rvi_documents.rendering import FontMismatch, Renderer
from rvi_platform.testing import Tokens
from rvi_shared.events import payloads as p

if TYPE_CHECKING:
    from conftest import Feed

NON_CONFORMING = [
    p.SiteResult(
        site_id="S1",
        location_verified=True,
        items=[
            p.ItemResult(item_id="I1", result="non_conforming", finding="农药仓库未上锁，领用记录缺失"),
            p.ItemResult(item_id="I2", result="conforming"),
        ],
    ),
    p.SiteResult(
        site_id="S2", items=[p.ItemResult(item_id="I2", result="not_verifiable_remotely", finding="画面不清")]
    ),
]


async def test_session_end_issues_the_closing_set_in_chinese_sealed(
    feed: Feed, pdf_text: Callable[[bytes], str]
) -> None:
    issued = await feed.issue()
    record, work = await feed.documents(issued.inspection_id, "inspection_record") + await feed.documents(
        issued.inspection_id, "work_record"
    )
    assert not await feed.documents(issued.inspection_id, "rectification_notice")  # nothing non-conforming
    for document in (record, work):
        assert document.state == "issued"  # sealed by customs, waiting for the officers
        assert document.revision == 1
        assert document.pdf.startswith(b"%PDF")
    assert re.fullmatch(r"慈溪关检记〔2026〕\d{4}号", record.number)
    text = pdf_text(record.pdf)
    for expected in (
        "检查记录",
        "Inspectionrecord",
        "慈溪市绿源食品集团有限公司",
        "周巷种植基地",
        "慈溪市观海卫镇",
        "王力",
        "执法证号NB-0002",
        "两名执法人员出示执法证件",
        "北门界桩已拍摄",
        "两个基地均未发现问题",
        "本次会话未逐项记录检查结果",
        record.number,
        "签章页",
    ):
        assert expected in text, expected
    assert "核查工作记录" in pdf_text(work.pdf)
    emitted = await feed.emitted(issued.inspection_id)
    assert [(t, d["kind"]) for t, d in emitted] == [
        ("rvi.document.issued.v1", "inspection_record"),
        ("rvi.document.issued.v1", "work_record"),
    ]
    assert emitted[0][1]["document_id"] == record.document_id
    assert emitted[0][1]["sha256"] == record.sha256


async def test_a_non_conforming_item_brings_a_rectification_notice(
    feed: Feed, pdf_text: Callable[[bytes], str]
) -> None:
    issued = await feed.issue(results=NON_CONFORMING)
    [notice] = await feed.documents(issued.inspection_id, "rectification_notice")
    assert notice.state == "completed"  # customs alone signs it
    text = pdf_text(notice.pdf)
    for expected in ("核查整改通知书", "农药仓库未上锁，领用记录缺失", "整改期限", "2026-12-26", "食品安全法"):
        assert expected in text, expected
    [record] = await feed.documents(issued.inspection_id, "inspection_record")
    record_text = pdf_text(record.pdf)
    for expected in ("不符合", "无法远程核实", "画面不清", "地点已核实"):
        assert expected in record_text, expected
    [work] = await feed.documents(issued.inspection_id, "work_record")
    assert notice.number in pdf_text(work.pdf)
    kinds = [(t, d.get("kind")) for t, d in await feed.emitted(issued.inspection_id)]
    assert kinds == [
        ("rvi.document.issued.v1", "inspection_record"),
        ("rvi.document.issued.v1", "rectification_notice"),
        ("rvi.document.completed.v1", None),
        ("rvi.document.issued.v1", "work_record"),
    ]


async def test_the_advance_notice_is_issued_when_scheduled(feed: Feed, pdf_text: Callable[[bytes], str]) -> None:
    inspection_id = await feed.request(f"ENT-{uuid.uuid4().hex[:8]}")
    [notice] = await feed.documents(inspection_id, "advance_notice")
    assert notice.state == "completed"
    text = pdf_text(notice.pdf)
    for expected in ("远程视频核查通知书", "视频设备测试", "授权委托书", "电子送达", "王力", "周巷种植基地"):
        assert expected in text, expected
    assert await feed.emitted(inspection_id) == []  # not part of the closing set scheduling waits for


async def test_numbers_run_per_office_kind_and_year_without_gaps(feed: Feed, pdf_text: Callable[[bytes], str]) -> None:
    office = f"Office{uuid.uuid4().hex[:6]}"
    first = await feed.issue(customs=office)
    second = await feed.issue(customs=office)
    numbers = [(await feed.documents(i.inspection_id, "inspection_record"))[0].number for i in (first, second)]
    assert numbers == [f"{office}关检记〔2026〕0001号", f"{office}关检记〔2026〕0002号"]
    [work] = await feed.documents(first.inspection_id, "work_record")
    assert work.number == f"{office}关核记〔2026〕0001号"


async def test_the_same_delivery_twice_issues_one_set(feed: Feed, pdf_text: Callable[[bytes], str]) -> None:
    issued = await feed.issue()
    await feed.send(issued.ended)
    # Same key, same partition: once this later event is processed, so is the duplicate.
    marker = await feed.publish(
        "rvi.session.started.v1",
        issued.inspection_id,
        p.SessionStarted(
            session_id=f"SES-{uuid.uuid4()}",
            inspection_id=issued.inspection_id,
            enterprise_id=issued.enterprise_id,
            started_at=feed.clock.now(),
        ),
    )
    await feed.wait_processed(marker.id)
    assert len(await feed.documents(issued.inspection_id, "inspection_record")) == 1
    assert [t for t, _ in await feed.emitted(issued.inspection_id)] == ["rvi.document.issued.v1"] * 2


async def test_another_end_event_for_the_same_session_issues_nothing_new(
    feed: Feed, pdf_text: Callable[[bytes], str]
) -> None:
    issued = await feed.issue()
    again = feed.session_ended(issued.inspection_id, issued.enterprise_id, issued.session_id)
    assert again.id != issued.ended.id
    await feed.send(again)
    await feed.wait_processed(again.id)
    assert len(await feed.documents(issued.inspection_id, "inspection_record")) == 1


async def test_a_new_session_gets_its_own_record(feed: Feed, pdf_text: Callable[[bytes], str]) -> None:
    issued = await feed.issue()
    second = feed.session_ended(issued.inspection_id, issued.enterprise_id, f"SES-{uuid.uuid4()}")
    await feed.send(second)
    await feed.wait_processed(second.id)
    assert len(await feed.documents(issued.inspection_id, "inspection_record")) == 2


async def test_an_end_that_overtakes_the_request_is_kept_and_the_record_follows_the_request(
    feed: Feed, pdf_text: Callable[[bytes], str]
) -> None:
    """Sessions and inspections are different topics: their order across topics is not guaranteed."""
    enterprise_id = f"ENT-{uuid.uuid4().hex[:8]}"
    inspection_id = f"INSP-{uuid.uuid4()}"
    ended = feed.session_ended(inspection_id, enterprise_id, f"SES-{uuid.uuid4()}")
    await feed.send(ended)
    await feed.wait_processed(ended.id)
    assert await feed.documents(inspection_id) == []
    await feed.request_as(inspection_id, enterprise_id)
    [document] = await feed.documents(inspection_id, "inspection_record")
    assert "慈溪市绿源食品集团有限公司" in pdf_text(document.pdf)


DATA = {
    "title_zh": "核查整改通知书",
    "title_en": "Rectification notice",
    "issuer_zh": "慈溪海关",
    "issuer_en": "Cixi Customs",
    "number": "慈溪关整改〔2026〕0007号",
    "slots": [{"label_zh": "海关印章", "label_en": "customs seal", "wide": False}],
    "enterprise_name": "慈溪市绿源食品集团有限公司",
    "enterprise_id": "91330282MA2XXXXX0X",
    "session_date": "2026-11-26",
    "findings": [
        {"site_id": "S1", "item_id": "I1", "description": "农业投入品", "finding": "记录缺失",
         "requirement_zh": "补齐记录", "requirement_en": "complete the records"},
    ],
    "legal_basis_zh": "依据",
    "legal_basis_en": "basis",
    "deadline": "2026-12-26",
    "comment_days": 7,
}  # fmt: skip


def test_rendering_is_deterministic_and_pdfa_2b(pdf_text: Callable[[bytes], str]) -> None:
    renderer = Renderer()
    date = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    first = renderer.render("rectification_notice", DATA, date)
    assert renderer.render("rectification_notice", dict(DATA), date) == first
    assert Renderer().render("rectification_notice", DATA, date) == first
    assert renderer.render("rectification_notice", DATA, datetime(2026, 11, 27, 1, 0, tzinfo=UTC)) != first
    assert renderer.render("rectification_notice", DATA, date.replace(microsecond=250_000)) == first
    assert b"<pdfaid:part>2</pdfaid:part>" in first and b"<pdfaid:conformance>B</pdfaid:conformance>" in first
    assert b"/FontFile3" in first or b"/FontFile2" in first  # the fonts are embedded
    assert "慈溪市绿源食品集团有限公司" in pdf_text(first)


def test_fonts_are_checked_against_their_pinned_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    assert rendering.font_directory().is_dir()
    monkeypatch.setitem(rendering.FONT_SHA256, "NotoSansSC-Regular.otf", "0" * 64)
    with pytest.raises(FontMismatch, match="NotoSansSC-Regular.otf"):
        Renderer()


async def test_the_evidence_manifest_is_time_stamped_and_openssl_verifies_it(
    client: httpx.AsyncClient,
    tokens: Tokens,
    feed: Feed,
    pdf_text: Callable[[bytes], str],
    pki_dir: str,
    tmp_path: Path,
) -> None:
    issued = await feed.issue()
    response = await client.get(
        f"/v1/sessions/{issued.session_id}/manifest-timestamp",
        headers=tokens.header(tokens.enterprise(issued.enterprise_id)),
    )
    assert response.status_code == 200
    token = tmp_path / "manifest.tst"
    token.write_bytes(response.content)
    command = [
        "openssl", "ts", "-verify", "-digest", "f" * 64, "-token_in", "-in", str(token), "-CAfile", f"{pki_dir}/root.pem",
    ]  # fmt: skip
    verified = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True)
    assert "Verification: OK" in verified.stdout, verified.stdout + verified.stderr
    wrong = await asyncio.to_thread(
        subprocess.run, [*command[:4], "e" * 64, *command[5:]], capture_output=True, text=True
    )
    assert "Verification: OK" not in wrong.stdout
    [record] = await feed.documents(issued.inspection_id, "inspection_record")
    assert "RFC3161" in pdf_text(record.pdf)
    other = await client.get(
        f"/v1/sessions/{issued.session_id}/manifest-timestamp", headers=tokens.header(tokens.enterprise("ENT-other"))
    )
    assert other.status_code == 403
