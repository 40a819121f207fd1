"""The CloudEvents Kafka protocol binding, consumer side: the specification's examples (JSON event
format 1.0 section 5, Kafka binding 1.0.2 sections 3.2.4 and 3.3.3) and events written by the
official `cloudevents` Python SDK in both content modes parse; each listed fault is refused with
its reason (the consumer dead-letters it, see test_cloudevents_conformance.py for the broker)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from cloudevents.core.bindings.kafka import to_binary, to_structured
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent as SdkEvent

from rvi_shared.events.envelope import EnvelopeError
from rvi_shared.events.kafka_binding import parse_record

# JSON event format 1.0, section 5 (Examples): the first example, with its null subject.
SPEC_JSON_EXAMPLE = {
    "specversion": "1.0",
    "type": "com.example.someevent",
    "source": "/mycontext",
    "subject": None,
    "id": "C234-1234-1234",
    "time": "2018-04-05T17:31:00Z",
    "comexampleextension1": "value",
    "comexampleothervalue": 5,
    "datacontenttype": "application/json",
    "data": {"appinfoA": "abc", "appinfoB": 123, "appinfoC": True},
}
# Kafka binding 1.0.2, section 3.2.4 (binary content mode example), with JSON data.
SPEC_BINARY_HEADERS = [
    ("ce_specversion", b"1.0"),
    ("ce_type", b"com.example.someevent"),
    ("ce_source", b"/mycontext/subcontext"),
    ("ce_id", b"1234-1234-1234"),
    ("ce_time", b"2018-04-05T03:56:24Z"),
    ("content-type", b"application/json"),
]
STRUCTURED = [("content-type", b"application/cloudevents+json; charset=UTF-8")]


def structured(document: dict[str, object]) -> bytes:
    return json.dumps(document).encode()


def test_spec_json_example_structured() -> None:
    event = parse_record(structured(SPEC_JSON_EXAMPLE), STRUCTURED)
    assert (event.id, event.type, event.subject) == ("C234-1234-1234", "com.example.someevent", None)
    assert event.time == datetime(2018, 4, 5, 17, 31, tzinfo=UTC)
    assert event.data == {"appinfoA": "abc", "appinfoB": 123, "appinfoC": True}
    extras = event.model_extra or {}
    assert (extras["comexampleextension1"], extras["comexampleothervalue"]) == ("value", 5)


def test_spec_binary_example() -> None:
    event = parse_record(b'{"appinfoA": "abc"}', SPEC_BINARY_HEADERS)
    assert (event.id, event.source, event.datacontenttype) == (
        "1234-1234-1234",
        "/mycontext/subcontext",
        "application/json",
    )
    assert event.time == datetime(2018, 4, 5, 3, 56, 24, tzinfo=UTC) and event.data == {"appinfoA": "abc"}


@pytest.mark.parametrize(
    "content_type",
    [b"application/cloudevents+json", b"Application/CloudEvents+JSON", b"application/cloudevents+json ; charset=utf-8"],
)
def test_structured_content_type_matched_case_insensitively_with_parameters(content_type: bytes) -> None:
    event = parse_record(structured(SPEC_JSON_EXAMPLE), [("Content-Type", content_type)])
    assert event.id == "C234-1234-1234"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"time": None}, id="time-null"),
        pytest.param({"time": "__absent__"}, id="time-absent"),
        pytest.param({"datacontenttype": None}, id="datacontenttype-null"),
        pytest.param({"subject": None, "dataschema": None}, id="optional-nulls"),
    ],
)
def test_optional_and_null_attributes_are_absent(change: dict[str, object]) -> None:
    document = {**SPEC_JSON_EXAMPLE, **change}
    document = {k: v for k, v in document.items() if v != "__absent__"}
    event = parse_record(structured(document), STRUCTURED)
    assert event.datacontenttype == "application/json"
    if "time" in change:
        assert event.time is None


def test_data_base64_is_decoded() -> None:
    document = {k: v for k, v in SPEC_JSON_EXAMPLE.items() if k != "data"}
    document["data_base64"] = base64.b64encode(b'{"appinfoA": "abc"}').decode()
    assert parse_record(structured(document), STRUCTURED).data == {"appinfoA": "abc"}


@pytest.mark.parametrize("mode", ["binary", "structured"])
@pytest.mark.parametrize("data", [{"enterprise_id": "E1"}, b'{"enterprise_id": "E1"}'], ids=["object", "bytes"])
def test_events_from_the_sdk(mode: str, data: object) -> None:
    sdk_event = SdkEvent(
        {
            "type": "rvi.enterprise.updated.v1",
            "source": "/sdk",
            "subject": "E1",
            "datacontenttype": "application/json",
            "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "partitionkey": "E1",
        },
        data,
    )
    message = (to_binary if mode == "binary" else to_structured)(sdk_event, JSONFormat())
    event = parse_record(message.value, list(message.headers.items()))
    assert event.id == sdk_event.get_id() and event.time == sdk_event.get_time()
    assert event.data == {"enterprise_id": "E1"} and event.subject == "E1"
    assert event.traceparent == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    assert (event.model_extra or {})["partitionkey"] == "E1"


REFUSED = [
    pytest.param(
        structured(SPEC_JSON_EXAMPLE),
        [*STRUCTURED, ("content-type", b"application/json")],
        "more than once",
        id="duplicate-content-type",
    ),
    pytest.param(b"{}", [*SPEC_BINARY_HEADERS, ("ce_id", b"other")], "more than once", id="duplicate-ce-id"),
    pytest.param(b"{}", [*SPEC_BINARY_HEADERS, ("ce_comment", b"caf\xe9")], "not UTF-8", id="header-not-utf8"),
    pytest.param(
        b"{}", [*SPEC_BINARY_HEADERS, ("ce_com-example", b"x")], "valid attribute", id="binary-bad-extension-name"
    ),
    pytest.param(
        structured({**SPEC_JSON_EXAMPLE, "com_example": "x"}),
        STRUCTURED,
        "extension attribute name",
        id="structured-bad-extension-name",
    ),
    pytest.param(
        structured({**SPEC_JSON_EXAMPLE, "comexample": {"a": 1}}),
        STRUCTURED,
        "extension attribute",
        id="extension-object",
    ),
    pytest.param(
        structured({**SPEC_JSON_EXAMPLE, "time": "20180405173100"}), STRUCTURED, "RFC 3339", id="compact-time"
    ),
    pytest.param(
        structured({**SPEC_JSON_EXAMPLE, "time": "2018-04-05T17:31:00"}), STRUCTURED, "offset", id="time-without-offset"
    ),
    pytest.param(b"{}", [*SPEC_BINARY_HEADERS[:4], ("ce_time", b"1522900584")], "RFC 3339", id="binary-epoch-time"),
    pytest.param(
        structured(SPEC_JSON_EXAMPLE), [("content-type", b"application/cloudevents-batch+json")], "batch", id="batch"
    ),
    pytest.param(
        structured(SPEC_JSON_EXAMPLE),
        [("content-type", b"application/cloudevents+avro")],
        "not supported",
        id="avro-format",
    ),
    pytest.param(
        b"\x00\x01avro",
        [*SPEC_BINARY_HEADERS[:5], ("content-type", b"application/avro")],
        "not JSON",
        id="binary-avro-data",
    ),
    pytest.param(b'{"specversion": "1.0", \xff}', STRUCTURED, "not UTF-8", id="value-not-utf8"),
    pytest.param(None, STRUCTURED, "no value", id="tombstone"),
    pytest.param(
        structured({**SPEC_JSON_EXAMPLE, "data_base64": "%%%"}), STRUCTURED, "data_base64", id="data-and-bad-base64"
    ),
    pytest.param(
        structured({**SPEC_JSON_EXAMPLE, "specversion": "0.3"}), STRUCTURED, "specversion", id="specversion-0.3"
    ),
]


@pytest.mark.parametrize(("value", "headers", "reason"), REFUSED)
def test_refused_with_a_reason(value: bytes | None, headers: list[tuple[str, bytes]], reason: str) -> None:
    with pytest.raises(EnvelopeError) as refused:
        parse_record(value, headers)
    assert reason in str(refused.value)
