"""A JSON request body read straight into its pydantic model, for an endpoint on a hot path.

FastAPI reads a body parameter with json.loads, then validates the objects it made, and resolves
each dependency through its general machinery (what that costs: README, Benchmarks). Pydantic
validates the bytes in one pass. Bad input is answered as FastAPI
answers it (422, each error's `loc` starting with "body"); `documented_body` declares the body in
the OpenAPI document as FastAPI does for a body parameter."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


async def json_body(request: Request, model: type[M]) -> M:
    body = await request.body()
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
        raise RequestValidationError(errors, body=body) from None


def documented_body(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` for a route reading `model` with `json_body`. The schema is referenced, as
    FastAPI does: `model` must be among the document's components (a body or response model of
    another route, or part of one)."""
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"content": {"application/json": {"schema": schema}}, "required": True}}
