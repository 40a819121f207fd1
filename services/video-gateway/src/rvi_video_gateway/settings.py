from __future__ import annotations

from typing import ClassVar

from rvi_shared.settings import ServiceSettings


class VideoGatewaySettings(ServiceSettings):
    service_name: ClassVar[str] = "video-gateway"
    default_port: ClassVar[int] = 8003

    start_lead_minutes: int = 60
