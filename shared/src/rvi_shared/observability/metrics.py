"""Prometheus metrics shared by every service."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUEST_LATENCY = Histogram(
    "rvi_http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route", "status"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
CONSUMER_LAG = Gauge(
    "rvi_consumer_lag", "Records behind the partition's high watermark", ["consumer", "topic", "partition"]
)
EVENTS_CONSUMED = Counter("rvi_events_consumed_total", "Events handled", ["consumer", "type", "outcome"])
OUTBOX_BACKLOG = Gauge("rvi_outbox_backlog", "Outbox rows not yet published", ["service"])
OUTBOX_PUBLISHED = Counter("rvi_outbox_published_total", "Outbox rows published", ["service"])
OUTBOX_REPUBLISHED = Counter("rvi_outbox_republished_total", "Rows re-queued because the broker lost them", ["service"])
DLQ_COUNT = Counter("rvi_dlq_total", "Events sent to a dead-letter topic", ["consumer", "topic"])
