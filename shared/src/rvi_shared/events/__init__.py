from rvi_shared.events.envelope import CloudEvent, EnvelopeError, new_event, parse_event
from rvi_shared.events.registry import (
    EVENT_TYPES,
    TOPICS,
    EventType,
    UnknownEventType,
    decode_payload,
    topic_for,
)

__all__ = [
    "CloudEvent",
    "EnvelopeError",
    "new_event",
    "parse_event",
    "EVENT_TYPES",
    "TOPICS",
    "EventType",
    "UnknownEventType",
    "decode_payload",
    "topic_for",
]
