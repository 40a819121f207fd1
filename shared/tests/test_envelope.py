"""CloudEvent envelope parsing and payload decoding errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from rvi_shared.events import (
    EnvelopeError,
    UnknownEventType,
    decode_payload,
    new_event,
    parse_event,
)
from rvi_shared.events import payloads as p

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def _ready_event():
    return new_event(
        type="rvi.inspection.ready.v1",
        source="/rvi/scheduling",
        subject="i-1",
        data=p.InspectionReady(
            inspection_id="i-1",
            enterprise_id="e-1",
            confirmed_at=T0,
            equipment_test_passed=True,
            documents_submitted=True,
        ),
        time=T0,
        traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    )


def _raw(**changes) -> bytes:
    body = json.loads(_ready_event().to_json())
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return json.dumps(body).encode()


def test_parse_event_round_trips_new_event():
    event = _ready_event()
    parsed = parse_event(event.to_json())
    assert parsed == event
    assert parsed.specversion == "1.0"
    assert parsed.correlationid == "i-1"  # defaults to the subject
    assert parsed.time == T0
    payload = decode_payload(parsed)
    assert isinstance(payload, p.InspectionReady)
    assert payload.enterprise_id == "e-1"


def test_to_json_omits_unset_optional_attributes():
    body = json.loads(_ready_event().to_json())
    assert "datacontenttype" in body
    event = new_event(
        type="rvi.inspection.cancelled.v1",
        source="/rvi/scheduling",
        subject="i-1",
        data=p.InspectionCancelled(inspection_id="i-1", reason="withdrawn"),
        time=T0,
    )
    assert "traceparent" not in json.loads(event.to_json())


def test_malformed_json_raises_envelope_error():
    with pytest.raises(EnvelopeError) as info:
        parse_event(b'{"specversion": "1.0", "id": ')
    message = str(info.value)
    assert message.startswith("invalid CloudEvent:")
    assert "json" in message.lower()


def test_missing_type_raises_envelope_error_naming_it():
    with pytest.raises(EnvelopeError, match=r"\btype: Field required"):
        parse_event(_raw(type=None))


def test_unknown_type_is_rejected_by_decode_payload():
    event = parse_event(_raw(type="rvi.inspection.teleported.v1"))  # the envelope itself is fine
    with pytest.raises(UnknownEventType, match="rvi.inspection.teleported.v1"):
        decode_payload(event)
    assert issubclass(UnknownEventType, EnvelopeError)


def test_payload_missing_a_required_field_names_it():
    data = json.loads(_raw())["data"]
    del data["enterprise_id"]
    event = parse_event(_raw(data=data))
    with pytest.raises(EnvelopeError, match=r"data\.enterprise_id: Field required") as info:
        decode_payload(event)
    assert "rvi.inspection.ready.v1" in str(info.value)


def test_payload_with_an_unexpected_field_is_rejected():
    data = json.loads(_raw())["data"] | {"surprise": 1}
    with pytest.raises(EnvelopeError, match=r"data\.surprise"):
        decode_payload(parse_event(_raw(data=data)))
