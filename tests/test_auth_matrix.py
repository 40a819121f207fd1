"""401/403 per role and enterprise on the real endpoints of the running services."""

from __future__ import annotations

import uuid

import httpx
import pytest

from rvi_platform.demo import Endpoints, auth, cixi_inspection, enterprise_facts
from rvi_platform.stack import Stack
from rvi_shared.auth import Role, mint_token
from rvi_shared.identifiers import example_uscc

ENTERPRISE = example_uscc(f"ENT-AUTH-{uuid.uuid4().hex[:6]}")


def token(platform: Stack, who: str) -> str | None:
    secret = platform.jwt_secret
    return {
        "none": None,
        "garbage": "not-a-token",
        "system": mint_token(secret, role=Role.SYSTEM, subject="sys"),
        "officer": mint_token(secret, role=Role.OFFICER, subject="o", credential_no="NB-0001", district="Ningbo"),
        "operator": mint_token(secret, role=Role.OPERATOR, subject="ops"),
        "own_enterprise": mint_token(secret, role=Role.ENTERPRISE, subject="r", enterprise_id=ENTERPRISE),
        "other_enterprise": mint_token(
            secret, role=Role.ENTERPRISE, subject="r2", enterprise_id=example_uscc("ENT-OTHER")
        ),
    }[who]


@pytest.fixture(scope="module")
async def inspection_id(platform: Stack, endpoints: Endpoints) -> str:
    inspection_id = str(uuid.uuid4())
    system = auth(token(platform, "system") or "")
    async with httpx.AsyncClient() as client:
        await client.put(
            f"{endpoints.eligibility}/v1/enterprises/{ENTERPRISE}/facts", json=enterprise_facts(), headers=system
        )
        created = await client.post(
            f"{endpoints.scheduling}/v1/inspections", json=cixi_inspection(ENTERPRISE, inspection_id), headers=system
        )
    assert created.status_code == 201
    return inspection_id


READ = ("scheduling", "GET", "/v1/inspections/{id}", None)
CREATE = ("scheduling", "POST", "/v1/inspections", "create")
READINESS = (
    "scheduling",
    "POST",
    "/v1/inspections/{id}/readiness",
    {"equipment_test_passed": False, "documents_submitted": True},
)
FACTS = ("eligibility", "GET", "/v1/enterprises/" + ENTERPRISE, None)
DOCUMENTS = ("documents", "GET", "/v1/inspections/{id}/documents", None)


@pytest.mark.parametrize(
    ("call", "who", "status"),
    [
        (READ, "none", 401),
        (READ, "garbage", 401),
        (READ, "officer", 200),
        (READ, "own_enterprise", 200),
        (READ, "other_enterprise", 403),
        (CREATE, "none", 401),
        (CREATE, "officer", 403),
        (CREATE, "own_enterprise", 403),
        (CREATE, "system", 201),
        (READINESS, "officer", 403),
        (READINESS, "other_enterprise", 403),
        (READINESS, "own_enterprise", 409),  # allowed to ask; refused for the state it is in
        (FACTS, "none", 401),
        (FACTS, "own_enterprise", 200),
        (FACTS, "other_enterprise", 403),
        (DOCUMENTS, "other_enterprise", 403),
        (DOCUMENTS, "officer", 200),
    ],
)
async def test_auth_matrix(
    platform: Stack, endpoints: Endpoints, inspection_id: str, call: tuple, who: str, status: int
) -> None:
    service, method, path, body = call
    base = {"scheduling": endpoints.scheduling, "eligibility": endpoints.eligibility, "documents": endpoints.documents}[
        service
    ]
    if body == "create":
        body = cixi_inspection(ENTERPRISE, str(uuid.uuid4()))
    bearer = token(platform, who)
    headers = auth(bearer) if bearer else {}
    async with httpx.AsyncClient() as client:
        response = await client.request(method, base + path.format(id=inspection_id), json=body, headers=headers)
    assert response.status_code == status, response.text
