"""Bearer tokens: 401 for missing or bad tokens, 403 for a wrong role or another enterprise."""

from __future__ import annotations

import httpx
import jwt
import pytest
from fastapi import Depends, FastAPI

from rvi_shared.auth import Authenticator, Principal, Role, ensure_enterprise_access, mint_token, require_roles
from rvi_shared.settings import ServiceSettings

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


class AuthSettings(ServiceSettings):
    service_name = "authtest"


def app() -> FastAPI:
    application = FastAPI()
    application.state.authenticator = Authenticator(AuthSettings(jwt_secret=SECRET))

    @application.get("/officers-only")
    async def officers_only(principal: Principal = Depends(require_roles(Role.OFFICER))) -> dict[str, str | None]:
        return {"credential_no": principal.credential_no}

    @application.get("/enterprises/{enterprise_id}")
    async def own_enterprise(
        enterprise_id: str, principal: Principal = Depends(require_roles(Role.ENTERPRISE, Role.OFFICER))
    ) -> dict[str, str]:
        ensure_enterprise_access(principal, enterprise_id)
        return {"ok": enterprise_id}

    return application


@pytest.fixture
async def client() -> httpx.AsyncClient:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app()), base_url="http://t") as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


officer = mint_token(SECRET, role="officer", subject="o1", credential_no="NB-1", district="Ningbo")
enterprise_a = mint_token(SECRET, role="enterprise", subject="r1", enterprise_id="A")


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/officers-only", {}, 401),
        ("/officers-only", {"Authorization": "Basic dXNlcjpwYXNz"}, 401),
        ("/officers-only", bearer("not.a.jwt"), 401),
        (
            "/officers-only",
            bearer(mint_token("another-secret-entirely-0123456789", role="officer", subject="o", credential_no="X")),
            401,
        ),
        ("/officers-only", bearer(mint_token(SECRET, role="officer", subject="o", credential_no="X", ttl_s=-10)), 401),
        (
            "/officers-only",
            bearer(jwt.encode({"sub": "x", "role": "officer", "exp": 9999999999, "iss": "rvi", "aud": "rvi"}, SECRET)),
            401,
        ),
        ("/officers-only", bearer(enterprise_a), 403),
        ("/officers-only", bearer(officer), 200),
        ("/enterprises/A", bearer(enterprise_a), 200),
        ("/enterprises/B", bearer(enterprise_a), 403),
        ("/enterprises/B", bearer(officer), 200),
    ],
)
async def test_auth_matrix(client: httpx.AsyncClient, path: str, headers: dict[str, str], status: int) -> None:
    response = await client.get(path, headers=headers)
    assert response.status_code == status, response.text
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_tokens_must_carry_what_their_role_needs() -> None:
    with pytest.raises(ValueError, match="enterprise_id"):
        mint_token(SECRET, role="enterprise", subject="r")
    with pytest.raises(ValueError, match="credential_no"):
        mint_token(SECRET, role="officer", subject="o")
