"""The CloudEvents 1.0 envelope (DESIGN: Events). Producers write structured JSON mode; consumers
read both content modes of the Kafka binding (`rvi_shared.events.kafka_binding`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rvi_shared.datetimes import Rfc3339DateTime

CONTENT_TYPE = "application/cloudevents+json"


class EnvelopeError(ValueError):
    """The bytes are not a valid CloudEvent."""


class CloudEvent(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    subject: str | None = None
    time: Rfc3339DateTime | None = Field(default=None, description="optional in CloudEvents 1.0")
    datacontenttype: str = "application/json"
    dataschema: str | None = None
    data: dict[str, Any]
    traceparent: str | None = None
    correlationid: str | None = None

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()


def new_event(
    *,
    type: str,
    source: str,
    subject: str,
    data: BaseModel,
    time: datetime,
    traceparent: str | None = None,
    correlationid: str | None = None,
) -> CloudEvent:
    return CloudEvent(
        id=str(uuid.uuid4()),
        source=source,
        type=type,
        subject=subject,
        time=time,
        data=data.model_dump(mode="json"),
        traceparent=traceparent,
        correlationid=correlationid or subject,
    )


def validate_event(attributes: dict[str, Any]) -> CloudEvent:
    """The CloudEvent of decoded attributes (and `data`); EnvelopeError naming each fault."""
    try:
        return CloudEvent.model_validate(attributes)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        raise EnvelopeError(f"invalid CloudEvent: {problems}") from exc


def parse_event(raw: bytes) -> CloudEvent:
    """An event in structured JSON mode (`null` attributes absent, `data_base64` decoded)."""
    from rvi_shared.events.kafka_binding import parse_record

    return parse_record(raw, None)
