"""Day plans (CP-SAT): the Cixi case, five sites of about 25 minutes in one day, ordered, with
buffers for the camera to move, clear of the team's other bookings; offers and slot choice."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx

from rvi_platform.testing import Tokens
from rvi_scheduling.plans.solver import SiteTask, buffer_minutes, plan_day
from rvi_shared.clock import ManualClock
from rvi_shared.identifiers import example_uscc

from .roster import register  # noqa: TID252
from .test_inspections_api import inspection_body  # noqa: TID252
from .test_rosters import create, decide_remote, scheduled, unique_office  # noqa: TID252

CIXI_SITES = [
    ("S1", "Zhouxiang planting base", 30.1731, 121.2698),
    ("S2", "Guanhaiwei planting base", 30.2270, 121.3921),
    ("S3", "Xinpu planting base", 30.2545, 121.3440),
    ("S4", "Kandun planting base", 30.2703, 121.2201),
    ("S5", "Longshan planting base", 30.1890, 121.4895),
]
TASKS = [SiteTask(s, lat, lon, 25) for s, _, lat, lon in CIXI_SITES]


def test_the_cixi_day_orders_five_sites_with_buffers_around_other_bookings() -> None:
    lunch_meeting = (12 * 60, 13 * 60)
    visits = plan_day(
        TASKS, 9 * 60, 17 * 60 + 30, busy=[(9 * 60, 10 * 60), lunch_meeting, (12 * 60 + 30, 12 * 60 + 45)]
    )
    assert visits is not None
    assert sorted(v.site_id for v in visits) == [s.site_id for s in TASKS]
    assert all(v.end - v.start == 25 for v in visits)
    assert visits[0].start >= 10 * 60 and visits[-1].end <= 17 * 60 + 30
    by_id = {t.site_id: t for t in TASKS}
    for a, b in zip(visits, visits[1:], strict=False):
        assert b.start - a.end >= buffer_minutes(by_id[a.site_id], by_id[b.site_id], 10, 40.0)
    for v in visits:
        assert v.end <= lunch_meeting[0] or v.start >= lunch_meeting[1]
    # all five fit one working morning-to-afternoon
    assert visits[-1].end - visits[0].start <= 5 * 25 + 4 * 60


def test_the_order_is_shorter_than_the_listed_order() -> None:
    visits = plan_day(TASKS, 9 * 60, 17 * 60 + 30)
    assert visits is not None
    listed = sum(buffer_minutes(a, b, 10, 40.0) for a, b in zip(TASKS, TASKS[1:], strict=False))
    assert visits[-1].end - visits[0].start <= 5 * 25 + listed


def test_a_day_too_short_for_the_sites_has_no_plan() -> None:
    assert plan_day(TASKS, 9 * 60, 11 * 60) is None
    assert plan_day(TASKS, 9 * 60, 17 * 60, busy=[(9 * 60, 16 * 60)]) is None


async def test_the_cixi_inspection_is_planned_as_one_day_and_the_enterprise_chooses_among_offers(
    live_client: httpx.AsyncClient, tokens: Tokens, kafka_bootstrap: str, clock: ManualClock
) -> None:
    office, district = unique_office()
    await register(live_client, tokens, office, district, 3)
    sites = [{"site_id": s, "name": n, "latitude": lat, "longitude": lon} for s, n, lat, lon in CIXI_SITES]
    items = [{"item_id": f"I{n}", "description": f"task {n}"} for n in range(1, 7)]
    inspection = (await create(live_client, tokens, office, sites=sites, checklist_items=items)).json()
    await decide_remote(kafka_bootstrap, [inspection], clock)
    (got,) = await scheduled(live_client, tokens, [inspection["id"]])

    plan = got["day_plan"]
    assert sorted(v["site_id"] for v in plan) == [s[0] for s in CIXI_SITES]
    starts = [datetime.fromisoformat(v["start"]) for v in plan]
    assert len({s.date() for s in starts}) == 1
    t = datetime.fromisoformat
    assert t(got["slot_start"]) == t(plan[0]["start"]) and t(got["slot_end"]) == t(plan[-1]["end"])
    assert datetime.fromisoformat(got["slot_start"]) - clock.now() >= timedelta(days=3)
    offers = got["offered_slots"]
    assert [o["offer_id"] for o in offers] == ["1", "2", "3"]
    assert len({t(o["slot_start"]).date() for o in offers}) == 3
    assert got["notice_id"]

    enterprise = tokens.header(tokens.enterprise(inspection["enterprise_id"]))
    url = f"/v1/inspections/{inspection['id']}/slot-choice"
    unknown = await live_client.post(url, json={"offer_id": "9"}, headers=enterprise)
    assert unknown.status_code == 422 and unknown.json()["field"] == "offer_id"
    chosen = await live_client.post(url, json={"offer_id": "3"}, headers=enterprise)
    assert chosen.status_code == 200, chosen.text
    assert t(chosen.json()["slot_start"]) == t(offers[2]["slot_start"])
    assert len(chosen.json()["day_plan"]) == 5
    timeline = (await live_client.get(f"/v1/inspections/{inspection['id']}/timeline", headers=enterprise)).json()
    assert timeline[-1]["type"] == "rvi.inspection.rescheduled.v1" and len(timeline[-1]["data"]["plan"]) == 5

    clock.advance(datetime.fromisoformat(offers[0]["slot_start"]) - clock.now() - timedelta(hours=1))
    try:
        late = await live_client.post(url, json={"offer_id": "1"}, headers=enterprise)
        assert late.status_code == 422 and "GACC-RVI 4(I)" in late.json()["detail"]
    finally:
        clock.advance(-(datetime.fromisoformat(offers[0]["slot_start"]) - clock.now() - timedelta(hours=1)))
    other = tokens.header(tokens.enterprise(example_uscc(uuid.uuid4().hex)))
    assert (await live_client.post(url, json={"offer_id": "1"}, headers=other)).status_code == 403


async def test_the_tasks_of_one_enterprise_in_the_period_share_one_day_and_team(
    live_client: httpx.AsyncClient, tokens: Tokens, kafka_bootstrap: str, clock: ManualClock
) -> None:
    office, district = unique_office()
    await register(live_client, tokens, office, district, 4)
    enterprise_id = example_uscc(uuid.uuid4().hex)
    system = tokens.header(tokens.system())
    sites = [{"site_id": s, "name": n, "latitude": lat, "longitude": lon} for s, n, lat, lon in CIXI_SITES]
    first = (
        await live_client.post(
            "/v1/inspections", json=inspection_body(enterprise_id, customs=office, sites=sites[:3]), headers=system
        )
    ).json()
    second = (
        await live_client.post(
            "/v1/inspections", json=inspection_body(enterprise_id, customs=office, sites=sites[3:]), headers=system
        )
    ).json()
    await decide_remote(kafka_bootstrap, [first], clock)
    (one,) = await scheduled(live_client, tokens, [first["id"]])
    await decide_remote(kafka_bootstrap, [second], clock)
    (two,) = await scheduled(live_client, tokens, [second["id"]])
    t = datetime.fromisoformat
    assert t(two["slot_start"]).date() == t(one["slot_start"]).date()
    assert {o["officer_id"] for o in two["officers"]} == {o["officer_id"] for o in one["officers"]}
    assert t(two["slot_start"]) >= t(one["slot_end"]) + timedelta(minutes=10)
