"""RFC 9457 Problem Details: every error body and every operation's documented error responses."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
import pytest
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from rvi_shared.db import asyncpg_dsn
from rvi_shared.errors import PROBLEM_JSON, IllegalTransition, install_error_handlers
from rvi_shared.openapi import install_problem_openapi


class Body(BaseModel):
    name: str = Field(max_length=5)
    count: int


def make_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/things/{thing_id}")
    async def create(thing_id: str, body: Body) -> dict[str, str]:
        if thing_id == "done":
            raise IllegalTransition("thing", "done", "change")
        if thing_id == "gone":
            raise HTTPException(404, detail="no thing 'gone'")
        return {"id": thing_id}

    install_problem_openapi(app)
    return app


@pytest.fixture
async def client() -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


async def test_validation_is_a_problem_with_one_entry_per_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/things/a", json={"name": "toolong", "count": "x"})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["type"] == "about:blank" and body["title"] == "Unprocessable Entity" and body["status"] == 422
    assert body["instance"] == "/things/a"
    assert {e["field"] for e in body["errors"]} == {"name", "count"}
    assert body["field"] in {"name", "count"} and "name" in body["detail"]


async def test_domain_error_keeps_its_context_as_extension_members(client: httpx.AsyncClient) -> None:
    response = await client.post("/things/done", json={"name": "a", "count": 1})
    assert response.status_code == 409 and response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["current_state"] == "done" and "'done'" in response.json()["detail"]


async def test_http_exception_is_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.post("/things/gone", json={"name": "a", "count": 1})
    assert response.status_code == 404 and response.json()["title"] == "Not Found"
    assert response.json()["detail"] == "no thing 'gone'"


async def test_a_body_that_is_not_utf8_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/things/a", content=b'{"name": "\xff\xfe", "count": 1}', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and "UTF-8" in response.json()["detail"]


async def test_malformed_json_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/things/a", content=b"{nope", headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json()["errors"]


def test_openapi_lists_error_statuses_with_the_problem_schema() -> None:
    schema = make_app().openapi()
    responses = schema["paths"]["/things/{thing_id}"]["post"]["responses"]
    assert {"400", "404", "409", "415", "422"} <= set(responses)
    for status in ("400", "404", "409", "415", "422"):
        assert responses[status]["content"] == {
            PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
        }
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert "FieldError" in schema["components"]["schemas"]


async def test_a_write_that_loses_a_unique_race_is_409_naming_the_field(messaging_db: str) -> None:
    """Two requests that both checked a credential number free and then wrote it: PostgreSQL
    refuses the second (23505), which is a 409 naming the column, not a 500."""
    table = f"officers_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(asyncpg_dsn(messaging_db))
    try:
        await connection.execute(f"CREATE TABLE {table} (officer_id text PRIMARY KEY, credential_no text UNIQUE)")
        app = FastAPI()
        install_error_handlers(app)

        @app.put("/officers/{officer_id}")
        async def put(officer_id: str, credential_no: str) -> dict[str, str]:
            await connection.execute(f"INSERT INTO {table} VALUES ($1, $2)", officer_id, credential_no)
            return {"officer_id": officer_id}

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.put("/officers/A", params={"credential_no": "NB-0001"})).status_code == 200
            response = await client.put("/officers/B", params={"credential_no": "NB-0001"})
            other = await client.put("/officers/C", params={"credential_no": ""})
            assert other.status_code == 200
            await connection.execute(f"ALTER TABLE {table} ADD CHECK (length(credential_no) > 0) NOT VALID")
            refused = await client.put("/officers/D", params={"credential_no": ""})
        assert response.status_code == 409 and response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["field"] == "credential_no"
        assert "concurrent request" in response.json()["detail"]
        # Another constraint the request broke is no race: a 500, not a 409.
        assert refused.status_code == 500 and refused.headers["content-type"] == PROBLEM_JSON
    finally:
        await connection.execute(f"DROP TABLE IF EXISTS {table}")
        await connection.close()
