"""The OpenAPI document lists, for every operation, the error statuses it can answer, each with the
RFC 9457 Problem Details schema (`rvi_shared.errors.ProblemDetails`) in place of FastAPI's
default 422 list form.

Which statuses an operation can answer follows from its shape: a secured operation (or one reading
an `Authorization` header itself, as WHIP/WHEP do with media tokens) 401 and 403;
every operation with parameters or a body 404, 409 and 422 (a domain rule may refuse it, or the
entity it names may be unknown); a body 400 (not UTF-8) and 415. A route may declare
more in its own `responses`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from rvi_shared.errors import PROBLEM_JSON, ProblemDetails

PROBLEM_REF = {"$ref": "#/components/schemas/ProblemDetails"}
OPS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}}


DESCRIPTIONS = {
    "400": "Unreadable body: not UTF-8",
    "401": "Missing, malformed or expired bearer token",
    "403": "The token's role or enterprise may not do this",
    "404": "Unknown resource",
    "409": "Conflict with the current state (the state is named)",
    "415": "Unsupported media type",
    "422": "Invalid input: `field` and one `errors` entry per field",
}


def error_statuses(path: str, operation: dict[str, Any]) -> list[str]:
    if path in OPS_PATHS:
        return []
    statuses: set[str] = set()
    takes_token = any(
        p.get("in") == "header" and p.get("name", "").lower() == "authorization"
        for p in operation.get("parameters", [])
    )
    if operation.get("security") or takes_token:
        statuses |= {"401", "403"}
    has_body = "requestBody" in operation
    if operation.get("parameters") or has_body:
        statuses |= {"404", "409", "422"}
    if has_body:
        statuses |= {"400", "415"}
    return sorted(statuses)


def install_problem_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        problem_schema = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in problem_schema.pop("$defs", {}).items():
            components[name] = definition
        components["ProblemDetails"] = problem_schema
        for path, item in schema.get("paths", {}).items():
            for method, operation in item.items():
                if method not in {"get", "put", "post", "delete", "patch", "head", "options"}:
                    continue
                responses = operation.setdefault("responses", {})
                for status in error_statuses(path, operation):
                    current = responses.get(status)
                    description = DESCRIPTIONS[status]
                    if current is not None and status != "422":
                        description = current.get("description") or description
                    responses[status] = _problem_response(description)
                for status, response in responses.items():
                    if status.startswith(("4", "5")):  # declared by a route with a description only, too
                        response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
        for unused in ("HTTPValidationError", "ValidationError"):
            if not _referenced(schema, unused):
                components.pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _referenced(schema: dict[str, Any], name: str) -> bool:
    import json

    text = json.dumps({k: v for k, v in schema.items() if k != "components"})
    others = {k: v for k, v in schema.get("components", {}).get("schemas", {}).items() if k != name}
    ref = f'"#/components/schemas/{name}"'
    return ref in text or ref in json.dumps(others)
