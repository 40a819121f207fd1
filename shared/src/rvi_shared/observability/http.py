"""ASGI middleware: request latency histogram and W3C trace context per request."""

from __future__ import annotations

import time

from prometheus_client.metrics import Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rvi_shared.observability.metrics import REQUEST_LATENCY
from rvi_shared.observability.tracing import enter_span, exit_span


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service
        # The histogram's child per (method, route template, status): as bounded as the metric itself,
        # and looked up here without building its label tuple and taking its lock on every request.
        self._latency: dict[tuple[str, str, int], Histogram] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        traceparent = None
        for name, value in scope["headers"]:
            if name == b"traceparent":
                traceparent = value.decode("latin-1")
                break

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        span = enter_span(traceparent)
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            exit_span(span)
            self._observe(scope, status, time.perf_counter() - start)

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        path = getattr(scope.get("route"), "path", "unmatched")
        key = (scope["method"], path, status)
        child = self._latency.get(key)
        if child is None:
            child = self._latency[key] = REQUEST_LATENCY.labels(self.service, scope["method"], path, str(status))
        child.observe(seconds)
