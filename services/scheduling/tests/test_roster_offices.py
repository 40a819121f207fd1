"""Rosters resolve customs offices through the registry (DOMAIN 10): an officer registered with
an office's Chinese name or code serves an inspection that names it in English, and the other way
round; an office or district the registry does not know is refused naming the field."""

from __future__ import annotations

import uuid

import httpx

from rvi_platform.testing import Tokens
from rvi_shared.clock import ManualClock

from .roster import officer_body  # noqa: TID252
from .test_rosters import create, decide_remote, scheduled  # noqa: TID252


async def put(client: httpx.AsyncClient, tokens: Tokens, officer_id: str, body: dict) -> httpx.Response:
    return await client.put(f"/v1/officers/{officer_id}", json=body, headers=tokens.header(tokens.system()))


async def test_named_teams_and_listings_match_an_office_by_code_chinese_or_english_name(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    officers = {
        "a": officer_body("皇岗海关", "5300", f"{tag}-A"),  # Huanggang, Shenzhen district
        "b": officer_body("5301", "Shenzhen", f"{tag}-B"),
        "luohu": officer_body("Luohu Customs", "深圳海关", f"{tag}-L"),  # same district, other office
        "far": officer_body("Kashgar", "Urumqi", f"{tag}-F"),
    }
    for key, body in officers.items():
        response = await put(client, tokens, f"{tag}-{key}", body)
        assert response.status_code == 200, response.text
        assert response.json()["customs_office"] == body["customs_office"]  # kept as registered

    def member(key: str) -> dict:
        return {"officer_id": f"{tag}-{key}", "name": key, "credential_no": officers[key]["credential_no"]}

    for customs in ("Huanggang", "5301", "皇岗海关", "huanggang customs"):
        ok = await create(client, tokens, customs, officers=[member("a"), member("b")])
        assert ok.status_code == 201, (customs, ok.text)
    by_district = await create(client, tokens, "Huanggang", officers=[member("a"), member("luohu")])
    assert by_district.status_code == 201, by_district.text
    far = await create(client, tokens, "5301", officers=[member("a"), member("far")])
    assert far.status_code == 422, far.text
    assert (far.json()["rule"], far.json()["officer_id"]) == ("office", f"{tag}-far")

    system = tokens.header(tokens.system())

    async def listed(**params: str) -> set[str]:
        got = (await client.get("/v1/officers", params=params, headers=system)).json()
        return {o["officer_id"] for o in got if o["officer_id"].startswith(tag)}

    assert await listed(customs_office="Huanggang") == {f"{tag}-a", f"{tag}-b"}
    assert await listed(customs_office="５３０１") == {f"{tag}-a", f"{tag}-b"}  # full-width code
    assert await listed(district="深圳关区") == {f"{tag}-a", f"{tag}-b", f"{tag}-luohu"}


async def test_an_office_or_district_that_is_no_customs_office_is_refused(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    for field in ("customs_office", "district"):
        body = {**officer_body("Huanggang", "Shenzhen", f"{tag}-{field}"), field: "Atlantis"}
        response = await put(client, tokens, f"{tag}-{field}", body)
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field and "Atlantis" in response.json()["detail"]
        assert (
            await client.get(f"/v1/officers/{tag}-{field}", headers=tokens.header(tokens.system()))
        ).status_code == 404


async def test_the_automatic_team_comes_from_the_office_however_it_is_named(
    live_client: httpx.AsyncClient, tokens: Tokens, kafka_bootstrap: str, clock: ManualClock
) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    for n in range(2):
        response = await put(live_client, tokens, f"{tag}-{n}", officer_body("拉萨海关", "8800", f"{tag}-{n}"))
        assert response.status_code == 200, response.text
    inspection = (await create(live_client, tokens, "Lhasa Customs")).json()
    await decide_remote(kafka_bootstrap, [inspection], clock)
    (got,) = await scheduled(live_client, tokens, [inspection["id"]])
    assert sorted(o["officer_id"] for o in got["officers"]) == [f"{tag}-0", f"{tag}-1"]
