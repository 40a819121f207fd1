"""ASGI middleware: request latency histogram and W3C trace context per request."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rvi_shared.observability.metrics import REQUEST_LATENCY
from rvi_shared.observability.tracing import span_from


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        traceparent = next((v.decode() for k, v in scope["headers"] if k == b"traceparent"), None)

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            with span_from(traceparent, f"{scope['method']} {scope['path']}", self.service):
                await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            REQUEST_LATENCY.labels(self.service, scope["method"], path, str(status)).observe(
                time.perf_counter() - start
            )
