"""Hostile bearer tokens against the platform's verifier (HS256 and RS256 configurations): every one
is a 401 with the same generic Problem Details body, never a 500 nor a 200."""

from __future__ import annotations

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, FastAPI

from rvi_shared.auth import Authenticator, Principal, Role, mint_token, require_roles
from rvi_shared.auth.hostile import hostile_tokens
from rvi_shared.errors import install_error_handlers
from rvi_shared.settings import ServiceSettings

SECRET = "a-test-secret-that-is-long-enough-for-hs256"
PRIVATE = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC_PEM = PRIVATE.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)
CLAIMS = {"sub": "o1", "role": "officer", "credential_no": "NB-1"}
TOKENS = hostile_tokens(SECRET.encode(), CLAIMS, public_key_pem=PUBLIC_PEM, issuer="rvi", audience="rvi")


class AuthSettings(ServiceSettings):
    service_name = "hostiletest"


def app(settings: AuthSettings) -> FastAPI:
    application = FastAPI()
    install_error_handlers(application)
    application.state.authenticator = Authenticator(settings)

    @application.get("/officers")
    async def officers(principal: Principal = Depends(require_roles(Role.OFFICER))) -> dict[str, str]:
        return {"sub": principal.subject}

    return application


@pytest.fixture(scope="module", params=["hs256", "rs256"])
async def client(request: pytest.FixtureRequest) -> httpx.AsyncClient:
    settings = (
        AuthSettings(jwt_secret=SECRET)
        if request.param == "hs256"
        else AuthSettings(jwt_public_key=PUBLIC_PEM.decode())
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app(settings)), base_url="http://t") as c:
        yield c


@pytest.mark.parametrize(("name", "token"), TOKENS, ids=[name for name, _ in TOKENS])
async def test_hostile_token_is_a_generic_401(client: httpx.AsyncClient, name: str, token: str) -> None:
    response = await client.get("/officers", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, (name, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "invalid token"
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("claim", "value"),
    [("role", ["officer"]), ("credential_no", 7), ("name", {"x": 1}), ("district", True)],
)
async def test_wrong_claim_types_are_refused(claim: str, value: object) -> None:
    token = mint_token(SECRET, role="officer", subject="o", credential_no="NB-1", extra={claim: value})
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app(AuthSettings(jwt_secret=SECRET))), base_url="http://t"
    ) as c:
        response = await c.get("/officers", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and response.json()["detail"] == "invalid token"


async def test_valid_tokens_still_pass_and_the_lifetime_is_configurable() -> None:
    rs = jwt.encode({**CLAIMS, "iss": "rvi", "aud": "rvi", "exp": 2**31}, PRIVATE, algorithm="RS256")
    short = AuthSettings(jwt_secret=SECRET, jwt_max_lifetime_s=60)
    async with (
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app(AuthSettings(jwt_public_key=PUBLIC_PEM.decode()))),
            base_url="http://t",
        ) as rs_client,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app(short)), base_url="http://t") as short_client,
    ):
        # 2**31 is 2038: beyond the 24 h default maximum lifetime.
        assert (await rs_client.get("/officers", headers={"Authorization": f"Bearer {rs}"})).status_code == 401
        now_rs = jwt.encode(
            {**CLAIMS, "iss": "rvi", "aud": "rvi", "exp": int(__import__("time").time()) + 600},
            PRIVATE,
            algorithm="RS256",
        )
        assert (await rs_client.get("/officers", headers={"Authorization": f"Bearer {now_rs}"})).status_code == 200
        hour = mint_token(SECRET, role="officer", subject="o", credential_no="NB-1", ttl_s=3600)
        minute = mint_token(SECRET, role="officer", subject="o", credential_no="NB-1", ttl_s=60)
        assert (await short_client.get("/officers", headers={"Authorization": f"Bearer {hour}"})).status_code == 401
        assert (await short_client.get("/officers", headers={"Authorization": f"Bearer {minute}"})).status_code == 200
