"""Domain errors and their HTTP mapping: 404 unknown, 409 illegal transition naming the state."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, **context: object) -> None:
        super().__init__(message)
        self.message = message
        self.context = context


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


def install_error_handlers(app: FastAPI) -> None:
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return JSONResponse({"detail": exc.message, **exc.context}, status_code=exc.status_code)

    app.add_exception_handler(DomainError, handle)
