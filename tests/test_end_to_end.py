"""One inspection through all four services over the real broker, read back as any Kafka client would."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from rvi_platform.demo import Endpoints, FlowResult, auth, run_flow
from rvi_platform.stack import Stack
from rvi_shared.auth import Role, mint_token
from rvi_shared.events import decode_payload, parse_event
from rvi_shared.events.registry import TOPICS, topic_for

from .conftest import running_platform  # noqa: TID252

CAUSAL_ORDER = [
    "rvi.inspection.requested.v1",
    "rvi.eligibility.decided.v1",
    "rvi.inspection.scheduled.v1",
    "rvi.inspection.notified.v1",
    "rvi.inspection.ready.v1",
    "rvi.session.started.v1",
    "rvi.session.step_recorded.v1",
    "rvi.session.ended.v1",
    "rvi.document.issued.v1",
    "rvi.document.signed.v1",
    "rvi.document.completed.v1",
    "rvi.inspection.completed.v1",
]


@pytest.fixture(scope="module")
async def platform(postgres_admin_url: str) -> AsyncIterator[Stack]:
    """The end-to-end flows on a platform of their own: the rosters, bookings and clock that other
    tests' flows leave on the shared one are not the demo's starting point."""
    async with running_platform(postgres_admin_url) as stack:
        yield stack


async def events_on_topics(bootstrap: str, subjects: set[str], settle_s: float = 2.0) -> list:
    """Every topic from the beginning; the CloudEvents whose subject is one of `subjects`."""
    consumer = AIOKafkaConsumer(*TOPICS, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    found = []
    try:
        idle_since = asyncio.get_running_loop().time()
        while asyncio.get_running_loop().time() - idle_since < settle_s:
            batches = await consumer.getmany(timeout_ms=300)
            if batches:
                idle_since = asyncio.get_running_loop().time()
            for records in batches.values():
                for record in records:
                    if record.key is not None and record.key.decode() in subjects:
                        found.append(record)
    finally:
        await consumer.stop()
    return found


async def flow(platform: Stack, endpoints: Endpoints, **kwargs) -> FlowResult:
    async with httpx.AsyncClient(timeout=30) as client:
        return await run_flow(client, endpoints, platform.jwt_secret, str(platform.clock_file), **kwargs)


async def test_the_cixi_inspection_flows_through_all_four_services(
    platform: Stack, endpoints: Endpoints, tmp_path: Path
) -> None:
    result = await flow(
        platform,
        endpoints,
        video=True,
        full_documents=True,
        documents_dir=tmp_path,
        mailbox_dir=str(platform.mailbox_dir),
    )
    assert result.states == ["completed"]
    # Two steps came from the enterprise's live camera: a clip as received and a snapshot.
    assert [(e["kind"], e["file"].rsplit(".", 1)[1]) for e in result.evidence_files] == [
        ("credentials_presented", "mp4"),
        ("identity_verified", "jpg"),
    ]

    records = await events_on_topics(platform.bootstrap, {result.inspection_id})
    events = []
    for record in records:
        event = parse_event(record.value)
        decode_payload(event)  # every payload valid against its registered model
        assert event.subject == result.inspection_id
        assert record.topic == topic_for(event.type)
        assert dict(record.headers)["content-type"] == b"application/cloudevents+json"
        assert event.source.startswith("/rvi/")
        events.append(event)
    types = {e.type for e in events}
    assert set(CAUSAL_ORDER) <= types, set(CAUSAL_ORDER) - types
    first_time = {t: min(e.time for e in events if e.type == t) for t in CAUSAL_ORDER}
    for earlier, later in zip(CAUSAL_ORDER, CAUSAL_ORDER[1:], strict=False):
        assert first_time[earlier] <= first_time[later], f"{earlier} after {later}"
    assert Counter(e.id for e in events).most_common(1)[0][1] >= 1

    system = mint_token(platform.jwt_secret, role=Role.SYSTEM, subject="t")
    async with httpx.AsyncClient() as client:
        timeline = (
            await client.get(
                f"{endpoints.scheduling}/v1/inspections/{result.inspection_id}/timeline", headers=auth(system)
            )
        ).json()
    seen = [e["type"] for e in timeline]
    positions = [seen.index(t) for t in CAUSAL_ORDER]
    assert positions == sorted(positions), seen
    async with httpx.AsyncClient() as client:
        verified = (
            await client.get(
                f"{endpoints.video_gateway}/v1/sessions/{result.session_id}/evidence/verify", headers=auth(system)
            )
        ).json()
    assert verified["ok"] and verified["files_checked"] == 2, verified

    # The closing set is PAdES-signed by customs, both officers and the enterprise, time-stamped.
    async with httpx.AsyncClient() as client:
        documents = (
            await client.get(
                f"{endpoints.documents}/v1/inspections/{result.inspection_id}/documents", headers=auth(system)
            )
        ).json()
        assert sorted((d["kind"], d["state"]) for d in documents) == [
            ("advance_notice", "completed"),
            ("inspection_record", "completed"),
            ("marked_copy", "completed"),
            *[("proof_of_service", "completed")] * 3,
            ("work_record", "completed"),
        ]
        assert all(
            d["served_at"] for d in documents if d["kind"] != "proof_of_service" and d["kind"] != "advance_notice"
        )
        for document in documents:
            report = (
                await client.get(f"{endpoints.documents}{document['verification_url']}", headers=auth(system))
            ).json()
            assert report["valid"], report["problems"]
        stamp = await client.get(
            f"{endpoints.documents}/v1/sessions/{result.session_id}/manifest-timestamp", headers=auth(system)
        )
        assert stamp.status_code == 200 and stamp.content  # RFC 3161 token over the evidence manifest

    # JSON logs carry the inspection and the trace, from requests and from consumed events alike.
    lines = [json.loads(line) for line in (platform.log_dir / "scheduling.log").read_text().splitlines()]
    transitions = [e for e in lines if e.get("inspection_id") == result.inspection_id and " -> " in e["msg"]]
    assert [e["msg"].split(" -> ")[1] for e in transitions] == [
        "scheduled",
        "ready",
        "in_progress",
        "ended",
        "documents_issued",
        "completed",
    ]
    assert all(len(e.get("trace_id", "")) == 32 and e["service"] == "scheduling" for e in transitions)


async def test_a_service_killed_mid_flow_restarts_and_nothing_is_lost_or_doubled(
    platform: Stack, endpoints: Endpoints
) -> None:
    killed: list[str] = []

    async def kill_and_restart(name: str) -> None:
        process = platform.process(name)
        process.kill()
        killed.append(name)
        await asyncio.sleep(1.0)
        process.start()
        await asyncio.to_thread(process.wait_ready)

    restarts: list[asyncio.Task] = []
    requested: list[str] = []

    def on_log(message: str) -> None:
        # Eligibility once every flow has written its facts and request (they poll scheduling meanwhile);
        # documents as the first session ends (that flow then polls for its document).
        if "requested" in message:
            requested.append(message)
        if len(requested) == 4 and "eligibility" not in killed:
            killed.append("eligibility")
            restarts.append(asyncio.create_task(kill_and_restart("eligibility")))
        if "ended after" in message and "documents" not in killed:
            killed.append("documents")
            restarts.append(asyncio.create_task(kill_and_restart("documents")))

    try:
        results = await asyncio.gather(*(flow(platform, endpoints, log=on_log, timeout_s=90) for _ in range(4)))
    finally:
        await asyncio.gather(*restarts, return_exceptions=True)
    assert {"eligibility", "documents"} <= set(killed)
    assert all(r.states == ["completed"] for r in results)

    ids = {r.inspection_id for r in results}
    records = await events_on_topics(platform.bootstrap, ids)
    events = [parse_event(r.value) for r in records]
    officer = mint_token(platform.jwt_secret, role=Role.OFFICER, subject="o", credential_no="NB-0001")
    async with httpx.AsyncClient() as client:
        for inspection_id in ids:
            mine = [e for e in events if e.subject == inspection_id]
            # Redelivery may repeat an event id (absorbed by inboxes), never create a second fact.
            for type_name in ("rvi.eligibility.decided.v1", "rvi.inspection.completed.v1"):
                assert len({e.id for e in mine if e.type == type_name}) == 1, (inspection_id, type_name)
            documents = (
                await client.get(
                    f"{endpoints.documents}/v1/inspections/{inspection_id}/documents", headers=auth(officer)
                )
            ).json()
            # One advance notice and one closing set (inspection record, work record): none doubled.
            assert sorted(d["kind"] for d in documents) == ["advance_notice", "inspection_record", "work_record"]
            issued = {e.id for e in mine if e.type == "rvi.document.issued.v1"}
            assert len(issued) == 2, inspection_id
