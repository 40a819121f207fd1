"""Capacity over many inspections of one office: an inspection that leaves the plan (cancelled,
shifted on-site by a new decision, escalated on-site) frees its officers' booking, and officers
absent or booked all day never hide the free ones from the planner."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from rvi_platform.testing import Tokens, eventually
from rvi_scheduling.calendar.rules import NoticeRule, OfficeHours
from rvi_scheduling.calendar.working import WorkingCalendar
from rvi_scheduling.plans.planner import plan_offers
from rvi_scheduling.plans.solver import SiteTask
from rvi_scheduling.rosters.assignment import Candidate
from rvi_shared.clock import ManualClock
from rvi_shared.events import new_event, topic_for
from rvi_shared.events import payloads as p
from rvi_shared.messaging.kafka import ensure_topics, make_producer

from .roster import register, unique_office  # noqa: TID252
from .test_rosters import create, decide_remote, scheduled  # noqa: TID252

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_officers_absent_all_day_do_not_hide_the_free_ones() -> None:
    # The two fairest officers (fewest inspections: they were on leave) are absent for months; the
    # planner tried only the first pairs in fairness order, each holding one of them.
    start = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
    leave = [(start - timedelta(days=1), start + timedelta(days=120))]
    team = [
        Candidate(f"O{i}", "n", "c", "Cixi", "Ningbo", date(2020, 1, 1), date(2030, 1, 1), load=i) for i in range(6)
    ]
    team[0].busy, team[1].busy = list(leave), list(leave)
    site = [SiteTask("S1", 30.0, 121.0, 25)]
    offers = plan_offers(site, team, "Cixi", "Ningbo", start, WorkingCalendar(), OfficeHours(), NoticeRule(), 3, 60)
    assert len(offers) == 3
    assert all({c.officer_id for c in o.team} <= {"O2", "O3", "O4", "O5"} for o in offers)


async def _produce(kafka_bootstrap: str, event_type: str, subject: str, data: p.Payload, clock: ManualClock) -> None:
    event = new_event(type=event_type, source="/rvi/test", subject=subject, data=data, time=clock.now())
    await ensure_topics(kafka_bootstrap, 6)
    producer = make_producer(kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic_for(event.type), value=event.to_json(), key=subject.encode())
    finally:
        await producer.stop()


async def test_inspections_that_leave_the_plan_free_their_booking(
    live_client: httpx.AsyncClient, tokens: Tokens, kafka_bootstrap: str, clock: ManualClock
) -> None:
    office, district = unique_office()
    await register(live_client, tokens, office, district, 2)  # one team: every booking blocks it
    system = tokens.header(tokens.system())

    async def schedule_one() -> dict:
        inspection = (await create(live_client, tokens, office)).json()
        await decide_remote(kafka_bootstrap, [inspection], clock)
        return (await scheduled(live_client, tokens, [inspection["id"]]))[0]

    async def state(inspection_id: str, wanted: str) -> dict | None:
        got = (await live_client.get(f"/v1/inspections/{inspection_id}", headers=system)).json()
        return got if got["state"] == wanted else None

    first = await schedule_one()
    cancelled = await live_client.post(f"/v1/inspections/{first['id']}/cancel", json={"reason": "test"}, headers=system)
    assert cancelled.status_code == 200, cancelled.text

    second = await schedule_one()
    assert second["slot_start"] == first["slot_start"]
    decision = p.EligibilityDecided(
        decision_id=str(uuid.uuid4()),
        inspection_id=second["id"],
        enterprise_id=second["enterprise_id"],
        remote_allowed=False,
        outcome="onsite",
        items=[p.ItemDecision(item_id="I1", method="onsite")],
        reasons=[p.Reason(rule_id="not-discredited", reference="GACC-RVI 2", message="discredited since")],
        rule_set_version="test",
        evaluated_at=clock.now(),
        supersedes=second["decision_id"],
    )
    await _produce(kafka_bootstrap, "rvi.eligibility.decided.v1", second["id"], decision, clock)
    await eventually(lambda: state(second["id"], "shifted_onsite"), "shifted on-site")

    third = await schedule_one()
    assert third["slot_start"] == first["slot_start"]
    escalation = p.SessionEscalated(
        session_id=str(uuid.uuid4()),
        inspection_id=third["id"],
        enterprise_id=third["enterprise_id"],
        reason_code="5(I)",
        reason="the enterprise refused to show the site",
    )
    await _produce(kafka_bootstrap, "rvi.session.escalated.v1", third["id"], escalation, clock)
    await eventually(lambda: state(third["id"], "shifted_onsite"), "escalated on-site")

    fourth = await schedule_one()
    assert fourth["slot_start"] == first["slot_start"]
