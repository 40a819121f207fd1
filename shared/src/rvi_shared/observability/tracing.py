"""W3C trace context through OpenTelemetry, carried in the CloudEvents `traceparent`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Span
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_propagator = TraceContextTextMapPropagator()
_provider = TracerProvider()


@cache
def tracer(service: str) -> trace.Tracer:
    return _provider.get_tracer(f"rvi.{service}")


@contextmanager
def span_from(traceparent: str | None, name: str, service: str) -> Iterator[Span]:
    """A span continuing the trace of `traceparent` (or a new trace)."""
    parent = _propagator.extract({"traceparent": traceparent}) if traceparent else None
    with tracer(service).start_as_current_span(name, context=parent) as span:
        yield span


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


def current_trace_id() -> str | None:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None
