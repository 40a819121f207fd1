"""CORS allow-list of the service factory (RVI_CORS_ORIGINS): the console calls the APIs from its
own origin; WHIP/WHEP clients read the resource's Location."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import MetaData

from rvi_shared.messaging.tables import messaging_tables
from rvi_shared.service import create_service_app
from rvi_shared.settings import ServiceSettings

CONSOLE = "http://127.0.0.1:8000"


class CorsSettings(ServiceSettings):
    service_name = "cors-test"


def app(origins: str) -> FastAPI:
    return create_service_app(
        settings=CorsSettings(cors_origins=origins),
        title="t",
        description="d",
        tables=messaging_tables(MetaData(schema="cors_test")),
        routers=[],
    )


def client(application: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://svc")


async def test_allowed_origin_gets_preflight_and_exposed_location() -> None:
    async with client(app(f"{CONSOLE}/, http://localhost:8000")) as c:
        preflight = await c.options(
            "/v1/sessions/s/feeds",
            headers={
                "Origin": CONSOLE,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == CONSOLE
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
        simple = await c.get("/healthz", headers={"Origin": CONSOLE})
        assert simple.headers["access-control-allow-origin"] == CONSOLE
        assert "location" in simple.headers["access-control-expose-headers"].lower()


async def test_other_origins_and_the_default_get_no_cors_headers() -> None:
    async with client(app(CONSOLE)) as c:
        refused = await c.options(
            "/healthz", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
        )
        assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
    async with client(app("")) as c:
        plain = await c.get("/healthz", headers={"Origin": CONSOLE})
        assert plain.status_code == 200 and "access-control-allow-origin" not in plain.headers


async def test_a_cross_origin_long_poll_passes_the_preflight_and_reads_its_etag() -> None:
    async with client(app(CONSOLE)) as c:
        preflight = await c.options(
            "/v1/sessions/s/focus",
            headers={
                "Origin": CONSOLE,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization,prefer,if-none-match",
            },
        )
        assert preflight.status_code == 200, preflight.text
        simple = await c.get("/healthz", headers={"Origin": CONSOLE, "Prefer": "wait=1"})
        exposed = simple.headers["access-control-expose-headers"].lower()
        assert "etag" in exposed and "preference-applied" in exposed
        assert simple.headers["preference-applied"] == "wait=1" and simple.headers["etag"]
