"""Input hygiene at the edge, each fault of issue 8 with its small input: Chinese task ids work, a
control character or U+0000 is a 422 naming the field and creates nothing, a body that is not
UTF-8 is a 400, an oversized id a 422."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from rvi_platform.testing import Tokens
from rvi_shared.identifiers import example_uscc


def body(**overrides: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "enterprise_id": example_uscc("ENT-1"),
        "enterprise_name": "Cixi Fresh Food Group",
        "customs": "Cixi",
        "sites": [{"site_id": "S1", "name": "Zhouxiang base", "latitude": 30.17, "longitude": 121.27}],
        "checklist_items": [{"item_id": "I1", "description": "agricultural inputs"}],
    }
    value.update(overrides)
    return value


async def test_a_chinese_task_id_is_an_id(client: httpx.AsyncClient, tokens: Tokens) -> None:
    task_id = f"宁波海关-2026-{uuid.uuid4().hex[:6]}"
    created = await client.post("/v1/inspections", json=body(id=task_id), headers=tokens.header(tokens.system()))
    assert created.status_code == 201, created.text
    assert created.json()["id"] == task_id
    assert created.headers["location"] == f"/v1/inspections/{quote(task_id, safe='')}"
    got = await client.get(created.headers["location"], headers=tokens.header(tokens.system()))
    assert got.status_code == 200 and got.json()["id"] == task_id


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"id": "T-\x01-{u}"}, "id", id="control-in-task-id"),
        pytest.param({"id": "T-\x00-{u}"}, "id", id="nul-in-task-id"),
        pytest.param({"id": "T-\x7f-{u}"}, "id", id="del-in-task-id"),
        pytest.param({"id": "T-{u}", "enterprise_name": "Cixi\x00Food"}, "enterprise_name", id="nul-in-text"),
        pytest.param({"id": "T-{u}", "directives": ["ok", "bad\x1b[31m"]}, "directives.1", id="escape-in-list"),
        pytest.param({"id": "T-{u}", "enterprise_id": "E" * 300}, "enterprise_id", id="300-char-enterprise-id"),
        pytest.param({"id": "T {u}"}, "id", id="space-in-task-id"),
    ],
)
async def test_refused_naming_the_field_and_nothing_created(
    client: httpx.AsyncClient, tokens: Tokens, overrides: dict[str, Any], field: str
) -> None:
    suffix = uuid.uuid4().hex[:8]
    overrides = {k: (v.replace("{u}", suffix) if isinstance(v, str) else v) for k, v in overrides.items()}
    response = await client.post("/v1/inspections", json=body(**overrides), headers=tokens.header(tokens.system()))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == field
    created = await client.get(
        f"/v1/inspections/{quote(overrides['id'], safe='')}", headers=tokens.header(tokens.system())
    )
    assert created.status_code in (404, 422), "nothing was created"


async def test_nothing_half_applied_for_any_task_id_we_refuse(client: httpx.AsyncClient, tokens: Tokens) -> None:
    """The earlier fault: the inspection was stored, then its Location header could not be built."""
    task_id = f"T-{uuid.uuid4().hex[:6]}\x0b"
    response = await client.post("/v1/inspections", json=body(id=task_id), headers=tokens.header(tokens.system()))
    assert response.status_code == 422
    listed = await client.get(f"/v1/inspections/{task_id[:-1]}", headers=tokens.header(tokens.system()))
    assert listed.status_code == 404


async def test_a_body_that_is_not_utf8_is_400(client: httpx.AsyncClient, tokens: Tokens) -> None:
    raw = json.dumps(body(id=f"T-{uuid.uuid4().hex[:6]}")).encode().replace(b"Zhouxiang", b"Zhou\xe9xiang")
    response = await client.post(
        "/v1/inspections", content=raw, headers={**tokens.header(tokens.system()), "content-type": "application/json"}
    )
    assert response.status_code == 400 and "UTF-8" in response.json()["detail"]


async def test_control_character_in_path_or_query_is_422(client: httpx.AsyncClient, tokens: Tokens) -> None:
    in_path = await client.get("/v1/inspections/a%00b", headers=tokens.header(tokens.system()))
    assert in_path.status_code == 422 and in_path.json()["field"] == "path"
