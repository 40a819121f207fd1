"""What operators rely on: health, readiness, metrics, trace context, clean shutdown, the token CLI."""

from __future__ import annotations

import asyncio
import json
import signal
import time
import uuid

import asyncpg
import httpx
import jwt
import pytest

from rvi_platform.cli import main as rvi_cli
from rvi_platform.demo import Endpoints, auth, cixi_inspection
from rvi_platform.embedded.ports import free_port
from rvi_platform.services import ServiceProcess, spec
from rvi_platform.stack import Stack
from rvi_platform.testing import eventually
from rvi_shared.auth import Role, mint_token
from rvi_shared.db import asyncpg_dsn
from rvi_shared.identifiers import example_uscc
from rvi_shared.settings import DEV_JWT_SECRET


@pytest.mark.parametrize("service", ["eligibility", "scheduling", "video-gateway", "documents"])
async def test_health_readiness_and_metrics(platform: Stack, service: str) -> None:
    base = platform.url(service)
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{base}/healthz")).json() == {"status": "ok"}
        ready = await client.get(f"{base}/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": True, "broker": True}
        metrics = (await client.get(f"{base}/metrics")).text
        assert (await client.get(f"{base}/openapi.json")).status_code == 200
    for name in ("rvi_http_request_duration_seconds_bucket", "rvi_outbox_backlog", "rvi_dlq_total"):
        assert name in metrics, name
    assert f'service="{service}"' in metrics


async def test_consumer_lag_is_exported_once_events_flow(platform: Stack, endpoints: Endpoints) -> None:
    system = mint_token(platform.jwt_secret, role=Role.SYSTEM, subject="t")
    async with httpx.AsyncClient() as client:
        await client.post(
            f"{endpoints.scheduling}/v1/inspections",
            json=cixi_inspection(example_uscc(uuid.uuid4().hex), str(uuid.uuid4())),
            headers=auth(system),
        )

        async def lag_exported() -> bool:
            return "rvi_consumer_lag{" in (await client.get(f"{endpoints.eligibility}/metrics")).text

        await eventually(lag_exported, "eligibility to export its consumer lag", interval_s=0.2)


async def test_the_callers_trace_context_is_carried_into_the_cloudevent(platform: Stack, endpoints: Endpoints) -> None:
    trace_id = uuid.uuid4().hex
    inspection_id = str(uuid.uuid4())
    system = mint_token(platform.jwt_secret, role=Role.SYSTEM, subject="t")
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{endpoints.scheduling}/v1/inspections",
            json=cixi_inspection(example_uscc("ENT-TRACE"), inspection_id),
            headers={**auth(system), "traceparent": f"00-{trace_id}-{'a' * 16}-01"},
        )
    assert response.status_code == 201
    conn = await asyncpg.connect(asyncpg_dsn(platform.database_url))
    try:
        payload = await conn.fetchval(
            "SELECT payload FROM scheduling.outbox WHERE key = $1 AND event_type = 'rvi.inspection.requested.v1'",
            inspection_id,
        )
    finally:
        await conn.close()
    event = json.loads(payload)
    version, event_trace, span, flags = event["traceparent"].split("-")
    assert (version, event_trace, flags) == ("00", trace_id, "01")
    assert span != "a" * 16, "a span of its own, child of the caller's"


async def test_sigterm_stops_a_service_cleanly(platform: Stack) -> None:
    process = ServiceProcess(
        spec("documents"),
        {
            "RVI_DATABASE_URL": platform.database_url,
            "RVI_KAFKA_BOOTSTRAP": platform.bootstrap,
            "RVI_JWT_SECRET": platform.jwt_secret,
        },
        port=free_port(),
        log_dir=platform.log_dir / "sigterm",
    )
    process.start()
    await asyncio.to_thread(process.wait_ready)
    started = time.monotonic()
    process.stop(timeout_s=15)
    assert process.process is not None
    # uvicorn re-raises the signal once its graceful shutdown is complete.
    assert process.process.returncode in (0, -signal.SIGTERM)
    assert time.monotonic() - started < 15
    shutdown = (platform.log_dir / "sigterm" / "documents.log").read_text().split('"Shutting down"')[-1]
    assert '"msg": "documents stopped"' in shutdown
    assert '"level": "ERROR"' not in shutdown, shutdown


def test_token_cli_mints_a_verifiable_officer_token(capsys: pytest.CaptureFixture[str]) -> None:
    code = rvi_cli(
        ["token", "--role", "officer", "--credential-no", "NB-0001", "--district", "Ningbo", "--subject", "O1"]
    )
    assert code == 0
    token = capsys.readouterr().out.strip()
    claims = jwt.decode(token, DEV_JWT_SECRET, algorithms=["HS256"], audience="rvi")
    assert (claims["role"], claims["credential_no"], claims["district"]) == ("officer", "NB-0001", "Ningbo")
    assert rvi_cli(["token", "--role", "enterprise"]) == 2, "an enterprise token needs its enterprise id"
