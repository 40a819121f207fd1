"""No-shows, the enterprise's reschedule requests and hybrid tasks (GACC-RVI 3(III), 5(I))."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx

from rvi_platform.testing import Tokens, eventually
from rvi_shared.clock import ManualClock
from rvi_shared.events import payloads as p

from .roster import register  # noqa: TID252
from .test_readiness import publish  # noqa: TID252
from .test_rosters import create, decide_remote, scheduled, unique_office  # noqa: TID252


async def timeline_types(client: httpx.AsyncClient, tokens: Tokens, inspection_id: str) -> list[dict]:
    return (
        await client.get(f"/v1/inspections/{inspection_id}/timeline", headers=tokens.header(tokens.system()))
    ).json()


async def test_a_no_show_reschedules_with_notice_and_repeated_no_shows_go_onsite(
    live_client: httpx.AsyncClient, tokens: Tokens, kafka_bootstrap: str, clock: ManualClock
) -> None:
    office, district = unique_office()
    await register(live_client, tokens, office, district, 2)
    inspection = (await create(live_client, tokens, office)).json()
    await decide_remote(kafka_bootstrap, [inspection], clock)
    (first,) = await scheduled(live_client, tokens, [inspection["id"]])
    url = f"/v1/inspections/{inspection['id']}"
    moved = timedelta()
    try:
        step = datetime.fromisoformat(first["slot_start"]) + timedelta(minutes=31) - clock.now()
        clock.advance(step)
        moved += step

        async def rescheduled() -> dict | None:
            got = (await live_client.get(url, headers=tokens.header(tokens.system()))).json()
            return got if got["no_shows"] == 1 and got["state"] == "scheduled" else None

        second = await eventually(rescheduled, "the first no-show", timeout_s=30)
        assert datetime.fromisoformat(second["slot_start"]) - clock.now() >= timedelta(days=3)
        assert second["notice_id"] != first["notice_id"]
        events = await timeline_types(live_client, tokens, inspection["id"])
        no_show = next(e for e in events if e["type"] == "rvi.inspection.no_show.v1")
        assert no_show["data"]["action"] == "rescheduled" and no_show["data"]["no_shows"] == 1
        assert events[-1]["type"] == "rvi.inspection.rescheduled.v1"

        step = datetime.fromisoformat(second["slot_start"]) + timedelta(minutes=31) - clock.now()
        clock.advance(step)
        moved += step

        async def onsite() -> dict | None:
            got = (await live_client.get(url, headers=tokens.header(tokens.system()))).json()
            return got if got["state"] == "shifted_onsite" else None

        final = await eventually(onsite, "on-site after the second no-show", timeout_s=30)
        assert "GACC-RVI 5(I)" in final["state_reason"] and final["no_shows"] == 2
    finally:
        clock.advance(-moved)


async def test_the_enterprise_may_ask_to_reschedule_a_limited_number_of_times(
    live_client: httpx.AsyncClient, tokens: Tokens, kafka_bootstrap: str, clock: ManualClock
) -> None:
    office, district = unique_office()
    await register(live_client, tokens, office, district, 2)
    inspection = (await create(live_client, tokens, office)).json()
    await decide_remote(kafka_bootstrap, [inspection], clock)
    (got,) = await scheduled(live_client, tokens, [inspection["id"]])
    enterprise = tokens.header(tokens.enterprise(inspection["enterprise_id"]))
    url = f"/v1/inspections/{inspection['id']}/reschedule-request"
    slot = datetime.fromisoformat(got["slot_start"])
    for n in (1, 2):
        moved = await live_client.post(url, json={"reason": f"harvest on site {n}"}, headers=enterprise)
        assert moved.status_code == 200, moved.text
        new_slot = datetime.fromisoformat(moved.json()["slot_start"])
        assert new_slot.date() > slot.date() and moved.json()["enterprise_reschedules"] == n
        slot = new_slot
    refused = await live_client.post(url, json={"reason": "again"}, headers=enterprise)
    assert refused.status_code == 409 and "at most 2" in refused.json()["detail"]
    missing_reason = await live_client.post(url, json={}, headers=enterprise)
    assert missing_reason.status_code == 422


async def test_a_hybrid_task_sends_its_onsite_items_to_a_follow_up_and_the_remote_part_goes_ahead(
    live_client: httpx.AsyncClient, tokens: Tokens, kafka_bootstrap: str, clock: ManualClock
) -> None:
    office, district = unique_office()
    await register(live_client, tokens, office, district, 4)
    items = [{"item_id": "I1", "description": "inputs"}, {"item_id": "I2", "description": "soil sampling"}]
    inspection = (await create(live_client, tokens, office, checklist_items=items)).json()
    reason = p.Reason(rule_id="sampling", reference="GACC-RVI 3(III)", message="sampling needs a physical visit")
    decision = p.EligibilityDecided(
        decision_id=str(uuid.uuid4()),
        inspection_id=inspection["id"],
        enterprise_id=inspection["enterprise_id"],
        remote_allowed=True,
        outcome="hybrid",
        items=[
            p.ItemDecision(item_id="I1", method="video"),
            p.ItemDecision(item_id="I2", method="onsite", reasons=[reason]),
        ],
        reasons=[reason],
        rule_set_version="test",
        evaluated_at=clock.now(),
    )
    await publish(kafka_bootstrap, "rvi.eligibility.decided.v1", inspection["id"], decision, clock)
    (got,) = await scheduled(live_client, tokens, [inspection["id"]])
    assert got["onsite_items"] == ["I2"]
    events = await timeline_types(live_client, tokens, inspection["id"])
    required = next(e for e in events if e["type"] == "rvi.inspection.onsite_required.v1")["data"]
    assert required["items"] == [{"item_id": "I2", "reasons": ["GACC-RVI 3(III): sampling needs a physical visit"]}]
    assert datetime.fromisoformat(required["planned_start"]).date() > datetime.fromisoformat(got["slot_start"]).date()
    assert len(required["team"]) == 2
