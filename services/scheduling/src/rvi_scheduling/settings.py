from __future__ import annotations

from typing import ClassVar

from rvi_shared.settings import ServiceSettings


class SchedulingSettings(ServiceSettings):
    service_name: ClassVar[str] = "scheduling"
    default_port: ClassVar[int] = 8002

    notice_days: int = 3
    slot_hour_local: int = 9
    timezone: str = "Asia/Shanghai"
    minutes_per_site: int = 25
