"""Domain errors and their HTTP form: RFC 9457 Problem Details (`application/problem+json`).

Every error body carries the standard members `type`, `title`, `status`, `detail` and `instance`,
plus extension members: `field` (the offending field, when there is one), `errors` (for a request
that fails validation: one `{field, message}` entry per field) and whatever context the domain
error names (e.g. `current_state`). `detail` and `field` were the keys of the bodies before Problem
Details and are kept, so existing clients keep working.

Statuses: 400 unreadable body (not UTF-8), 401 missing or bad token, 403 wrong role or
enterprise, 404 unknown, 409 illegal transition naming the state or a write that lost a race for
a unique value to a concurrent request (PostgreSQL SQLSTATE 23505, naming the field), 415 wrong
media type, 422 invalid input naming the field (malformed JSON included, as FastAPI answers it).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from http import HTTPStatus
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
BLANK = "about:blank"


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, **context: object) -> None:
        super().__init__(message)
        self.message = message
        self.context = context


class BadRequest(DomainError):
    status_code = 400


class Forbidden(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class IllegalTransition(Conflict):
    def __init__(self, entity: str, current_state: str, action: str) -> None:
        super().__init__(
            f"cannot {action}: {entity} is in state {current_state!r}",
            current_state=current_state,
            action=action,
        )


class Unprocessable(DomainError):
    status_code = 422


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the offending field in the request, e.g. `items.0.hs_code`.")
    message: str


class ProblemDetails(BaseModel):
    """RFC 9457 Problem Details, with the extension members `field` and `errors`."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": True})

    type: str = Field(default=BLANK, description="A URI identifying the problem type (RFC 9457 3.1.1).")
    title: str = Field(description="Short summary of the problem type: the HTTP status phrase for about:blank.")
    status: int = Field(ge=400, le=599)
    detail: str = Field(description="Explanation specific to this occurrence.")
    instance: str | None = Field(default=None, description="The request path this problem occurred at.")
    field: str | None = Field(default=None, description="The offending field, when there is one.")
    errors: list[FieldError] | None = Field(default=None, description="Validation only: one entry per field.")


def problem(
    status: int,
    detail: str,
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: object,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": BLANK,
        "title": HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error",
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    body.update({k: v for k, v in extensions.items() if v is not None and k not in body})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def field_name(loc: Sequence[Any]) -> str:
    """`("body", "items", 0, "hs_code")` -> `items.0.hs_code`; the location prefix is dropped."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(str(p) for p in parts) or "body"


def field_errors(errors: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """One entry per field, the messages of several errors on a field joined."""
    merged: dict[str, list[str]] = {}
    for error in errors:
        message = str(error.get("msg", "invalid"))
        ctx = error.get("ctx") or {}
        reason = ctx.get("error") if isinstance(ctx, dict) else None
        if reason is not None and str(reason) not in message:
            message = f"{message}: {reason}"
        messages = merged.setdefault(field_name(error.get("loc", ())), [])
        if message not in messages:
            messages.append(message)
    return [{"field": name, "message": "; ".join(messages)} for name, messages in merged.items()]


def _undecodable(body: object) -> bool:
    if isinstance(body, bytes | bytearray):
        try:
            bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            return True
    return False


def allowed_methods(request: Request) -> list[str]:
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "\x00"})
        if match is not Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    async def domain(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return problem(exc.status_code, exc.message, instance=request.url.path, **exc.context)

    async def http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 400 and detail == "There was an error parsing the body":
            detail = "the request body is not valid UTF-8 JSON"
        headers = exc.headers
        if exc.status_code == 405:
            # RFC 9110 15.5.6: Allow lists every method of the resource, not only the first route's.
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return problem(exc.status_code, detail, instance=request.url.path, headers=headers)

    async def validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        if _undecodable(exc.body):
            return problem(400, "the request body is not valid UTF-8", instance=request.url.path)
        errors = field_errors(exc.errors())
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(
            422,
            f"invalid request: {summary}",
            instance=request.url.path,
            field=errors[0]["field"] if errors else None,
            errors=errors,
        )

    async def integrity(request: Request, exc: Exception) -> JSONResponse:
        duplicate = unique_violation(exc)
        if duplicate is None:
            return await unexpected(request, exc)
        log.info("%s %s lost a race for a unique value: %s", request.method, request.url.path, duplicate)
        field = _duplicate_field(duplicate)
        return problem(
            409,
            f"{field or 'a value'} was taken by a concurrent request; nothing was changed",
            instance=request.url.path,
            field=field,
        )

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem(500, "internal error", instance=request.url.path)

    app.add_exception_handler(DomainError, domain)
    app.add_exception_handler(StarletteHTTPException, http)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(asyncpg.IntegrityConstraintViolationError, integrity)
    app.add_exception_handler(IntegrityError, integrity)
    app.add_exception_handler(Exception, unexpected)


UNIQUE_VIOLATION = "23505"  # PostgreSQL SQLSTATE unique_violation


def unique_violation(exc: BaseException) -> BaseException | None:
    """The driver's unique-violation error behind `exc` (asyncpg's own, or wrapped by
    SQLAlchemy), else None: a write whose uniqueness a concurrent request's write took first."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, "sqlstate", None) == UNIQUE_VIOLATION:
            return current
        current = getattr(current, "orig", None) or current.__cause__
    return None


def _duplicate_field(error: BaseException) -> str | None:
    """The column named by PostgreSQL's detail `Key (column)=(value) already exists.`"""
    detail = getattr(error, "detail", None) or str(error)
    match = re.search(r"Key \(([a-z_][a-z0-9_]*)\)=", detail)
    return match.group(1) if match else None
