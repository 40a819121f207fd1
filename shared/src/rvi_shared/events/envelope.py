"""The CloudEvents 1.0 envelope, structured JSON mode (DESIGN: Events)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

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
    time: datetime
    datacontenttype: str = "application/json"
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


def parse_event(raw: bytes) -> CloudEvent:
    try:
        return CloudEvent.model_validate_json(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        raise EnvelopeError(f"invalid CloudEvent: {problems}") from exc
