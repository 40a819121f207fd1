"""Confirming the enterprise's location (GACC-RVI 4(III)) against the registered site."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from rvi_platform.testing import Tokens
from rvi_video_gateway.sessions.location import MEAN_EARTH_RADIUS_M, check_location, haversine_m

StartSession = Callable[..., Awaitable[dict[str, Any]]]
OpenSession = Callable[..., Awaitable[dict[str, Any]]]
Emitted = Callable[[str, str], Awaitable[list[dict[str, Any]]]]

ZHOUXIANG = (30.1731, 121.2698)  # site S1 of rvi_platform.session_events.SITES
GUANHAIWEI = (30.2270, 121.3921)  # site S2
# WGS-84 geodesic between the two (Vincenty's inverse formula), computed independently.
ZHOUXIANG_TO_GUANHAIWEI_M = 13_205.6


def north_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    """Along a meridian the great-circle distance is R·Δφ exactly."""
    return point[0] + math.degrees(metres / MEAN_EARTH_RADIUS_M), point[1]


async def report(
    client: httpx.AsyncClient, tokens: Tokens, session: dict[str, Any], token: str | None = None, **body: Any
) -> httpx.Response:
    token = token or tokens.enterprise(session["enterprise_id"])
    return await client.post(f"/v1/sessions/{session['session_id']}/location", json=body, headers=tokens.header(token))


def test_the_distance_between_two_cixi_sites() -> None:
    distance = haversine_m(*ZHOUXIANG, *GUANHAIWEI)
    assert abs(distance - ZHOUXIANG_TO_GUANHAIWEI_M) / ZHOUXIANG_TO_GUANHAIWEI_M < 0.01
    assert haversine_m(*ZHOUXIANG, *ZHOUXIANG) == 0.0


def test_the_accuracy_allowance_is_capped() -> None:
    site = {"site_id": "S1", "latitude": ZHOUXIANG[0], "longitude": ZHOUXIANG[1]}
    at_250 = north_of(ZHOUXIANG, 250)
    assert check_location(site, *at_250, accuracy_m=60, radius_m=200, max_accuracy_allowance_m=100).passed
    assert not check_location(site, *at_250, accuracy_m=40, radius_m=200, max_accuracy_allowance_m=100).passed
    at_320 = north_of(ZHOUXIANG, 320)
    vague = check_location(site, *at_320, accuracy_m=5000, radius_m=200, max_accuracy_allowance_m=100)
    assert (vague.passed, vague.allowance_m, round(vague.distance_m)) == (False, 100, 320)


async def test_a_position_a_few_metres_from_the_site_passes(
    start_session: StartSession, client: httpx.AsyncClient, tokens: Tokens, emitted: Emitted
) -> None:
    session = await start_session()
    latitude, longitude = north_of(ZHOUXIANG, 4)
    response = await report(client, tokens, session, site_id="S1", latitude=latitude, longitude=longitude, accuracy_m=8)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["passed"] is True
    assert abs(body["distance_m"] - 4) < 0.2
    assert body["limit_m"] == 208
    entry = body["entry"]
    assert (entry["kind"], entry["site"], entry["officer"], entry["officer_id"]) == (
        "location_verified",
        "S1",
        None,
        None,
    )
    reporter = f"enterprise:rep-{session['enterprise_id']}"
    assert entry["reporter"] == reporter
    assert entry["location"] == {
        "latitude": latitude,
        "longitude": longitude,
        "accuracy_m": 8,
        "distance_m": body["distance_m"],
        "radius_m": 200,
        "allowance_m": 8,
        "result": "pass",
    }
    [event] = await emitted(session["inspection_id"], "rvi.session.step_recorded.v1")
    assert (event["kind"], event["site_id"], event["officer_id"]) == ("location_verified", "S1", reporter)
    assert event["note"].startswith("pass") and f"{body['distance_m']:.1f} m" in event["note"]
    assert event["digest"] == body["entry_hash"]


async def test_a_position_two_kilometres_away_fails_and_is_recorded(
    start_session: StartSession, client: httpx.AsyncClient, tokens: Tokens, emitted: Emitted
) -> None:
    session = await start_session()
    far = north_of(ZHOUXIANG, 2000)
    response = await report(client, tokens, session, site_id="S1", latitude=far[0], longitude=far[1], accuracy_m=500)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["passed"], body["limit_m"], body["entry"]["location"]["allowance_m"]) == (False, 300, 100)
    assert abs(body["distance_m"] - 2000) < 1
    assert body["entry"]["location"]["result"] == "fail"
    [event] = await emitted(session["inspection_id"], "rvi.session.step_recorded.v1")
    assert event["note"].startswith("fail") and "2000.0 m" in event["note"]

    across = await report(
        client, tokens, session, site_id="S1", latitude=GUANHAIWEI[0], longitude=GUANHAIWEI[1], accuracy_m=0
    )
    assert across.status_code == 201
    assert across.json()["distance_m"] == pytest.approx(ZHOUXIANG_TO_GUANHAIWEI_M, rel=0.01)
    manifest = await client.get(
        f"/v1/sessions/{session['session_id']}/manifest", headers=tokens.header(tokens.officer())
    )
    assert [e["entry"]["location"]["result"] for e in manifest.json()["entries"]] == ["fail", "fail"]
    assert manifest.json()["verification"]["ok"] is True


async def test_location_reports_are_checked(
    open_session: OpenSession, start_session: StartSession, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    waiting = await open_session()
    fine = {"site_id": "S1", "latitude": ZHOUXIANG[0], "longitude": ZHOUXIANG[1], "accuracy_m": 5}
    not_started = await report(client, tokens, waiting, **fine)
    assert not_started.status_code == 409
    assert not_started.json()["current_state"] == "open" and "'open'" in not_started.json()["detail"]

    session = await start_session()
    unknown = await report(client, tokens, session, **{**fine, "site_id": "S9"})
    assert unknown.status_code == 422
    assert "site_id" in unknown.json()["detail"] and "S9" in unknown.json()["detail"]
    for field, value in (("latitude", 90.5), ("latitude", -91), ("longitude", 180.01), ("accuracy_m", -1)):
        bad = await report(client, tokens, session, **{**fine, field: value})
        assert bad.status_code == 422, (field, value)
        assert bad.json()["field"].split(".")[-1] == field
    other = await report(client, tokens, session, token=tokens.enterprise("ENT-SOMEONE-ELSE"), **fine)
    assert other.status_code == 403
    officer = await report(client, tokens, session, token=tokens.officer(), **fine)
    assert officer.status_code == 403
    manifest = await client.get(
        f"/v1/sessions/{session['session_id']}/manifest", headers=tokens.header(tokens.officer())
    )
    assert manifest.json()["entries"] == []
