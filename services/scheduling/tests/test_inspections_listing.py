"""GET /v1/inspections: an office's inspections in a window, however the office is named (DOMAIN
10), by slot start, paginated; for officers and supervisors only; bad queries named."""

from __future__ import annotations

from base64 import urlsafe_b64encode
from datetime import datetime, timedelta

import httpx

from rvi_platform.testing import Tokens
from rvi_shared.clock import ManualClock
from rvi_shared.customs import registry

from .roster import register, unique_office  # noqa: TID252
from .test_rosters import create, decide_remote, scheduled  # noqa: TID252


async def test_the_office_day_and_week_lists_its_booked_inspections_in_slot_order(
    live_client: httpx.AsyncClient, tokens: Tokens, kafka_bootstrap: str, clock: ManualClock
) -> None:
    office, district = unique_office()
    found = registry().resolve(office)
    assert found is not None
    await register(live_client, tokens, office, district, 4)
    names = [office, found.name_zh, found.code or office]
    created = [(await create(live_client, tokens, name)).json() for name in names]
    await decide_remote(kafka_bootstrap, created, clock)
    booked = await scheduled(live_client, tokens, [c["id"] for c in created])
    other_office, other_district = unique_office()
    await register(live_client, tokens, other_office, other_district, 2)
    elsewhere = (await create(live_client, tokens, other_office)).json()
    await decide_remote(kafka_bootstrap, [elsewhere], clock)
    await scheduled(live_client, tokens, [elsewhere["id"]])

    officer = tokens.header(tokens.officer())
    start = clock.now()
    query = {"office": found.name_zh, "from": start.isoformat(), "to": (start + timedelta(days=31)).isoformat()}
    listed = await live_client.get("/v1/inspections", params=query, headers=officer)
    assert listed.status_code == 200, listed.text
    page = listed.json()
    expected = sorted(booked, key=lambda b: (datetime.fromisoformat(b["slot_start"]), b["id"]))
    assert [i["id"] for i in page["items"]] == [b["id"] for b in expected]
    assert page["next_cursor"] is None
    assert all(len(i["day_plan"]) == 1 for i in page["items"])

    seen: list[str] = []
    cursor: str | None = None
    while True:
        params = {**query, "limit": "2", **({"cursor": cursor} if cursor else {})}
        got = (await live_client.get("/v1/inspections", params=params, headers=officer)).json()
        seen += [i["id"] for i in got["items"]]
        cursor = got["next_cursor"]
        if cursor is None:
            break
    assert seen == [b["id"] for b in expected]

    first = datetime.fromisoformat(expected[0]["slot_start"])
    day = {**query, "from": first.isoformat(), "to": (first + timedelta(seconds=1)).isoformat()}
    that_moment = [b["id"] for b in expected if datetime.fromisoformat(b["slot_start"]) == first]
    got = (await live_client.get("/v1/inspections", params=day, headers=officer)).json()["items"]
    assert [i["id"] for i in got] == that_moment
    after_all = {
        **query,
        "from": (datetime.fromisoformat(expected[-1]["slot_start"]) + timedelta(seconds=1)).isoformat(),
    }
    assert (await live_client.get("/v1/inspections", params=after_all, headers=officer)).json()["items"] == []
    ready = {**query, "state": "ready"}
    assert (await live_client.get("/v1/inspections", params=ready, headers=officer)).json()["items"] == []
    by_district = {k: v for k, v in query.items() if k != "office"} | {"district": found.district.name_zh}
    listed_by_district = (await live_client.get("/v1/inspections", params=by_district, headers=officer)).json()
    assert [i["id"] for i in listed_by_district["items"]] == [b["id"] for b in expected]
    supervisor = tokens.header(tokens.supervisor())
    assert (await live_client.get("/v1/inspections", params=query, headers=supervisor)).status_code == 200


async def test_bad_queries_are_named_and_only_customs_staff_list(
    live_client: httpx.AsyncClient, tokens: Tokens
) -> None:
    officer = tokens.header(tokens.officer())
    good = {"office": "3105", "from": "2026-11-23T00:00:00+08:00", "to": "2026-11-30T00:00:00+08:00"}
    assert (await live_client.get("/v1/inspections", params=good, headers=officer)).status_code == 200
    bad = [
        ({"from": "2026-11-23T00:00:00"}, "from"),
        ({"to": "2026-11-23"}, "to"),
        ({"to": "2026-11-22T00:00:00+08:00"}, "to"),
        ({"to": "2027-01-30T00:00:00+08:00"}, "to"),
        ({"office": "Atlantis"}, "office"),
        ({"district": "Ningbo"}, "office"),
        ({"district": "Atlantis"}, "district"),
        ({"state": "sleeping"}, "state"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": urlsafe_b64encode(b"2026-11-23T00:00:00+00:00|a\x00b").decode()}, "cursor"),
        ({"cursor": urlsafe_b64encode(b"0001-01-01T00:00:00+14:00|a").decode()}, "cursor"),
        ({"from": "0001-01-01T00:00:00+14:00", "to": "0001-01-02T00:00:00+14:00"}, "from"),
    ]
    for change, field in bad:
        response = await live_client.get("/v1/inspections", params={**good, **change}, headers=officer)
        assert response.status_code == 422, (change, response.text)
        problem = response.json()
        fields = [problem.get("field"), *(e["field"] for e in problem.get("errors", []))]
        assert any(f and f.split(".")[-1] in (field, "0") and field in f for f in fields), (change, problem)
    enterprise = tokens.header(tokens.enterprise("91330282MA2AXXXX0X"))
    assert (await live_client.get("/v1/inspections", params=good, headers=enterprise)).status_code == 403
    assert (await live_client.get("/v1/inspections", params=good)).status_code == 401
