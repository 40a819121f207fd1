from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING

from rvi_documents.rendering import latin1
from rvi_shared.events import payloads as p

if TYPE_CHECKING:
    from conftest import Feed


async def test_session_end_issues_an_inspection_record(feed: Feed) -> None:
    issued = await feed.issue()
    [document] = await feed.documents(issued.inspection_id)
    assert document.state == "issued"
    assert document.pdf.startswith(b"%PDF")
    assert hashlib.sha256(document.pdf).hexdigest() == document.sha256
    # Uncompressed content streams: the text is in the bytes as drawn.
    for expected in (
        issued.inspection_id,
        "Cixi Fresh Food Group",
        "NB-0002",
        "30.17000 N, 121.27000 E",
        "crop conditions",
        "location_confirmed",
        "1" * 64,
        "No irregularities found at either site.",
        "f" * 64,
        "Enterprise seal",
    ):
        assert expected.encode() in document.pdf, expected
    [(event_type, data)] = await feed.emitted(issued.inspection_id)
    assert event_type == "rvi.document.issued.v1"
    assert data["document_id"] == document.document_id
    assert data["sha256"] == document.sha256
    assert data["kind"] == "inspection_record"
    assert data["enterprise_id"] == issued.enterprise_id


async def test_the_same_delivery_twice_issues_one_document(feed: Feed) -> None:
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
    assert len(await feed.documents(issued.inspection_id)) == 1
    assert [t for t, _ in await feed.emitted(issued.inspection_id)] == ["rvi.document.issued.v1"]


async def test_another_end_event_for_the_same_session_issues_nothing_new(feed: Feed) -> None:
    issued = await feed.issue()
    again = feed.session_ended(issued.inspection_id, issued.enterprise_id, issued.session_id)
    assert again.id != issued.ended.id
    await feed.send(again)
    await feed.wait_processed(again.id)
    assert len(await feed.documents(issued.inspection_id)) == 1
    assert [t for t, _ in await feed.emitted(issued.inspection_id)] == ["rvi.document.issued.v1"]


async def test_a_new_session_gets_its_own_record(feed: Feed) -> None:
    issued = await feed.issue()
    second = feed.session_ended(issued.inspection_id, issued.enterprise_id, f"SES-{uuid.uuid4()}")
    await feed.send(second)
    await feed.wait_processed(second.id)
    assert len(await feed.documents(issued.inspection_id)) == 2


async def test_non_latin1_text_is_replaced_not_fatal(feed: Feed) -> None:
    issued = await feed.issue(enterprise_name="慈溪 Fresh Food Group")
    [document] = await feed.documents(issued.inspection_id)
    assert b"?? Fresh Food Group" in document.pdf


def test_latin1_folds_what_it_can_and_replaces_the_rest() -> None:
    assert latin1("慈溪 “Ａ” – Zhouxiang, Café") == '?? "A" - Zhouxiang, Café'


async def test_an_end_that_overtakes_the_request_is_kept_and_the_record_follows_the_request(feed: Feed) -> None:
    """Sessions and inspections are different topics: their order across topics is not guaranteed."""
    enterprise_id = f"ENT-{uuid.uuid4().hex[:8]}"
    inspection_id = f"INSP-{uuid.uuid4()}"
    ended = feed.session_ended(inspection_id, enterprise_id, f"SES-{uuid.uuid4()}")
    await feed.send(ended)
    await feed.wait_processed(ended.id)
    assert await feed.documents(inspection_id) == []
    await feed.request_as(inspection_id, enterprise_id)
    [document] = await feed.documents(inspection_id)
    assert document.pdf.startswith(b"%PDF")
    assert [t for t, _ in await feed.emitted(inspection_id)] == ["rvi.document.issued.v1"]
