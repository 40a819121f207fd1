"""The gateway registry: registration and heartbeat of the running instance, listing, drain, metrics."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rvi_platform.testing import Tokens, eventually
from rvi_video_gateway.instances.heartbeat import CpuMeter
from rvi_video_gateway.settings import VideoGatewaySettings

StartSession = Callable[..., Awaitable[dict[str, Any]]]


async def instance_row(db: AsyncEngine, instance_id: str) -> dict[str, Any] | None:
    async with db.connect() as conn:
        row = await conn.execute(
            text("SELECT * FROM video_gateway.gateway_instances WHERE instance_id = :id"), {"id": instance_id}
        )
        found = row.mappings().first()
        return dict(found) if found else None


async def in_progress_on(db: AsyncEngine, instance_id: str) -> int:
    async with db.connect() as conn:
        count = await conn.execute(
            text("SELECT count(*) FROM video_gateway.sessions WHERE instance_id = :id AND state = 'in_progress'"),
            {"id": instance_id},
        )
        return int(count.scalar_one())


async def test_the_instance_registers_and_heartbeats(
    client: httpx.AsyncClient, settings: VideoGatewaySettings, db: AsyncEngine
) -> None:
    first = await eventually(lambda: instance_row(db, settings.instance_id), "the instance's registration")
    assert first["advertised_url"] == settings.advertised == "http://127.0.0.1:8003"
    assert first["draining"] is False
    assert first["started_at"] <= first["last_heartbeat_at"]

    async def advanced() -> dict[str, Any] | None:
        row = await instance_row(db, settings.instance_id)
        return row if row and row["last_heartbeat_at"] > first["last_heartbeat_at"] else None

    later = await eventually(advanced, "a later heartbeat", timeout_s=5)
    assert later["started_at"] == first["started_at"]
    assert (later["feeds"], later["viewers"], later["bitrate_kbps"]) == (0, 0, 0), "no media plane yet"
    assert later["cpu_pct"] >= 0


async def test_a_started_session_is_placed_here_and_counted(
    start_session: StartSession,
    client: httpx.AsyncClient,
    tokens: Tokens,
    settings: VideoGatewaySettings,
    db: AsyncEngine,
) -> None:
    session = await start_session()
    assert session["instance_id"] == settings.instance_id
    expected = await in_progress_on(db, settings.instance_id)
    assert expected >= 1

    async def counted() -> dict[str, Any] | None:
        response = await client.get("/v1/gateways", headers=tokens.header(tokens.operator()))
        ours = next(g for g in response.json() if g["instance_id"] == settings.instance_id)
        return ours if ours["sessions"] == expected else None

    ours = await eventually(counted, f"{expected} sessions in the heartbeat", timeout_s=5)
    assert ours["alive"] is True
    metrics = (await client.get("/metrics")).text
    gauge = re.search(r"^rvi_gateway_sessions (\S+)$", metrics, re.MULTILINE)
    assert gauge is not None, "rvi_gateway_sessions is not exposed"
    assert float(gauge.group(1)) == expected
    for name in (
        "rvi_gateway_feeds",
        "rvi_gateway_viewers",
        "rvi_gateway_bytes_relayed_total",
        "rvi_gateway_frames_dropped_total",
        "rvi_gateway_recording_bytes_total",
        "rvi_gateway_time_to_first_keyframe_seconds_bucket",
    ):
        assert f"\n{name}" in metrics, name


async def test_operators_list_and_drain_gateways(
    client: httpx.AsyncClient, tokens: Tokens, settings: VideoGatewaySettings, db: AsyncEngine
) -> None:
    await eventually(lambda: instance_row(db, settings.instance_id), "the instance's registration")
    silent = f"gw-silent-{uuid.uuid4().hex[:8]}"
    async with db.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO video_gateway.gateway_instances (instance_id, advertised_url, started_at,"
                " last_heartbeat_at, sessions, feeds, viewers, bitrate_kbps, cpu_pct, draining) VALUES (:id,"
                " 'http://10.0.0.9:8003', now() - interval '2 hours', now() - interval '1 hour', 3, 0, 0, 0, 4.5, false)"
            ),
            {"id": silent},
        )
    operator = tokens.header(tokens.operator())
    listed = await client.get("/v1/gateways", headers=operator)
    assert listed.status_code == 200, listed.text
    by_id = {g["instance_id"]: g for g in listed.json()}
    assert by_id[settings.instance_id]["alive"] is True
    assert (by_id[silent]["alive"], by_id[silent]["sessions"], by_id[silent]["cpu_pct"]) == (False, 3, 4.5)
    assert datetime.fromisoformat(by_id[silent]["last_heartbeat_at"]) < datetime.fromisoformat(
        by_id[settings.instance_id]["last_heartbeat_at"]
    )
    assert (await client.get("/v1/gateways", headers=tokens.header(tokens.system()))).status_code == 200
    for refused in (tokens.enterprise("ENT-1"), tokens.officer()):
        assert (await client.get("/v1/gateways", headers=tokens.header(refused))).status_code == 403
    assert (await client.get("/v1/gateways")).status_code == 401

    drain = f"/v1/gateways/{silent}/drain"
    assert (await client.post(drain, headers=tokens.header(tokens.system()))).status_code == 403
    assert by_id[silent]["draining"] is False
    drained = await client.post(drain, headers=operator)
    assert drained.status_code == 200, drained.text
    assert (drained.json()["instance_id"], drained.json()["draining"]) == (silent, True)
    relisted = {g["instance_id"]: g for g in (await client.get("/v1/gateways", headers=operator)).json()}
    assert relisted[silent]["draining"] is True
    assert relisted[settings.instance_id]["draining"] is False
    missing = await client.post("/v1/gateways/gw-nowhere/drain", headers=operator)
    assert missing.status_code == 404
    assert "gw-nowhere" in missing.json()["detail"]


def test_cpu_is_process_time_over_wall_time() -> None:
    # Compared with the same ratio taken around it, not a fixed share: on a loaded machine a busy
    # loop gets what the scheduler gives it.
    cpu0, wall0 = time.process_time(), time.monotonic()
    meter = CpuMeter()
    deadline = time.monotonic() + 0.3
    while time.monotonic() < deadline:
        sum(range(1000))
    busy = meter.percent()
    expected = 100 * (time.process_time() - cpu0) / (time.monotonic() - wall0)
    assert 0 < busy <= 105 and abs(busy - expected) < 10, (busy, expected)
    time.sleep(0.2)
    assert meter.percent() < busy
