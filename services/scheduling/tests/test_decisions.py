"""Reactions to eligibility decisions arriving over the real broker."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx

from rvi_platform.testing import Tokens, eventually
from rvi_shared.clock import ManualClock
from rvi_shared.events import new_event, topic_for
from rvi_shared.events import payloads as p
from rvi_shared.identifiers import example_uscc
from rvi_shared.messaging.kafka import ensure_topics, make_producer

from .roster import register  # noqa: TID252
from .test_inspections_api import inspection_body  # noqa: TID252


async def decide(
    kafka_bootstrap: str, inspection: dict, clock: ManualClock, outcome: str, reasons: list[p.Reason]
) -> None:
    decision = p.EligibilityDecided(
        decision_id=str(uuid.uuid4()),
        inspection_id=inspection["id"],
        enterprise_id=inspection["enterprise_id"],
        remote_allowed=outcome != "onsite",
        outcome=outcome,
        items=[p.ItemDecision(item_id="I1", method="onsite" if outcome == "onsite" else "video")],
        reasons=reasons,
        rule_set_version="test",
        evaluated_at=clock.now(),
    )
    event = new_event(
        type="rvi.eligibility.decided.v1", source="/rvi/test", subject=inspection["id"], data=decision, time=clock.now()
    )
    await ensure_topics(kafka_bootstrap, 6)
    producer = make_producer(kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic_for(event.type), value=event.to_json(), key=inspection["id"].encode())
    finally:
        await producer.stop()


async def state_of(client: httpx.AsyncClient, tokens: Tokens, inspection_id: str, *states: str) -> dict | None:
    got = (await client.get(f"/v1/inspections/{inspection_id}", headers=tokens.header(tokens.system()))).json()
    return got if got["state"] in states else None


async def test_a_remote_decision_schedules_with_three_days_notice(
    live_client: httpx.AsyncClient, tokens: Tokens, kafka_bootstrap: str, clock: ManualClock
) -> None:
    await register(live_client, tokens, "Cixi", "Ningbo", 2, prefix="cixi")
    created = await live_client.post(
        "/v1/inspections", json=inspection_body(example_uscc(uuid.uuid4().hex)), headers=tokens.header(tokens.system())
    )
    inspection = created.json()
    await decide(kafka_bootstrap, inspection, clock, "remote", [])
    scheduled = await eventually(lambda: state_of(live_client, tokens, inspection["id"], "scheduled"), "scheduled")
    slot = datetime.fromisoformat(scheduled["slot_start"])
    assert slot - clock.now() >= timedelta(days=3)
    assert datetime.fromisoformat(scheduled["notice_sent_at"]) == clock.now()
    assert scheduled["checklist_items"][0]["method"] == "video"
    assert len(scheduled["officers"]) == 2 and all(o["officer_id"].startswith("O-cixi-") for o in scheduled["officers"])


async def test_an_onsite_decision_shifts_the_task_onsite_with_its_reasons(
    live_client: httpx.AsyncClient, tokens: Tokens, kafka_bootstrap: str, clock: ManualClock
) -> None:
    created = await live_client.post(
        "/v1/inspections", json=inspection_body(example_uscc(uuid.uuid4().hex)), headers=tokens.header(tokens.system())
    )
    inspection = created.json()
    reason = p.Reason(rule_id="not-discredited", reference="GACC-RVI 2", message="the enterprise is discredited")
    await decide(kafka_bootstrap, inspection, clock, "onsite", [reason])
    shifted = await eventually(lambda: state_of(live_client, tokens, inspection["id"], "shifted_onsite"), "shifted")
    assert "GACC-RVI 2" in shifted["state_reason"]
    timeline = (
        await live_client.get(f"/v1/inspections/{inspection['id']}/timeline", headers=tokens.header(tokens.system()))
    ).json()
    assert [e["type"] for e in timeline] == [
        "rvi.inspection.requested.v1",
        "rvi.eligibility.decided.v1",
        "rvi.inspection.shifted_onsite.v1",
    ]
