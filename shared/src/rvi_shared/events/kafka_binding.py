"""The CloudEvents Kafka protocol binding (v1.0.2), consumer side: one Kafka record -> one CloudEvent.

- Structured content mode: the `content-type` header is `application/cloudevents+json` (media
  type matched case-insensitively, parameters such as `; charset=utf-8` allowed); the value is
  the event in the JSON event format. A record with neither a `content-type` nor `ce_` headers is
  read the same way (the records this platform wrote before it set the header).
- Binary content mode: `ce_<attribute>` headers carry the attributes (UTF-8 strings), the
  `content-type` header is `datacontenttype`, the value is the data (JSON for our event types).
- `time` is optional; attributes that are JSON `null` are absent; `data_base64` is decoded (and
  parsed as JSON when the content type is JSON); extension attributes are kept, their names must
  be lower-case ASCII letters and digits (CloudEvents 1.0 "Attribute Naming Convention").

Refused with a reason (the consumer sends the record to the DLQ): a header value that is not
UTF-8, a `ce_`/`content-type` header that appears twice, an invalid extension name or value, a
batch or non-JSON event format, an unreadable value, and everything the envelope model refuses
(`rvi_shared.events.envelope`: strict RFC 3339 `time`, specversion 1.0...).

Why not the `cloudevents` SDK's Kafka binding for reading: it takes headers as a dict (a
duplicated header is silently lost), reads `time` with dateutil's lenient `isoparse` (it accepts
the compact forms refused here), and fails on a non-UTF-8 header without naming it. The SDK is
used by the conformance tests to produce events in both modes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from typing import Any

from rvi_shared.events.envelope import CloudEvent, EnvelopeError, validate_event

CE_PREFIX = "ce_"
CONTENT_TYPE_HEADER = "content-type"
STRUCTURED_JSON = "application/cloudevents+json"
CONTEXT_ATTRIBUTES = frozenset(
    {"specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema"}
)
_ATTRIBUTE_NAME = re.compile(r"[a-z0-9]+")


def media_type(content_type: str) -> str:
    """`Application/CloudEvents+JSON; charset=UTF-8` -> `application/cloudevents+json`."""
    return content_type.split(";", 1)[0].strip().lower()


def is_json_media_type(content_type: str | None) -> bool:
    if content_type is None:
        return True
    kind = media_type(content_type)
    return kind in ("application/json", "text/json") or kind.endswith("+json")


def parse_record(value: bytes | None, headers: Sequence[tuple[str, bytes | None]] | None) -> CloudEvent:
    """The CloudEvent a Kafka record carries, in either content mode; EnvelopeError naming the fault."""
    found: dict[str, str] = {}
    for name, raw in headers or ():
        lowered = name.lower()
        if not (lowered == CONTENT_TYPE_HEADER or lowered.startswith(CE_PREFIX)):
            continue
        if lowered in found:
            raise EnvelopeError(f"header {name!r} appears more than once")
        try:
            found[lowered] = (raw or b"").decode("utf-8")
        except UnicodeDecodeError:
            raise EnvelopeError(f"header {name!r} is not UTF-8") from None
    content_type = found.get(CONTENT_TYPE_HEADER)
    if content_type is not None and media_type(content_type).startswith("application/cloudevents"):
        return _structured(value, content_type)
    if any(name.startswith(CE_PREFIX) for name in found):
        return _binary(value, found)
    return _structured(value, STRUCTURED_JSON)


def _structured(value: bytes | None, content_type: str) -> CloudEvent:
    kind = media_type(content_type)
    if kind.startswith("application/cloudevents-batch"):
        raise EnvelopeError("batched content mode is not supported by the Kafka binding")
    if kind not in (STRUCTURED_JSON, "application/cloudevents"):
        raise EnvelopeError(f"event format {kind!r} is not supported (only {STRUCTURED_JSON})")
    if not value:
        raise EnvelopeError("invalid CloudEvent: the record has no value")
    try:
        document = json.loads(value.decode("utf-8"))
    except UnicodeDecodeError:
        raise EnvelopeError("invalid CloudEvent: the value is not UTF-8") from None
    except ValueError as exc:
        raise EnvelopeError(f"invalid CloudEvent: the value is not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise EnvelopeError("invalid CloudEvent: the value is not a JSON object")
    attributes = {key: item for key, item in document.items() if item is not None}
    if "data_base64" in attributes:
        if "data" in attributes:
            raise EnvelopeError("invalid CloudEvent: both data and data_base64")
        attributes["data"] = _decode_base64_data(attributes.pop("data_base64"), attributes.get("datacontenttype"))
    _check_extensions({k: v for k, v in attributes.items() if k not in CONTEXT_ATTRIBUTES and k != "data"})
    return validate_event(attributes)


def _binary(value: bytes | None, headers: dict[str, str]) -> CloudEvent:
    attributes: dict[str, Any] = {}
    for name, text in headers.items():
        if name == CONTENT_TYPE_HEADER:
            attributes["datacontenttype"] = text
            continue
        attribute = name[len(CE_PREFIX) :]
        if not _ATTRIBUTE_NAME.fullmatch(attribute):
            raise EnvelopeError(
                f"invalid CloudEvent: header {name!r} names no valid attribute (lower-case letters and digits)"
            )
        if attribute in ("data", "data_base64"):
            raise EnvelopeError(f"invalid CloudEvent: {attribute} is not an attribute header")
        attributes[attribute] = text
    content_type = attributes.get("datacontenttype")
    if value is None:
        raise EnvelopeError("invalid CloudEvent: the record has no data")
    if not is_json_media_type(content_type):
        raise EnvelopeError(f"invalid CloudEvent: data of content type {content_type!r} is not JSON")
    try:
        attributes["data"] = json.loads(value.decode("utf-8"))
    except UnicodeDecodeError:
        raise EnvelopeError("invalid CloudEvent: the data is not UTF-8") from None
    except ValueError as exc:
        raise EnvelopeError(f"invalid CloudEvent: the data is not JSON ({exc})") from None
    _check_extensions({k: v for k, v in attributes.items() if k not in CONTEXT_ATTRIBUTES and k != "data"})
    return validate_event(attributes)


def _decode_base64_data(encoded: object, content_type: object) -> object:
    if not isinstance(encoded, str):
        raise EnvelopeError("invalid CloudEvent: data_base64 is not a string")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise EnvelopeError("invalid CloudEvent: data_base64 is not valid base64") from None
    if not is_json_media_type(content_type if isinstance(content_type, str) else None):
        raise EnvelopeError(f"invalid CloudEvent: data of content type {content_type!r} is not JSON")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise EnvelopeError("invalid CloudEvent: data_base64 does not hold UTF-8 JSON") from None


def _check_extensions(extensions: dict[str, Any]) -> None:
    for name, item in extensions.items():
        if not _ATTRIBUTE_NAME.fullmatch(name):
            raise EnvelopeError(
                f"invalid CloudEvent: extension attribute name {name!r} is not lower-case ASCII letters and digits"
            )
        if isinstance(item, dict | list):
            raise EnvelopeError(f"invalid CloudEvent: extension attribute {name!r} is not a string, integer or boolean")
