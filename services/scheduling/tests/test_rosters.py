"""Officers, rosters and team assignment: two officers of the office or district, credentials
valid on the day, no double booking, fair load; named teams checked by the same rules."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, datetime

import httpx

from rvi_platform.testing import Tokens, eventually, read_topic
from rvi_shared.clock import ManualClock
from rvi_shared.events import new_event, topic_for
from rvi_shared.events import payloads as p
from rvi_shared.identifiers import example_uscc
from rvi_shared.messaging.kafka import ensure_topics, make_producer

from .roster import officer_body, register, unique_office  # noqa: TID252
from .test_inspections_api import inspection_body  # noqa: TID252


async def decide_remote(kafka_bootstrap: str, inspections: list[dict], clock: ManualClock) -> None:
    await ensure_topics(kafka_bootstrap, 6)
    producer = make_producer(kafka_bootstrap)
    await producer.start()
    try:
        for inspection in inspections:
            decision = p.EligibilityDecided(
                decision_id=str(uuid.uuid4()),
                inspection_id=inspection["id"],
                enterprise_id=inspection["enterprise_id"],
                remote_allowed=True,
                outcome="remote",
                items=[p.ItemDecision(item_id="I1", method="video")],
                reasons=[],
                rule_set_version="test",
                evaluated_at=clock.now(),
            )
            event = new_event(
                type="rvi.eligibility.decided.v1",
                source="/rvi/test",
                subject=inspection["id"],
                data=decision,
                time=clock.now(),
            )
            await producer.send(topic_for(event.type), value=event.to_json(), key=inspection["id"].encode())
        await producer.flush()
    finally:
        await producer.stop()


async def create(client: httpx.AsyncClient, tokens: Tokens, office: str, **overrides: object) -> httpx.Response:
    body = inspection_body(example_uscc(uuid.uuid4().hex), customs=office, **overrides)
    return await client.post("/v1/inspections", json=body, headers=tokens.header(tokens.system()))


async def scheduled(client: httpx.AsyncClient, tokens: Tokens, ids: list[str], timeout_s: float = 60) -> list[dict]:
    async def check() -> list[dict] | None:
        got = [(await client.get(f"/v1/inspections/{i}", headers=tokens.header(tokens.system()))).json() for i in ids]
        return got if all(g["state"] == "scheduled" for g in got) else None

    return await eventually(check, "all scheduled", timeout_s)


async def test_the_team_is_two_officers_of_the_office_in_service_with_valid_credentials(
    live_client: httpx.AsyncClient, tokens: Tokens, kafka_bootstrap: str, clock: ManualClock
) -> None:
    office, district = unique_office()
    system = tokens.header(tokens.system())
    tag = uuid.uuid4().hex[:6].upper()
    officers = {
        "expired": officer_body(office, district, f"{tag}-X", credential_valid_until="2026-11-24"),
        "not-yet": officer_body(office, district, f"{tag}-Y", credential_valid_from="2027-01-01"),
        "retired": officer_body(office, district, f"{tag}-R", active=False),
        "other-district": officer_body(*unique_office(), f"{tag}-E"),
        "a": officer_body(office, district, f"{tag}-A"),
        "b": officer_body(office, district, f"{tag}-B"),
    }
    for key, body in officers.items():
        assert (await live_client.put(f"/v1/officers/{tag}-{key}", json=body, headers=system)).status_code == 200
    inspection = (await create(live_client, tokens, office)).json()
    await decide_remote(kafka_bootstrap, [inspection], clock)
    (got,) = await scheduled(live_client, tokens, [inspection["id"]])
    assert sorted(o["officer_id"] for o in got["officers"]) == [f"{tag}-a", f"{tag}-b"]
    timeline = (await live_client.get(f"/v1/inspections/{inspection['id']}/timeline", headers=system)).json()
    event = next(e for e in timeline if e["type"] == "rvi.inspection.scheduled.v1")
    assert sorted(o["credential_no"] for o in event["data"]["team"]) == [f"{tag}-A", f"{tag}-B"]


async def test_without_two_available_officers_the_inspection_waits_with_the_reason(
    live_client: httpx.AsyncClient, tokens: Tokens, kafka_bootstrap: str, clock: ManualClock
) -> None:
    office, district = unique_office()
    await register(live_client, tokens, office, district, 1)
    inspection = (await create(live_client, tokens, office)).json()
    await decide_remote(kafka_bootstrap, [inspection], clock)

    async def reason() -> str | None:
        got = await live_client.get(f"/v1/inspections/{inspection['id']}", headers=tokens.header(tokens.system()))
        return got.json()["state_reason"]

    assert "no two officers" in await eventually(reason, "the reason")


async def test_load_is_spread_fairly_over_100_inspections_without_double_booking(
    live_client: httpx.AsyncClient, tokens: Tokens, kafka_bootstrap: str, clock: ManualClock
) -> None:
    office, district = unique_office()
    ids = await register(live_client, tokens, office, district, 5)
    inspections = [(await create(live_client, tokens, office)).json() for _ in range(100)]
    await decide_remote(kafka_bootstrap, inspections, clock)
    done = await scheduled(live_client, tokens, [i["id"] for i in inspections], timeout_s=180)
    load = Counter(o["officer_id"] for d in done for o in d["officers"])
    assert set(load) == set(ids)
    assert max(load.values()) - min(load.values()) <= 1, load
    for officer_id in ids:
        slots = sorted(
            (datetime.fromisoformat(d["slot_start"]), datetime.fromisoformat(d["slot_end"]))
            for d in done
            if officer_id in {o["officer_id"] for o in d["officers"]}
        )
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(slots, slots[1:], strict=False)), officer_id


async def test_a_named_team_is_checked_at_request_naming_officer_and_rule(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    office, district = unique_office()
    system = tokens.header(tokens.system())
    tag = uuid.uuid4().hex[:6].upper()
    for key, body in {
        "ok": officer_body(office, district, f"{tag}-1"),
        "expired": officer_body(office, district, f"{tag}-2", credential_valid_until="2026-01-31"),
        "far": officer_body(*unique_office(), f"{tag}-3"),
    }.items():
        assert (await client.put(f"/v1/officers/{tag}-{key}", json=body, headers=system)).status_code == 200

    def member(key: str, number: int) -> dict:
        return {"officer_id": f"{tag}-{key}", "name": key, "credential_no": f"{tag}-{number}"}

    cases = {
        "roster": [member("ok", 1), {"officer_id": "ghost", "name": "g", "credential_no": "G-1"}],
        "credential": [member("ok", 1), member("expired", 2)],
        "office": [member("ok", 1), member("far", 3)],
    }
    for rule, team in cases.items():
        response = await create(client, tokens, office, officers=team)
        assert response.status_code == 422, (rule, response.text)
        body = response.json()
        assert body["rule"] == rule and body["field"] == "officers", body
        assert body["officer_id"] == team[1]["officer_id"] and team[1]["officer_id"] in body["detail"]


async def test_a_named_double_booked_officer_is_422_and_a_drop_out_is_replaced(
    live_client: httpx.AsyncClient, tokens: Tokens, kafka_bootstrap: str, clock: ManualClock
) -> None:
    office, district = unique_office()
    ids = await register(live_client, tokens, office, district, 5)
    first, second = [(await create(live_client, tokens, office)).json() for _ in range(2)]
    await decide_remote(kafka_bootstrap, [first], clock)
    await scheduled(live_client, tokens, [first["id"]])
    await decide_remote(kafka_bootstrap, [second], clock)
    one, two = await scheduled(live_client, tokens, [first["id"], second["id"]])
    assert one["slot_start"] == two["slot_start"]  # two teams in parallel
    busy = one["officers"][0]
    staff = tokens.header(tokens.officer())
    clash = await live_client.put(
        f"/v1/inspections/{two['id']}/team",
        json={"officers": [busy, two["officers"][0]], "reason": "supervisor's choice"},
        headers=staff,
    )
    assert clash.status_code == 422
    assert (clash.json()["officer_id"], clash.json()["rule"]) == (busy["officer_id"], "double_booking")

    free = next(i for i in ids if i not in {o["officer_id"] for o in [*one["officers"], *two["officers"]]})
    leave = await live_client.post(
        f"/v1/officers/{busy['officer_id']}/absences",
        json={"kind": "leave", "starts_at": one["slot_start"], "ends_at": one["slot_end"], "note": "sick"},
        headers=tokens.header(tokens.system()),
    )
    assert leave.status_code == 201, leave.text
    assert leave.json()["reassigned"] == [one["id"]]
    after = (await live_client.get(f"/v1/inspections/{one['id']}", headers=staff)).json()
    team = {o["officer_id"] for o in after["officers"]}
    assert busy["officer_id"] not in team and free in team and len(team) == 2
    timeline = (await live_client.get(f"/v1/inspections/{one['id']}/timeline", headers=staff)).json()
    assert timeline[-1]["type"] == "rvi.inspection.rescheduled.v1"
    assert {o["officer_id"] for o in timeline[-1]["data"]["team"]} == team


async def test_bulk_roster_updates_over_the_personnel_topic(
    live_client: httpx.AsyncClient, tokens: Tokens, kafka_bootstrap: str, clock: ManualClock
) -> None:
    office, district = unique_office()
    tag = uuid.uuid4().hex[:6].upper()
    system = tokens.header(tokens.system())

    def record(
        officer_id: str, credential_no: str, active: bool = True, customs_office: str = office
    ) -> p.OfficerUpdated:
        return p.OfficerUpdated(
            officer_id=officer_id,
            name=f"Officer {officer_id}",
            credential_no=credential_no,
            credential_valid_from=date(2024, 1, 1),
            credential_valid_until=date(2029, 12, 31),
            customs_office=customs_office,
            district=district,
            languages=["zh"],
            active=active,
            updated_at=clock.now(),
        )

    async def send(*officers: p.OfficerUpdated) -> None:
        await ensure_topics(kafka_bootstrap, 6)
        producer = make_producer(kafka_bootstrap)
        await producer.start()
        try:
            for officer in officers:
                event = new_event(
                    type="rvi.officer.updated.v1",
                    source="/hr/personnel",
                    subject=officer.officer_id,
                    data=officer,
                    time=clock.now(),
                )
                await producer.send_and_wait(
                    topic_for(event.type), value=event.to_json(), key=officer.officer_id.encode()
                )
        finally:
            await producer.stop()

    async def roster() -> list[dict] | None:
        got = (await live_client.get("/v1/officers", params={"customs_office": office}, headers=system)).json()
        return got if len(got) == 2 else None

    await send(record(f"{tag}-1", f"{tag}-C1"), record(f"{tag}-2", f"{tag}-C2"))
    officers = await eventually(roster, "two officers on the roster")
    assert sorted(o["credential_no"] for o in officers) == [f"{tag}-C1", f"{tag}-C2"]

    await send(
        record(f"{tag}-3", f"{tag}-C1"),
        record(f"{tag}-4", f"{tag}-C4", customs_office="Atlantis"),
        record(f"{tag}-2", f"{tag}-C2", active=False),
    )

    async def retired() -> bool:
        return (await live_client.get(f"/v1/officers/{tag}-2", headers=system)).json()["active"] is False

    await eventually(retired, "the second record's update")
    assert (await live_client.get(f"/v1/officers/{tag}-3", headers=system)).status_code == 404
    dead = [
        r
        for r in await read_topic(kafka_bootstrap, "rvi.personnel.dlq", want=1000, timeout_s=5)
        if r.key == f"{tag}-3".encode()
    ]
    assert dead and f"belongs to officer '{tag}-1'" in dict(dead[0].headers)["error"].decode()

    async def refused() -> list | None:  # another key, maybe another partition: wait for it
        records = await read_topic(kafka_bootstrap, "rvi.personnel.dlq", want=1000, timeout_s=5)
        return [r for r in records if r.key == f"{tag}-4".encode()] or None

    nowhere = await eventually(refused, "the record naming no customs office in the DLQ")
    assert "'Atlantis' is no customs office" in dict(nowhere[0].headers)["error"].decode()
    assert (await live_client.get(f"/v1/officers/{tag}-4", headers=system)).status_code == 404
