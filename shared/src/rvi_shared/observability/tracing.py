"""W3C trace context through OpenTelemetry, carried in the CloudEvents `traceparent`.

No span is exported (no exporter is configured), so a span here is only the context that logs
and outgoing events carry: a non-recording span with fresh ids under the caller's trace. The SDK's
recording spans (sampler, attributes, span processors) cost CPU on every request (README,
Benchmarks) for nothing anyone reads."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import Token

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_propagator = TraceContextTextMapPropagator()
_SAMPLED = TraceFlags(TraceFlags.SAMPLED)


def _new_id(bits: int) -> int:
    while not (value := random.getrandbits(bits)):  # zero is the invalid id
        pass
    return value


def enter_span(traceparent: str | None) -> Token[Context]:
    """Make current a span continuing the trace of `traceparent`, else of the current span, else
    a new trace; the token to give `exit_span`."""
    parent_context = _propagator.extract({"traceparent": traceparent}) if traceparent else None
    parent = trace.get_current_span(parent_context).get_span_context()
    if parent.is_valid:
        span = SpanContext(
            parent.trace_id, _new_id(64), False, trace_flags=parent.trace_flags, trace_state=parent.trace_state
        )
    else:
        span = SpanContext(_new_id(128), _new_id(64), False, trace_flags=_SAMPLED)
    return otel_context.attach(trace.set_span_in_context(NonRecordingSpan(span), parent_context))


def exit_span(token: Token[Context]) -> None:
    otel_context.detach(token)


@contextmanager
def span_from(traceparent: str | None) -> Iterator[None]:
    token = enter_span(traceparent)
    try:
        yield
    finally:
        exit_span(token)


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


def current_trace_id() -> str | None:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None
