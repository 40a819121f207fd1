"""Trace context: a span continues the caller's trace (from `traceparent`, else the current one)
or starts one, and is what logs and outgoing events carry."""

from __future__ import annotations

from rvi_shared.observability.tracing import current_trace_id, current_traceparent, span_from

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_a_span_continues_the_callers_trace_with_a_span_of_its_own() -> None:
    with span_from(f"00-{TRACE}-00f067aa0ba902b7-01"):
        version, trace_id, span_id, flags = (current_traceparent() or "").split("-")
        assert (version, trace_id, flags) == ("00", TRACE, "01")
        assert span_id not in ("00f067aa0ba902b7", "0" * 16)
        assert current_trace_id() == TRACE
    assert current_traceparent() is None


def test_a_span_keeps_the_callers_sampling_decision() -> None:
    with span_from(f"00-{TRACE}-00f067aa0ba902b7-00"):
        assert (current_traceparent() or "").endswith("-00")


def test_without_traceparent_a_span_nests_in_the_current_one_or_starts_a_trace() -> None:
    with span_from(None):
        outer = current_trace_id()
        assert outer is not None and outer != "0" * 32
        with span_from(None):
            assert current_trace_id() == outer
    with span_from("not a traceparent"):
        assert current_trace_id() not in (None, outer)
