"""The console's server: /config.json, the SPA fallback, and the development sign-in, which is
off unless the setting is on and mints tokens the services accept."""

from __future__ import annotations

from pathlib import Path

import httpx

from rvi_platform.console.app import create_app
from rvi_platform.console.settings import ConsoleSettings
from rvi_shared.auth import Authenticator, Role
from rvi_shared.identifiers import example_uscc, parse_enterprise_id
from rvi_shared.settings import ServiceSettings


def client(tmp_path: Path, **overrides: object) -> httpx.AsyncClient:
    (tmp_path / "assets").mkdir(exist_ok=True)
    (tmp_path / "index.html").write_text("<!doctype html><div id=root></div>")
    (tmp_path / "assets" / "app-1.js").write_text("console.log(1)")
    settings = ConsoleSettings(dist_dir=tmp_path, **overrides)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings)), base_url="http://console")


async def test_spa_fallback_assets_and_config(tmp_path: Path) -> None:
    async with client(tmp_path, scheduling_url="http://api:8002/") as c:
        page = await c.get("/officer/inspections/abc/live")
        assert page.status_code == 200 and "root" in page.text
        asset = await c.get("/assets/app-1.js")
        assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
        assert (await c.get("/assets/missing.js")).status_code == 404
        outside = await c.get("/%2e%2e/pyproject.toml")  # never a file outside dist: the app instead
        assert outside.status_code == 200 and "root" in outside.text
        config = (await c.get("/config.json")).json()
        assert config["apis"]["scheduling"] == "http://api:8002"
        assert config["oidc"] is None and config["devSignIn"] is False


async def test_dev_sign_in_is_off_by_default(tmp_path: Path) -> None:
    async with client(tmp_path) as c:
        assert (await c.get("/dev/personas")).status_code == 404
        assert (await c.post("/dev/sign-in", json={"persona": "officer-wang"})).status_code == 404


async def test_dev_sign_in_mints_tokens_the_services_accept(tmp_path: Path) -> None:
    async with client(tmp_path, dev_sign_in=True, oidc_issuer="https://idp.example", oidc_client_id="rvi") as c:
        config = (await c.get("/config.json")).json()
        assert config["devSignIn"] is True and config["oidc"]["clientId"] == "rvi"
        personas = {p["persona_id"]: p for p in (await c.get("/dev/personas")).json()}
        assert {"officer-wang", "officer-chen", "supervisor-zhao", "enterprise", "operator"} <= set(personas)
        verify = Authenticator(ServiceSettings()).verify

        officer = (await c.post("/dev/sign-in", json={"persona": "officer-wang"})).json()
        principal = verify(officer["access_token"])
        assert principal.role is Role.OFFICER and principal.credential_no == "NB-0001"

        uscc = example_uscc("console server test")
        ent = (await c.post("/dev/sign-in", json={"persona": "enterprise", "enterprise_id": uscc})).json()
        principal = verify(ent["access_token"])
        assert principal.role is Role.ENTERPRISE and principal.enterprise_id == uscc

        # Not a Unified Social Credit Code: refused naming the field, no token.
        wrong = await c.post("/dev/sign-in", json={"persona": "enterprise", "enterprise_id": uscc[:17] + "X"})
        assert wrong.status_code == 422 and wrong.json()["field"] == "enterprise_id"
        assert "check character" in wrong.json()["detail"]
        default = (await c.post("/dev/sign-in", json={"persona": "enterprise"})).json()
        assert (
            parse_enterprise_id(verify(default["access_token"]).enterprise_id)
            == personas["enterprise"]["enterprise_id"]
        )

        unknown = await c.post("/dev/sign-in", json={"persona": "mallory"})
        assert unknown.status_code == 422 and unknown.json()["field"] == "persona"
