"""Operators keep the calendar over REST (audited); a year without data is 409 naming it."""

from __future__ import annotations

import httpx

from rvi_platform.testing import Tokens
from rvi_shared.identifiers import example_uscc

from .test_inspections_api import inspection_body  # noqa: TID252


async def test_days_show_holidays_and_make_up_working_days(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await client.get(
        "/v1/calendar/days",
        params={"start": "2026-09-19", "end": "2026-10-08"},
        headers=tokens.header(tokens.officer()),
    )
    assert response.status_code == 200, response.text
    days = {d["day"]: d for d in response.json()}
    assert days["2026-09-19"]["working"] is False
    assert days["2026-09-20"] == {
        "day": "2026-09-20",
        "working": True,
        "source": "official",
        "name": "make-up working day",
    }
    assert [d for d, v in days.items() if d >= "2026-10-01" and not v["working"]] == [
        f"2026-10-0{i}" for i in range(1, 8)
    ]
    assert days["2026-10-08"]["working"] is True


async def test_a_year_without_data_is_409_naming_the_year(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await client.get(
        "/v1/calendar/days",
        params={"start": "2026-12-30", "end": "2027-01-05"},
        headers=tokens.header(tokens.officer()),
    )
    assert response.status_code == 409
    body = response.json()
    assert "2027" in body["detail"] and body["year"] == 2027 and body["field"] == "end"


async def test_operators_override_days_and_enter_a_year_audited(client: httpx.AsyncClient, tokens: Tokens) -> None:
    operator = tokens.header(tokens.operator())
    forbidden = await client.put(
        "/v1/calendar/overrides/2026-12-31",
        json={"working": False, "reason": "x"},
        headers=tokens.header(tokens.officer()),
    )
    assert forbidden.status_code == 403
    refused = await client.put(
        "/v1/calendar/overrides/2028-01-03", json={"working": False, "reason": "x"}, headers=operator
    )
    assert refused.status_code == 409 and refused.json()["year"] == 2028

    declared = await client.put(
        "/v1/calendar/years/2028", json={"notice": "State Council notice on the 2028 holidays"}, headers=operator
    )
    assert declared.status_code == 200, declared.text
    off = await client.put(
        "/v1/calendar/overrides/2028-01-03",
        json={"working": False, "reason": "2028 notice: New Year 1-3 Jan"},
        headers=operator,
    )
    assert off.status_code == 200 and off.json()["updated_by"] == "ops"
    days = (
        await client.get("/v1/calendar/days", params={"start": "2028-01-03", "end": "2028-01-04"}, headers=operator)
    ).json()
    assert [(d["day"], d["working"], d["source"]) for d in days] == [
        ("2028-01-03", False, "override"),
        ("2028-01-04", True, "official"),
    ]
    removed = await client.delete(
        "/v1/calendar/overrides/2028-01-03", params={"reason": "entered by mistake"}, headers=operator
    )
    assert removed.status_code == 204
    audit = (await client.get("/v1/calendar/audit", headers=operator)).json()
    mine = [
        (a["action"], a["day"] or a["year"], a["actor"])
        for a in audit
        if (a["day"] or "").startswith("2028") or a["year"] == 2028
    ]
    assert mine == [
        ("declare_year", 2028, "ops"),
        ("override", "2028-01-03", "ops"),
        ("remove_override", "2028-01-03", "ops"),
    ]
    assert audit[-1]["reason"] == "entered by mistake"


async def test_reschedule_onto_a_holiday_or_outside_office_hours_is_422(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    created = (
        await client.post(
            "/v1/inspections", json=inspection_body(example_uscc("ENT-CAL")), headers=tokens.header(tokens.system())
        )
    ).json()
    # requested, not scheduled: the slot is checked before the state
    staff = tokens.header(tokens.officer())
    url = f"/v1/inspections/{created['id']}/reschedule"
    holiday = await client.post(url, json={"slot_start": "2026-10-02T09:00:00+08:00", "reason": "r"}, headers=staff)
    assert holiday.status_code == 422 and "not a working day" in holiday.json()["detail"]
    assert holiday.json()["field"] == "slot_start"
    evening = await client.post(url, json={"slot_start": "2026-12-01T17:15:00+08:00", "reason": "r"}, headers=staff)
    assert evening.status_code == 422 and "office hours" in evening.json()["detail"]
    too_soon = await client.post(url, json={"slot_start": "2026-11-25T09:00:00+08:00", "reason": "r"}, headers=staff)
    assert too_soon.status_code == 422 and "GACC-RVI 4(I)" in too_soon.json()["detail"]
    no_data = await client.post(url, json={"slot_start": "2027-03-01T09:00:00+08:00", "reason": "r"}, headers=staff)
    assert no_data.status_code == 409 and no_data.json()["year"] == 2027
    fine = await client.post(url, json={"slot_start": "2026-12-01T09:00:00+08:00", "reason": "r"}, headers=staff)
    assert fine.status_code == 409 and fine.json()["current_state"] == "requested"
