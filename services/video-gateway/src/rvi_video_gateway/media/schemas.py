from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rvi_video_gateway.sessions.schemas import StepFields


class FeedCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "webrtc", "label": "enterprise phone, Zhouxiang base"},
                {"kind": "rtsp", "label": "greenhouse camera 3", "url": "rtsp://cam3.cixi-food.example/stream1"},
            ]
        },
    )

    kind: Literal["webrtc", "rtsp", "talkback"] = Field(
        description="webrtc: camera and microphone published over WHIP by the enterprise; rtsp: an IP camera "
        "pulled; talkback: an officer's voice published over WHIP (audio only), heard by the enterprise over WHEP"
    )
    label: str = Field(default="", max_length=200)
    url: str | None = Field(
        default=None, max_length=2048, description="rtsp:// or rtsps:// URL of the camera (kind rtsp only)"
    )

    @model_validator(mode="after")
    def url_for_rtsp(self) -> FeedCreate:
        if self.kind == "rtsp" and not self.url:
            raise ValueError("url is required for an rtsp feed")
        if self.kind != "rtsp" and self.url:
            raise ValueError("url is only for rtsp feeds")
        return self


class FeedOut(BaseModel):
    feed_id: str
    session_id: str | None
    inspection_id: str
    kind: str
    label: str
    codec: str | None
    audio_codec: str | None = None
    probe: dict[str, Any] | None = Field(default=None, description="what the RTSP camera showed when registered")
    state: str = Field(description="created | waiting | live | lost | closed")
    lost_reason: str | None = None
    source_url: str | None = Field(default=None, description="credentials redacted")
    whip_url: str | None = None
    whep_url: str
    publish_token: str | None = None
    view_token: str | None = None
    tokens_expire_at: datetime | None = None
    viewers: int = 0
    frames: int = 0
    audio_packets: int = 0


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: Literal["publish", "view"]


class RecordingCreate(StepFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"feed_id": "…", "kind": "credentials_presented", "note": "Wang Li, NB-0001"}]},
    )

    feed_id: str = Field(max_length=64)


class SnapshotCreate(RecordingCreate):
    pass


class RecordingOut(BaseModel):
    recording_id: str
    session_id: str
    feed_id: str
    kind: str
    note: str
    officer_id: str
    state: str
    started_at: datetime
    ended_at: datetime | None = None
    close_reason: str | None = None
    file: str | None = None
    sha256: str | None = None
    bytes: int | None = None
    frames: int | None = None
    audio_codec: str | None = None
    audio_packets: int | None = None
    manifest_seq: int | None = None


class EquipmentTestOut(BaseModel):
    test_id: str
    inspection_id: str
    feed_id: str
    state: str = Field(description="waiting | passed | failed | expired")
    created_at: datetime
    completed_at: datetime | None = None
    measurement: dict[str, Any] | None = None
    failures: list[str] = Field(default_factory=list)
    thresholds: dict[str, float]
    whip_url: str | None = None
    publish_token: str | None = None
    tokens_expire_at: datetime | None = None
