from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class GatewayOut(BaseModel):
    instance_id: str
    advertised_url: str
    started_at: datetime
    last_heartbeat_at: datetime
    alive: bool = Field(description="heartbeat seen within three intervals")
    draining: bool
    sessions: int
    feeds: int
    viewers: int
    bitrate_kbps: float
    cpu_pct: float = Field(description="percent of one core")
